import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readScolomfr } from '../scolomfr/reader';
import { writeScolomfrRecord } from '../scolomfr/scolomfr';
import { validateScolomfr } from '../scolomfr/validate';
import { xmllintAvailable } from '../scolomfr/xsd';
import { schemaOrgToScolomfr, isoDate, isoDuration, scolomfrLanguageFromBcp47 } from './from-schemaorg';
import { readLrmi, jsonLdBlocks } from './lrmi';
import { crosswalkScolomfrToSchemaOrg, scolomfrToSchemaOrg, bcp47FromScolomfr } from './to-schemaorg';

jest.setTimeout(60_000);

const CORPUS = resolve(__dirname, '../../../..', '..', 'shared', 'corpus');
const official = readScolomfr(readFileSync(join(CORPUS, 'scolomfr/records/official_ExempleManuelReferenceScoLOMFRv3-1.xml'))).record;
const lrmi = (f: string) => readFileSync(join(CORPUS, 'lrmi/examples', f));
const C = 'http://data.education.fr/voc/scolomfr/concept/';

describe('scolomfrToSchemaOrg', () => {
  const { jsonld, losses } = crosswalkScolomfrToSchemaOrg(official);

  it('describes the resource as a schema.org LearningResource', () => {
    expect(jsonld).toMatchObject({
      '@context': 'https://schema.org/',
      '@type': 'LearningResource',
      name: 'La bataille de Verdun',
      inLanguage: 'fr',
      keywords: ['Première Guerre mondiale', 'Verdun'],
      typicalAgeRange: '11-15',
      timeRequired: 'PT2H',
      isAccessibleForFree: true,
      contentSize: '8192 octets',
      audience: [{ '@type': 'EducationalAudience', educationalRole: 'teacher' }],
      author: { '@type': 'Person', familyName: 'BOUETTE', email: 'nadine.bouette@ac-clermont.fr' },
      isPartOf: { '@id': 'http://www.ac-clermont.fr/' },
    });
    expect(jsonld.learningResourceType).toContainEqual({
      '@type': 'DefinedTerm',
      '@id': `${C}scolomfr-voc-010-num-001`,
      name: 'animation',
      inDefinedTermSet: 'http://data.education.fr/voc/scolomfr/scolomfr-voc-010',
    });
    expect(jsonld.educationalLevel).toContainEqual(expect.objectContaining({ '@id': `${C}scolomfr-voc-022-num-023`, name: '3e' }));
    expect(jsonld.educationalAlignment).toContainEqual(
      expect.objectContaining({ alignmentType: 'educationalSubject', targetUrl: `${C}scolomfr-voc-015-num-3081` }),
    );
    expect(scolomfrToSchemaOrg(official)).toEqual(jsonld);
    expect(JSON.stringify(scolomfrToSchemaOrg(official))).toBe(JSON.stringify(jsonld));
  });

  it('reports what it approximates and what it drops, with the negotiation loss codes', () => {
    expect(losses.map((l) => l.code)).toEqual(['SCOLOMFR_VOCABULARIES_APPROXIMATED', 'SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED']);
    expect(losses[1].details).toEqual(expect.arrayContaining(['general/aggregationLevel', 'educational[1]/difficulty', 'technical/extendedLocation']));
    expect(losses[0].details).toContain('classification[1]/taxonPath[1] (chemin réduit au taxon le plus précis)');
  });

  it('comes back to ScoLOMFR with the concept URIs intact, and the result validates', async () => {
    const { record } = schemaOrgToScolomfr(jsonld);
    expect(record.general.title).toEqual([{ language: 'http://id.loc.gov/vocabulary/iso639-2/fre', value: 'La bataille de Verdun' }]);
    expect(record.educational[0].learningResourceTypes.map((v) => v.value)).toEqual([`${C}scolomfr-voc-010-num-001`]);
    expect(record.general.generalResourceTypes.map((v) => v.value)).toEqual([`${C}scolomfr-voc-005-num-034`]);
    expect(record.educational[0].contexts.map((v) => v.value)).toEqual([`${C}scolomfr-voc-012-num-003`]);
    expect(record.educational[0].educationalMethods.map((v) => v.value)).toEqual([`${C}scolomfr-voc-018-num-004`]);
    expect(record.classifications.map((c) => [c.purpose?.value, c.taxonPaths[0].taxons[0].id])).toEqual([
      [`${C}educational_level`, `${C}scolomfr-voc-022-num-023`],
      [`${C}scolomfr-voc-028-num-003`, `${C}scolomfr-voc-015-num-3081`],
      [`${C}scolomfr-voc-028-num-013`, 'http://data.education.fr/gar'],
    ]);
    const v = await validateScolomfr(writeScolomfrRecord(record), { xsd: xmllintAvailable() });
    expect(v.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

describe('readLrmi', () => {
  it('normalises prefixed properties (schema: prefix) and types', () => {
    const { items, findings } = readLrmi(lrmi('LRexample01a.json-ld'));
    expect(items).toHaveLength(1);
    expect(items[0]['@type']).toBe('CreativeWork');
    expect(items[0].name).toBe('Tiles, Blocks, Sapphires & Gold: Designing a Treasure Map');
    expect(items[0].educationalAlignment).toHaveLength(5);
    expect(findings.map((f) => f.code)).toEqual(['LRMI_DATE_NOT_ISO']);
  });

  it('reads script blocks out of HTML/text and reports the quirks of real examples', () => {
    const r = readLrmi(lrmi('LRexample01.jsonld'));
    expect(r.items[0].educationalAlignment).toHaveLength(23);
    expect(r.items[0].useRightsUrl).toBe('http://www.si.edu/termsofuse/');
    expect(r.findings.map((f) => f.code)).toEqual(['LRMI_TYPE_USED_AS_PROPERTY', 'LRMI_LANGUAGE_NOT_A_CODE']);
    expect(jsonLdBlocks(lrmi('sdo-lrmi-examples.txt').toString())).toHaveLength(2);
  });

  it('refuses what is not JSON-LD for schema.org', () => {
    expect(readLrmi('<html></html>').findings.map((f) => f.code)).toEqual(['LRMI_NO_JSONLD']);
    expect(readLrmi('{"name": ').findings.map((f) => f.code)).toEqual(['LRMI_JSON_MALFORMED']);
    expect(readLrmi('{"@context": "http://example.org/", "name": "x"}').findings.map((f) => f.code)).toEqual(['LRMI_NO_SCHEMA_CONTEXT']);
  });
});

describe('schemaOrgToScolomfr', () => {
  it('maps an LRMI description to a ScoLOMFR record that validates, reporting its losses', async () => {
    const item = readLrmi(lrmi('LRexample01.jsonld')).items[0];
    const { record, losses } = schemaOrgToScolomfr(item);
    expect(record.general.languages).toEqual(['http://id.loc.gov/vocabulary/iso639-2/eng']);
    expect(record.educational[0].intendedEndUserRoles.map((r) => r.value)).toEqual([`${C}teacher`]);
    expect(record.lifeCycle.contributions[0]).toMatchObject({ role: { value: `${C}publisher` }, date: { dateTime: '2006-10-04' } });
    expect(record.classifications).toHaveLength(23);
    expect(record.rights.description?.[0].value).toContain('http://www.si.edu/termsofuse/');
    expect(losses.map((l) => l.code)).toEqual(['SCHEMAORG_PROPERTIES_DROPPED', 'SCHEMAORG_VALUES_NOT_IN_VOCABULARIES', 'SCHEMAORG_VALUES_APPROXIMATED']);
    expect(losses[0].details).toEqual(['accessibilityFeature', 'accessibilityHazard', 'accessibilityControl']);
    const v = await validateScolomfr(writeScolomfrRecord(record), { xsd: xmllintAvailable() });
    expect(v.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('converts dates, durations and languages found in the wild', () => {
    expect(isoDate('October 4, 2006')).toBe('2006-10-04');
    expect(isoDate('2006-10-04')).toBe('2006-10-04');
    expect(isoDate('hier')).toBeUndefined();
    expect(isoDuration('1 hour')).toBe('PT1H');
    expect(isoDuration('PT45M')).toBe('PT45M');
    expect(isoDuration('03:12')).toBeUndefined();
    expect(scolomfrLanguageFromBcp47('English')).toBe('http://id.loc.gov/vocabulary/iso639-2/eng');
    expect(scolomfrLanguageFromBcp47('fr-FR')).toBe('http://id.loc.gov/vocabulary/iso639-2/fre');
    expect(bcp47FromScolomfr('http://id.loc.gov/vocabulary/iso639-2/ger')).toBe('de');
  });
});
