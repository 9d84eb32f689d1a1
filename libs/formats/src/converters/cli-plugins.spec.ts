import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { convertFile, detectAndInspect } from '../inspect';
import { validateLheo } from '../lheo/lheo';
import { validateScolomfr } from '../scolomfr/validate';
import { parseVcard } from '../vcard/vcard';
import { xmllintAvailable } from '../scolomfr/xsd';
import { registerMetadataFormats } from './cli-plugins';

jest.setTimeout(60_000);

const CORPUS = resolve(__dirname, '../../../..', '..', 'shared', 'corpus');
const hasXmllint = xmllintAvailable();

describe('metadata plug-ins of the format registry', () => {
  const out = mkdtempSync(join(tmpdir(), 'ent-meta-cli-'));
  beforeAll(() => registerMetadataFormats());
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('inspect ScoLOMFR, legacy LOM, LHÉO and schema.org files', async () => {
    const official = await detectAndInspect(join(CORPUS, 'scolomfr/records/official_ExempleManuelReferenceScoLOMFRv3-1.xml'), { skipXsd: !hasXmllint });
    expect(official).toMatchObject({ format: 'scolomfr-3.1', version: '3.1', valid: true, summary: { title: 'La bataille de Verdun' } });
    const legacy = await detectAndInspect(join(CORPUS, 'scolomfr/records/educasources-scolomfr1.x/darwin-161986.xml'), { skipXsd: true });
    expect(legacy).toMatchObject({ format: 'lom', version: '1.0', valid: false });
    const lheo = await detectAndInspect(join(CORPUS, 'lheo/onisep_exemple-bts-nrc_lheo-2.2.xml'), { skipXsd: !hasXmllint });
    expect(lheo).toMatchObject({ format: 'lheo-2.2', valid: true, summary: { formations: 1, actions: 1, sessions: 1 } });
    const lrmi = await detectAndInspect(join(CORPUS, 'lrmi/examples/LRexample01a.json-ld'));
    expect(lrmi).toMatchObject({ format: 'schemaorg-jsonld', counts: { warning: 1 } });
  });

  it('convert files: LHÉO upgrade, LOM upgrade, ScoLOMFR → schema.org', async () => {
    const l = await convertFile(join(CORPUS, 'lheo/onisep_exemple-bts-nrc_lheo-2.2.xml'), 'lheo-2.3', join(out, 'o.xml'));
    expect(l).toMatchObject({ from: 'lheo-2.2', to: 'lheo-2.3', losses: [] });
    if (hasXmllint) expect((await validateLheo(readFileSync(l.output.path))).valid).toBe(true);
    const s = await convertFile(join(CORPUS, 'scolomfr/records/educasources-scolomfr1.x/extraction-scolomfr-educasources-90524.xml'), 'scolomfr-3.1', join(out, 's.xml'));
    expect(s.losses).toEqual([expect.stringContaining('vocational training')]);
    if (hasXmllint) expect((await validateScolomfr(readFileSync(s.output.path))).valid).toBe(true);
    const j = await convertFile(join(CORPUS, 'scolomfr/records/official_ExempleManuelReferenceScoLOMFRv3-1.xml'), 'schemaorg-jsonld', join(out, 'j.jsonld'));
    expect(JSON.parse(readFileSync(j.output.path, 'utf8'))['@type']).toBe('LearningResource');
    expect(j.output.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('inspect and convert an address book (CSV) to vCard, printing every loss that applied', async () => {
    const csv = join(out, 'carnet.csv');
    writeFileSync(csv, '\uFEFFPrénom,Nom,Courriel,Groupes,Profil ENT\r\nInès,Haddad,ines.haddad@ac-paris.fr,Élèves 2nde 3,Élève\r\n');
    expect(await detectAndInspect(csv)).toMatchObject({ format: 'contacts-csv', valid: true, summary: { contacts: 1 } });
    const r = await convertFile(csv, 'vcard', join(out, 'carnet.vcf'));
    expect(r).toMatchObject({ from: 'contacts-csv', to: 'vcard' });
    expect(r.losses).toEqual([expect.stringContaining('(Profil ENT)'), expect.stringContaining('(Inès Haddad : Élèves 2nde 3)')]);
    expect(parseVcard(readFileSync(r.output.path, 'utf8')).map((c) => c.fn)).toEqual(['Inès Haddad']);
  });
});
