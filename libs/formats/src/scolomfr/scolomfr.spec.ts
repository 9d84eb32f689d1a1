import { firstChild, parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { SCOLOMFR_SCHEMA, validateWithXsd, xmllintAvailable } from '../testing/xmllint';
import { SCOLOMFR_NS, SCOLOMFR_TERMS, ScolomfrRecordInput, writeScolomfrRecord } from './scolomfr';

const hasXmllint = xmllintAvailable();

const meta: ScolomfrRecordInput = {
  identifier: 'https://ent-a.example/ressources/fiche-methode-demarche',
  title: 'Fiche méthode — Rédiger une démarche scientifique <v2> & "annexe"',
  description: 'Les étapes d\'une démarche : problématique, hypothèses, protocole, résultats, conclusion.',
  language: 'fr',
  keywords: ['démarche scientifique', 'méthode', 'physique-chimie'],
  author: 'Marie Dupont',
  date: new Date('2025-09-10T08:00:00Z'),
  learningResourceType: SCOLOMFR_TERMS.lrtMethodologie,
  educationalLevel: SCOLOMFR_TERMS.levelLyceeGT,
  format: 'application/pdf',
  size: 1234,
  location: 'https://ent-a.example/ressources/fiche-methode-demarche.pdf',
};

const path = (el: XmlElement, ...names: string[]) => names.reduce<XmlElement | undefined>((e, n) => firstChild(e, n), el);

describe('writeScolomfrRecord', () => {
  const xml = writeScolomfrRecord(meta);
  const root = parseXmlSafely(xml);

  it('writes the LOM root with the LOMFR and ScoLOMFR namespaces and the main categories', () => {
    expect(root).toMatchObject({ local: 'lom', ns: SCOLOMFR_NS.lom });
    expect(root.attrs['xmlns:lomfr']).toBe(SCOLOMFR_NS.lomfr);
    expect(root.attrs['xmlns:scolomfr']).toBe(SCOLOMFR_NS.scolomfr);
    expect(root.children.map((c) => c.local)).toEqual([
      'general', 'lifeCycle', 'metaMetadata', 'technical', 'educational', 'rights', 'classification',
    ]);
  });

  it('round-trips the values, escaped', () => {
    expect(path(root, 'general', 'title', 'string')!.text).toBe(meta.title);
    expect(path(root, 'general', 'title', 'string')!.attrs.language).toBe('http://id.loc.gov/vocabulary/iso639-2/fre');
    expect(path(root, 'general', 'identifier', 'entry')!.text).toBe(meta.identifier);
    expect(root.children[0].children.filter((c) => c.local === 'keyword').map((k) => firstChild(k, 'string')!.text)).toEqual(meta.keywords);
    expect(path(root, 'technical', 'format')!.text).toBe('application/pdf');
    expect(path(root, 'technical', 'size')!.text).toBe('1234');
    expect(path(root, 'technical', 'location')!.text).toBe(meta.location);
    expect(path(root, 'lifeCycle', 'contribute', 'entity')!.text).toContain('FN:Marie Dupont');
    expect(path(root, 'lifeCycle', 'contribute', 'date', 'dateTime')!.text).toBe('2025-09-10');
    expect(path(root, 'educational', 'learningResourceType', 'value')!.text).toBe(SCOLOMFR_TERMS.lrtMethodologie.uri);
    expect(path(root, 'classification', 'taxonPath', 'taxon', 'id')!.text).toBe(SCOLOMFR_TERMS.levelLyceeGT.uri);
    const docType = root.children[0].children.find((c) => c.local === 'documentType')!;
    expect(docType.ns).toBe(SCOLOMFR_NS.lomfr);
  });

  it('is deterministic', () => {
    expect(writeScolomfrRecord(meta)).toBe(xml);
  });

  it('refuses missing required fields', () => {
    expect(() => writeScolomfrRecord({ ...meta, title: '' })).toThrow(/title/);
    expect(() => writeScolomfrRecord({ ...meta, size: -1 })).toThrow(/size/);
    expect(() => writeScolomfrRecord({ ...meta, language: 'xx-yy-zz-1' })).toThrow(/language/);
  });

  (hasXmllint ? it : it.skip)('validates against the official ScoLOMFR 3.1 XSD (with and without optional parts)', () => {
    const full = validateWithXsd(xml, SCOLOMFR_SCHEMA);
    expect(full.output).toMatch(/validates$/);
    const minimal = writeScolomfrRecord({ ...meta, learningResourceType: undefined, educationalLevel: undefined, location: undefined, keywords: [] });
    expect(validateWithXsd(minimal, SCOLOMFR_SCHEMA).ok).toBe(true);
    const image = writeScolomfrRecord({ ...meta, format: 'image/png' });
    expect(validateWithXsd(image, SCOLOMFR_SCHEMA).ok).toBe(true);
  });

  (hasXmllint ? it : it.skip)('the XSD check can fail (a wrong vocabulary value is reported invalid)', () => {
    const broken = xml.replace(SCOLOMFR_TERMS.copyrightYes.uri, 'http://example.org/not-a-concept');
    expect(validateWithXsd(broken, SCOLOMFR_SCHEMA).ok).toBe(false);
  });
});
