import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { xmllintAvailable } from '../scolomfr/xsd';
import { downgradeLheo23to22, lheoDateToDateTime, LHEO_NS, upgradeLheo22to23, validateLheo } from './lheo';

jest.setTimeout(60_000);

const CORPUS = resolve(__dirname, '../../../..', '..', 'shared', 'corpus');
// The Onisep file mixes CRLF and LF line ends: normalised here so that the test edits below apply.
const onisep = readFileSync(join(CORPUS, 'lheo/onisep_exemple-bts-nrc_lheo-2.2.xml'), 'utf8').replace(/\r\n/g, '\n');
const hasXmllint = xmllintAvailable();
const find = (el: XmlElement, path: string): XmlElement | undefined =>
  path.split('/').reduce<XmlElement | undefined>((e, n) => e?.children.find((c) => c.local === n), el);

/** An Onisep 2.2 feed written as before the 2.3 change list (URI / DATE extras, spec 004 §2–3). */
const onisepWithExtras = onisep
  .replace(
    '<extras info="ACTION ONISEP">\n<extra info="ACT_ID ONISEP">18706</extra>',
    '<extras info="ACTION ONISEP">\n<extra info="ACT_ID ONISEP">18706</extra>\n<extra info="URI ACTION ONISEP">content://1a49f619-4e56-4e14-bb56-b05e07630b71</extra>\n<extra info="DATE CREATION ACTION ONISEP">20210707</extra>\n<extra info="DATE MODIFICATION ACTION ONISEP">20210907</extra>',
  )
  .replace(
    '<extras info="ETAB ONISEP">\n<extra info="ETA_ID LIEU ONISEP">16</extra>',
    '<extras info="ETAB ONISEP">\n<extra info="ETA_ID LIEU ONISEP">16</extra>\n<extra info="URI LIEU ONISEP">content://bbb95657-db82-4d0e-b64b-186e3469c2d0</extra>\n<extra info="DATE CREATION LIEU ONISEP">20201008</extra>',
  );

describe('upgradeLheo22to23', () => {
  it('changes the namespace and promotes the URI / DATE extras to native attributes (PEL-28, PEL-29)', async () => {
    expect(onisepWithExtras).not.toBe(onisep);
    const r = upgradeLheo22to23(onisepWithExtras);
    const root = parseXmlSafely(r.xml);
    expect(root.ns).toBe(LHEO_NS['2.3']);
    const action = find(root, 'offres/formation/action')!;
    expect(action.attrs).toMatchObject({
      numero: '9436_18706',
      uri: 'content://1a49f619-4e56-4e14-bb56-b05e07630b71',
      'horodatage-creation': '2021-07-07T00:00:00',
      'horodatage-modification': '2021-09-07T00:00:00',
    });
    const actionExtras = action.children.find((c) => c.local === 'extras' && c.attrs.info === 'ACTION ONISEP')!;
    expect(actionExtras.attrs.uri).toBe('content://1a49f619-4e56-4e14-bb56-b05e07630b71');
    expect(actionExtras.children.map((c) => c.attrs.info)).toEqual(['ACT_ID ONISEP']);
    const lieu = find(root, 'offres/formation/action/lieu-de-formation')!;
    expect(lieu.attrs).toMatchObject({ uri: 'content://bbb95657-db82-4d0e-b64b-186e3469c2d0', 'horodatage-creation': '2020-10-08T00:00:00' });
    expect(find(root, 'offres')!.attrs['horodatage-export']).toBe('2015-12-03T00:00:00');
    expect(find(lieu, 'coordonnees/adresse/denomination')?.text).toBe('Lycée Kerneuzec');
    expect(r.changes.map((c) => c.code)).toEqual(
      expect.arrayContaining(['NAMESPACE', 'EXTRA_TO_ATTRIBUTE', 'EXPORT_DATE_TO_ATTRIBUTE', 'DENOMINATION_PROMOTED']),
    );
    expect(r.losses).toEqual([]);
    if (hasXmllint) expect(await validateLheo(r.xml)).toMatchObject({ version: '2.3', valid: true, findings: [] });
  });

  it('maps the 2.2 levels onto the 2019 table (change 13): niveau III (6) → 15', async () => {
    const r = upgradeLheo22to23(onisep);
    const root = parseXmlSafely(r.xml);
    expect(find(root, 'offres/formation/code-niveau-sortie')?.text).toBe('15');
    expect(find(root, 'offres/formation/code-niveau-entree')?.text).toBe('0');
    expect(r.changes).toContainEqual(expect.objectContaining({ code: 'LEVEL_MAPPED', detail: expect.stringMatching(/6 .*→ 15/) }));
    if (hasXmllint) expect(await validateLheo(r.xml)).toMatchObject({ version: '2.3', valid: true });
    // and back: 15 → 6
    expect(find(parseXmlSafely(downgradeLheo23to22(r.xml).xml), 'offres/formation/code-niveau-sortie')?.text).toBe('6');
  });

  it('removes <date-information> (change 14.1) and an empty <code-RNCP> (change 14.2)', async () => {
    const src = onisep
      .replace('<hebergement>', '<date-information>\n<date>20160305</date>\n</date-information>\n<hebergement>')
      .replace('<code-RNCP>474</code-RNCP>', '<code-RNCP></code-RNCP>');
    expect(src).toContain('<date-information>');
    expect(src).toContain('<code-RNCP></code-RNCP>');
    const r = upgradeLheo22to23(src);
    expect(r.xml).not.toContain('date-information');
    expect(r.xml).not.toContain('code-RNCP');
    expect(r.changes.map((c) => c.code)).toEqual(expect.arrayContaining(['DATE_INFORMATION_REMOVED', 'EMPTY_RNCP_REMOVED']));
    // A filled code-RNCP stays.
    expect(upgradeLheo22to23(onisep).xml).toContain('<code-RNCP>474</code-RNCP>');
    if (hasXmllint) expect(await validateLheo(r.xml)).toMatchObject({ version: '2.3', valid: true });
  });

  it('refuses a document that is not LHÉO 2.2', () => {
    expect(() => upgradeLheo22to23('<lheo xmlns="http://lheo.gouv.fr/2.3"/>')).toThrow(/2\.2 expected/);
    expect(() => upgradeLheo22to23('<lom xmlns="http://ltsc.ieee.org/xsd/LOM"/>')).toThrow(/not a LHÉO/);
  });
});

describe('downgradeLheo23to22', () => {
  /** A 2.3 offer using what 2.2 does not have. */
  const rich23 = upgradeLheo22to23(onisepWithExtras)
    .xml.replace('<code-niveau-sortie>6</code-niveau-sortie>', '<code-niveau-sortie>15</code-niveau-sortie>')
    .replace('<code-CERTIFINFO>19004</code-CERTIFINFO>', '<code-CERTIFINFO>1900412345</code-CERTIFINFO>')
    .replace(/(<lieu-de-formation[^>]*>)/, '$1\n<SIRET-lieu-formation><SIRET>40877891800131</SIRET></SIRET-lieu-formation>\n<code-UAI-lieu-formation><code-UAI>0292338J</code-UAI></code-UAI-lieu-formation>')
    .replace('</url-action>', '</url-action>\n<duree-cycle>2</duree-cycle>')
    // change 10: cycles of a session; 11: teachings of an action; 12: up to five languages;
    // 5: several trainers (2.2: one).
    .replace(/<\/adresse-inscription>(\s*)<\/session>/, '</adresse-inscription>$1<cycle><type-cycle>1</type-cycle><annee-cycle>1</annee-cycle><annee-cycle>2</annee-cycle></cycle>$1</session>')
    .replace('</hebergement>', '</hebergement>\n<langue-formation>fr</langue-formation>\n<langue-formation>br</langue-formation>')
    .replace(
      '</duree-indicative>',
      '</duree-indicative>\n' +
        '<organisme-formateur><SIRET-formateur><SIRET>19290076900014</SIRET></SIRET-formateur><raison-sociale-formateur>Lycée Kerneuzec</raison-sociale-formateur></organisme-formateur>\n' +
        '<organisme-formateur><SIRET-formateur><SIRET>40877891800131</SIRET></SIRET-formateur><raison-sociale-formateur>GRETA Bretagne Sud</raison-sociale-formateur></organisme-formateur>\n' +
        '<enseignement><libelle-enseignement>Breton</libelle-enseignement><type-enseignement>2</type-enseignement><obligatoire>0</obligatoire></enseignement>',
    );

  (hasXmllint ? it : it.skip)('starts from a valid 2.3 document', async () => {
    expect(await validateLheo(rich23)).toMatchObject({ version: '2.3', valid: true });
  });

  it('moves what 2.2 cannot hold into <extras info="lheo-2.3"> and the result validates against 2.2', async () => {
    const down = downgradeLheo23to22(rich23);
    const root = parseXmlSafely(down.xml);
    expect(root.ns).toBe(LHEO_NS['2.2']);
    expect(down.losses).toHaveLength(1);
    expect(down.losses[0].code).toBe('LHEO23_ELEMENTS_MOVED_TO_EXTRAS');
    expect(down.losses[0].details).toEqual(
      expect.arrayContaining([
        'lheo/offres[1]/formation[1]/action[1]/@uri',
        'lheo/offres[1]/formation[1]/action[1]/lieu-de-formation[1]/SIRET-lieu-formation',
        'lheo/offres[1]/formation[1]/certification[1]/code-CERTIFINFO',
        'lheo/offres[1]/formation[1]/code-niveau-sortie[1] (niveau 15 → 6)',
      ]),
    );
    const details = down.losses[0].details!.join('\n');
    for (const moved of ['session[1]/cycle', 'action[1]/enseignement', 'action[1]/langue-formation', 'action[1]/organisme-formateur']) expect(details).toContain(moved);
    expect(root.children.length).toBeGreaterThan(0);
    const action = find(root, 'offres/formation/action')!;
    expect(action.children.filter((c) => c.local === 'langue-formation').map((c) => c.text)).toEqual(['fr']);
    expect(action.children.filter((c) => c.local === 'organisme-formateur')).toHaveLength(1);
    expect(action.children.some((c) => c.local === 'enseignement')).toBe(false);
    expect(find(root, 'offres/formation/code-niveau-sortie')?.text).toBe('6');
    expect(find(root, 'offres/formation/action/lieu-de-formation/coordonnees')!.children.map((c) => c.local).slice(0, 2)).toEqual(['ligne', 'adresse']);
    if (hasXmllint) expect(await validateLheo(down.xml)).toMatchObject({ version: '2.2', valid: true });
  });

  it('is undone by the upgrade: 2.3 → 2.2 → 2.3 gives back the same document', async () => {
    const canonical = upgradeLheo22to23(downgradeLheo23to22(rich23).xml).xml;
    expect(upgradeLheo22to23(downgradeLheo23to22(canonical).xml).xml).toBe(canonical);
    const root = parseXmlSafely(canonical);
    expect(find(root, 'offres/formation/code-niveau-sortie')?.text).toBe('15');
    expect(find(root, 'offres/formation/certification/code-CERTIFINFO')?.text).toBe('1900412345');
    const action = find(root, 'offres/formation/action')!;
    expect(action.children.filter((c) => c.local === 'langue-formation').map((c) => c.text)).toEqual(['fr', 'br']);
    expect(action.children.filter((c) => c.local === 'organisme-formateur')).toHaveLength(2);
    expect(find(action, 'enseignement/libelle-enseignement')?.text).toBe('Breton');
    expect(find(action, 'session/cycle')!.children.filter((c) => c.local === 'annee-cycle').map((c) => c.text)).toEqual(['1', '2']);
    expect(find(root, 'offres/formation/action/lieu-de-formation')!.children.map((c) => c.local)).toEqual([
      'SIRET-lieu-formation',
      'code-UAI-lieu-formation',
      'coordonnees',
      'extras',
    ]);
    if (hasXmllint) expect((await validateLheo(canonical)).valid).toBe(true);
  });
});

describe('validateLheo', () => {
  it('reports malformed and foreign documents', async () => {
    expect((await validateLheo('<lheo')).findings[0].code).toBe('LHEO_XML_MALFORMED');
    expect((await validateLheo('<a/>')).findings[0].code).toBe('LHEO_NOT_LHEO');
  });
  (hasXmllint ? it : it.skip)('checks a 2.2 document against the 2.2 XSD, with line numbers', async () => {
    const r = await validateLheo(onisep.replace('<certifiante>1</certifiante>', '<certifiante>9</certifiante>'));
    expect(r.version).toBe('2.2');
    expect(r.valid).toBe(false);
    expect(r.findings[0]).toMatchObject({ code: 'LHEO_XSD_INVALID', line: expect.any(Number) });
  });
});

it('converts LHÉO dates', () => {
  expect(lheoDateToDateTime('20220630')).toBe('2022-06-30T00:00:00');
  expect(lheoDateToDateTime('20190603', '095232')).toBe('2019-06-03T09:52:32');
  expect(lheoDateToDateTime('00000000')).toBeUndefined();
  expect(lheoDateToDateTime('20170900')).toBeUndefined();
});
