/**
 * Interoperability suite, metadata part: every file under
 * ../shared/corpus/{scolomfr/records, lrmi, lheo} is read (or refused with its
 * precise reason) and compared with the outcome written by hand in the table
 * below; the table must name every file, so a new corpus file fails the suite
 * until someone states what it should give. (The vocabularies, migration
 * tables and schemas of the corpus are inputs of the checks, not cases.)
 *
 * ScoLOMFR: `validateScolomfr` (3.1 XSD via xmllint + SKOS vocabularies) →
 * valid or not, with the distinct error and warning codes; then
 * `upgradeScolomfr` (official migration tables) → number of values left
 * unmapped and the validity of the result; every record that is valid once
 * upgraded is read and written again with `writeScolomfrRecord`, and what we
 * write validates against the 3.1 XSD; every record crosses to schema.org.
 * LRMI: `readLrmi` → resources found and finding codes; each resource goes
 * to ScoLOMFR and the record we write validates. LHÉO: 2.2 XSD on the
 * source, `upgradeLheo22to23` → 2.3 XSD on the output, change codes, and the
 * downgrade of that output validates against 2.2 (when the source did) and
 * upgrades back to the same bytes.
 *
 * Where an outcome differs from what SOURCES.md or a test-case folder name
 * says, the comment on the row says why (established by reading the file).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  crosswalkScolomfrToSchemaOrg,
  downgradeLheo23to22,
  findingCodes,
  readLrmi,
  readScolomfr,
  schemaOrgToScolomfr,
  upgradeLheo22to23,
  upgradeScolomfr,
  validateLheo,
  validateScolomfr,
  xmllintAvailable,
  type MetadataFinding,
} from '../libs/formats/src/metadata-index';
import { writeScolomfrRecord } from '../libs/formats/src/scolomfr/scolomfr';

jest.setTimeout(600_000);

const CORPUS = resolve(__dirname, '..', '..', 'shared', 'corpus');
const hasXmllint = xmllintAvailable();

type ScolomfrCase = {
  kind: 'scolomfr';
  valid: boolean;
  errors: string[];
  warnings: string[];
  upgrade: { unmapped: number; valid: boolean; errors: string[] };
  /** Patterns some error message must match (the precise reason). */
  reasons?: RegExp[];
};
type LrmiCase = { kind: 'lrmi'; items: number; findings: string[] };
type LheoCase = { kind: 'lheo'; valid: boolean; xsdErrors: number; upgrade: { valid: boolean; xsdErrors: number; changes: string[] }; reasons?: RegExp[] };
type Case = ScolomfrCase | LrmiCase | LheoCase;

const scolomfr = (valid: boolean, errors: string[], warnings: string[], upgrade: ScolomfrCase['upgrade'], reasons?: RegExp[]): ScolomfrCase => ({
  kind: 'scolomfr',
  valid,
  errors,
  warnings,
  upgrade,
  ...(reasons ? { reasons } : {}),
});
const lrmi = (items: number, findings: string[]): LrmiCase => ({ kind: 'lrmi', items, findings });
const lheo = (valid: boolean, xsdErrors: number, upgrade: LheoCase['upgrade'], reasons?: RegExp[]): LheoCase => ({ kind: 'lheo', valid, xsdErrors, upgrade, ...(reasons ? { reasons } : {}) });

const LEGACY_1X = ['SCOLOMFR_LEGACY_VALUE', 'SCOLOMFR_XSD_INVALID'];
const CLEAN = { unmapped: 0, valid: true, errors: [] };
/** The ScoLOMFR v2 "strict" example and the scolomfr3utils copies of it: URIs on their own lines, ISO 639-1 language URIs, `text/xhtml` (not in vocabulary 006, left as is by the upgrade). */
const V2_EXAMPLE_WARNINGS = ['SCOLOMFR_LABEL_MISMATCH', 'SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_UNKNOWN_FORMAT', 'SCOLOMFR_VALUE_WHITESPACE'];

const EXPECTED: Record<string, Case> = {
  // --- ScoLOMFR 1.x (Educasources / CNDP): invalid as 3.1 (labels and LOM values instead of concept URIs,
  //     languages as `fre`), valid once upgraded with the official migration tables, except as noted.
  'scolomfr/records/educasources-scolomfr1.x/appel-hanovre-87451.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN, [/'final' is not a valid value/]),
  'scolomfr/records/educasources-scolomfr1.x/bnf-159803.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN, [/'article' is not a valid value/]),
  'scolomfr/records/educasources-scolomfr1.x/charte-leipzig-159132.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  // a taxon id of vocabulary 014 that no 3.1 concept carries any more (scolomfr-voc-014-num-00065): kept, reported
  'scolomfr/records/educasources-scolomfr1.x/cuisson1.xml': scolomfr(false, [...LEGACY_1X, 'SCOLOMFR_TAXON_NOT_IN_VOCABULARY'].sort(), ['SCOLOMFR_LANGUAGE_NOT_URI'], {
    unmapped: 1,
    valid: false,
    errors: ['SCOLOMFR_TAXON_NOT_IN_VOCABULARY'],
  }),
  'scolomfr/records/educasources-scolomfr1.x/darwin-161986.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/educasources-scolomfr1.x/eau_dans_tous_ses_etats.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_VALUE_WHITESPACE'], CLEAN),
  // purpose « enseignement » = concept withdrawn in 3.1 (replaced by domaine d'enseignement); video/x-ms-asf not in vocabulary 006 (kept)
  'scolomfr/records/educasources-scolomfr1.x/ecriture-maternelle-159857.xml': scolomfr(
    false,
    ['SCOLOMFR_DEPRECATED_CONCEPT', ...LEGACY_1X],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_UNKNOWN_FORMAT'],
    { unmapped: 1, valid: true, errors: [] },
  ),
  'scolomfr/records/educasources-scolomfr1.x/energie-158971.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/educasources-scolomfr1.x/esclavage.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/educasources-scolomfr1.x/extraction-scolomfr-educasources-141409.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/educasources-scolomfr1.x/extraction-scolomfr-educasources-141819.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_UNKNOWN_FORMAT'], {
    unmapped: 1,
    valid: true,
    errors: [],
  }),
  'scolomfr/records/educasources-scolomfr1.x/extraction-scolomfr-educasources-79726.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/educasources-scolomfr1.x/extraction-scolomfr-educasources-88183.xml': scolomfr(false, ['SCOLOMFR_DEPRECATED_CONCEPT', ...LEGACY_1X], ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/educasources-scolomfr1.x/extraction-scolomfr-educasources-89282.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  // context « vocational training » (LOM) has no 3.1 concept: dropped by the upgrade, reported
  'scolomfr/records/educasources-scolomfr1.x/extraction-scolomfr-educasources-90524.xml': scolomfr(
    false,
    ['SCOLOMFR_LEGACY_VALUE', 'SCOLOMFR_VALUE_NOT_IN_VOCABULARY', 'SCOLOMFR_XSD_INVALID'],
    ['SCOLOMFR_LANGUAGE_NOT_URI'],
    { unmapped: 1, valid: true, errors: [] },
  ),
  'scolomfr/records/educasources-scolomfr1.x/floraisons-162075.xml': scolomfr(
    false,
    ['SCOLOMFR_DEPRECATED_CONCEPT', ...LEGACY_1X],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_UNKNOWN_FORMAT'],
    { unmapped: 1, valid: true, errors: [] },
  ),
  'scolomfr/records/educasources-scolomfr1.x/gaz-schiste-158905.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  // general resource type « guide » has no 3.1 concept (dropped); relation/resource holds a malformed identifier
  // (`<identifier>URI</identifier><entry/>`) that no upgrade can repair: still XSD-invalid afterwards
  'scolomfr/records/educasources-scolomfr1.x/imsld-package_mdata_definition_base.xml': scolomfr(
    false,
    ['SCOLOMFR_LEGACY_VALUE', 'SCOLOMFR_VALUE_NOT_IN_VOCABULARY', 'SCOLOMFR_XSD_INVALID'],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_UNKNOWN_FORMAT'],
    { unmapped: 2, valid: false, errors: ['SCOLOMFR_XSD_INVALID'] },
    [/identifier'?: Character content other than whitespace/],
  ),
  'scolomfr/records/educasources-scolomfr1.x/several_formats.xml': scolomfr(false, LEGACY_1X, ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),

  // --- real-world and official records
  // neteduc export: URIs followed by a line break (warnings, trimmed by the upgrade). SOURCES.md attributes its
  // invalidity to that whitespace; xmllint shows the actual cause: purpose scolomfr-voc-028-num-004, a concept
  // withdrawn in 3.1 (replaced by 028-num-003). Valid once upgraded.
  'scolomfr/records/neteduc_echanges-organes-sang.xml': scolomfr(false, ['SCOLOMFR_DEPRECATED_CONCEPT', 'SCOLOMFR_XSD_INVALID'], ['SCOLOMFR_VALUE_WHITESPACE'], CLEAN, [
    /scolomfr-voc-028-num-004/,
  ]),
  // one label is written as the concept URI (aggregation level): warning only
  'scolomfr/records/official_ExempleManuelReferenceScoLOMFRv3-1.xml': scolomfr(true, [], ['SCOLOMFR_LABEL_MISMATCH'], CLEAN),
  'scolomfr/records/official_exemple_ScoLOMFRv2_strict_HarryPotter.xml': scolomfr(true, [], V2_EXAMPLE_WARNINGS, { unmapped: 1, valid: true, errors: [] }),

  // --- scolomfr3utils test cases (written for ScoLOMFR 3.0 and that tool's rules)
  'scolomfr/records/scolomfr3utils-testcases/1/invalid/double-general.xml': scolomfr(
    false,
    ['SCOLOMFR_DUPLICATE_CATEGORY', 'SCOLOMFR_XSD_INVALID'],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_UNKNOWN_FORMAT', 'SCOLOMFR_VALUE_WHITESPACE'],
    { unmapped: 1, valid: false, errors: ['SCOLOMFR_DUPLICATE_CATEGORY', 'SCOLOMFR_XSD_INVALID'] },
    [/Duplicate key-sequence \['general'\]/],
  ),
  'scolomfr/records/scolomfr3utils-testcases/9/invalid/classification-with-invalid-resource-as-vocabulary.xml': scolomfr(
    false,
    ['SCOLOMFR_TAXONPATH_SOURCE_NOT_A_VOCABULARY'],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_VALUE_WHITESPACE'],
    { unmapped: 0, valid: false, errors: ['SCOLOMFR_TAXONPATH_SOURCE_NOT_A_VOCABULARY'] },
  ),
  'scolomfr/records/scolomfr3utils-testcases/9/invalid/classification-with-wrong-purpose.xml': scolomfr(
    false,
    ['SCOLOMFR_TAXON_NOT_IN_VOCABULARY'],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_PURPOSE_VOCABULARY_MISMATCH', 'SCOLOMFR_VALUE_WHITESPACE'],
    { unmapped: 4, valid: false, errors: ['SCOLOMFR_TAXON_NOT_IN_VOCABULARY'] },
  ),
  'scolomfr/records/scolomfr3utils-testcases/9/invalid/non-consecutive-taxons.xml': scolomfr(
    false,
    ['SCOLOMFR_TAXONS_NOT_CONSECUTIVE'],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_VALUE_WHITESPACE'],
    { unmapped: 0, valid: false, errors: ['SCOLOMFR_TAXONS_NOT_CONSECUTIVE'] },
  ),
  'scolomfr/records/scolomfr3utils-testcases/9/invalid/taxon-non-member-of-vocabulary.xml': scolomfr(
    false,
    ['SCOLOMFR_TAXON_NOT_IN_VOCABULARY'],
    ['SCOLOMFR_LABEL_MISMATCH', 'SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_VALUE_WHITESPACE'],
    { unmapped: 3, valid: false, errors: ['SCOLOMFR_TAXON_NOT_IN_VOCABULARY'] },
  ),
  // scolomfr3utils calls it invalid (CECRL taxons under the purpose « compétence »); in the 3.1 vocabularies every
  // taxon is a concept of vocabulary 042 and « compétence » names no vocabulary, so there is nothing to report
  'scolomfr/records/scolomfr3utils-testcases/9/invalid/wrong-vocabulary-by-detection.xml': scolomfr(true, [], V2_EXAMPLE_WARNINGS, { unmapped: 1, valid: true, errors: [] }),
  'scolomfr/records/scolomfr3utils-testcases/9/valid/classification-with-right-purpose.xml': scolomfr(true, [], ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_VALUE_WHITESPACE'], CLEAN),
  'scolomfr/records/scolomfr3utils-testcases/9/valid/consecutive-taxons.xml': scolomfr(true, [], ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_VALUE_WHITESPACE'], CLEAN),
  // purpose « domaine d'enseignement » (vocabulary 015) over taxons of 022: a warning, as scolomfr3utils accepts it
  'scolomfr/records/scolomfr3utils-testcases/9/valid/taxon-member-of-vocabulary-by-label.xml': scolomfr(
    true,
    [],
    ['SCOLOMFR_LABEL_MISMATCH', 'SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_PURPOSE_VOCABULARY_MISMATCH', 'SCOLOMFR_VALUE_WHITESPACE'],
    CLEAN,
  ),
  'scolomfr/records/scolomfr3utils-testcases/9/valid/taxon-member-of-vocabulary.xml': scolomfr(
    true,
    [],
    ['SCOLOMFR_LABEL_MISMATCH', 'SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_PURPOSE_VOCABULARY_MISMATCH', 'SCOLOMFR_VALUE_WHITESPACE'],
    CLEAN,
  ),
  'scolomfr/records/scolomfr3utils-testcases/9/valid/taxonpath-without-source.xml': scolomfr(
    true,
    [],
    ['SCOLOMFR_LABEL_MISMATCH', 'SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_PURPOSE_VOCABULARY_MISMATCH', 'SCOLOMFR_VALUE_WHITESPACE'],
    CLEAN,
  ),
  // valid for scolomfr3utils (3.0), but its purpose is the concept withdrawn in 3.1 (028-num-004): fixed by the upgrade
  'scolomfr/records/scolomfr3utils-testcases/9/valid/unknown-taxons.xml': scolomfr(false, ['SCOLOMFR_DEPRECATED_CONCEPT', 'SCOLOMFR_XSD_INVALID'], ['SCOLOMFR_VALUE_WHITESPACE'], CLEAN),
  'scolomfr/records/scolomfr3utils-testcases/9/warning/classification-without-purpose.xml': scolomfr(
    true,
    [],
    ['SCOLOMFR_CLASSIFICATION_WITHOUT_PURPOSE', 'SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_VALUE_WHITESPACE'],
    CLEAN,
  ),
  // byte-identical copy of the neteduc record
  'scolomfr/records/scolomfr3utils-testcases/any/valid/echanges.xml': scolomfr(false, ['SCOLOMFR_DEPRECATED_CONCEPT', 'SCOLOMFR_XSD_INVALID'], ['SCOLOMFR_VALUE_WHITESPACE'], CLEAN),
  'scolomfr/records/scolomfr3utils-testcases/any/valid/exemple.xml': scolomfr(true, [], V2_EXAMPLE_WARNINGS, { unmapped: 1, valid: true, errors: [] }),
  // labels « cours » for 3 - Cours: a warning here (labels are free text in the 3.1 XSD)
  'scolomfr/records/scolomfr3utils-testcases/labels/invalid/exemple.xml': scolomfr(true, [], V2_EXAMPLE_WARNINGS, { unmapped: 1, valid: true, errors: [] }),
  'scolomfr/records/scolomfr3utils-testcases/labels/valid/exemple.xml': scolomfr(
    true,
    [],
    ['SCOLOMFR_LANGUAGE_NOT_URI', 'SCOLOMFR_UNKNOWN_FORMAT', 'SCOLOMFR_VALUE_WHITESPACE'],
    { unmapped: 1, valid: true, errors: [] },
  ),
  'scolomfr/records/scolomfr3utils-testcases/vcards/valid/exemple.xml': scolomfr(true, [], V2_EXAMPLE_WARNINGS, { unmapped: 1, valid: true, errors: [] }),
  'scolomfr/records/scolomfr3utils-testcases/version/valid/no-metadataschema.xml': scolomfr(true, [], ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/scolomfr3utils-testcases/version/valid/only-one-metadataschema.xml': scolomfr(true, [], ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),
  'scolomfr/records/scolomfr3utils-testcases/version/valid/two-metadataschemas.xml': scolomfr(true, [], ['SCOLOMFR_LANGUAGE_NOT_URI'], CLEAN),

  // --- DCMI LRMI examples
  // "AlignmentObject" used as a property name (read as educationalAlignment); "inLanguage": "English"
  'lrmi/examples/LRexample01.jsonld': lrmi(1, ['LRMI_TYPE_USED_AS_PROPERTY', 'LRMI_LANGUAGE_NOT_A_CODE']),
  // "schema:" prefixed properties; "datePublished": "October 4, 2006"
  'lrmi/examples/LRexample01a.json-ld': lrmi(1, ['LRMI_DATE_NOT_ISO']),
  // "educationalFramework": " Curriculum for Excellence" (leading space); "timeRequired": "1 hour"
  'lrmi/examples/alignmentsUK_jsonld.json': lrmi(1, ['LRMI_VALUE_WHITESPACE', 'LRMI_DURATION_NOT_ISO']),
  // two JSON-LD script blocks (the third example has none)
  'lrmi/examples/sdo-lrmi-examples.txt': lrmi(2, ['LRMI_VALUE_WHITESPACE', 'LRMI_DURATION_NOT_ISO']),
  'lrmi/examples/type+audience+level_jsonld.json': lrmi(1, []),

  // --- LHÉO 2.2 feeds
  // the negative test: <coordonneFs> typo, two 15-character SIRET, an <adresse> out of place; the same in 2.3
  'lheo/anotea_intercarif-data-test_2.2.xml': lheo(false, 4, { valid: false, xsdErrors: 4, changes: ['NAMESPACE', 'LEVEL_MAPPED', 'DATE_INFORMATION_REMOVED'] }, [
    /coordonneFs/,
    /length of '15'/,
    /'\{http:\/\/www\.lheo\.org\/2\.2\}adresse': This element is not expected/,
  ]),
  // FLUX-CARIF date-export + heure-export → horodatage-export
  'lheo/intercariforef_lheo-index_2.2.xml': lheo(true, 0, { valid: true, xsdErrors: 0, changes: ['NAMESPACE', 'EXPORT_DATE_TO_ATTRIBUTE', 'LEVEL_MAPPED'] }),
  'lheo/intercariforef_lheo-index_single-offer_2.2.xml': lheo(true, 0, { valid: true, xsdErrors: 0, changes: ['NAMESPACE', 'EXPORT_DATE_TO_ATTRIBUTE'] }),
  // DATE EXPORT ONISEP extra → horodatage-export; the school name in coordonnees/ligne → adresse/denomination
  'lheo/onisep_exemple-bts-nrc_lheo-2.2.xml': lheo(true, 0, { valid: true, xsdErrors: 0, changes: ['NAMESPACE', 'EXPORT_DATE_TO_ATTRIBUTE', 'DENOMINATION_PROMOTED', 'LEVEL_MAPPED'] }),
};

const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const errorsOf = (f: MetadataFinding[]) => f.filter((x) => x.severity === 'error');

(hasXmllint ? describe : describe.skip)('interop: metadata corpus (ScoLOMFR, LRMI, LHÉO)', () => {
  it('the table names every file of scolomfr/records, lrmi and lheo, and nothing else', () => {
    const files = ['scolomfr/records', 'lrmi', 'lheo'].flatMap((d) => walk(join(CORPUS, d))).map((f) => relative(CORPUS, f)).sort();
    expect(files.length).toBeGreaterThan(0);
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  describe.each(Object.entries(EXPECTED).filter(([, c]) => c.kind === 'scolomfr') as [string, ScolomfrCase][])('%s', (file, want) => {
    const data = () => readFileSync(join(CORPUS, file));

    it(`validates ${want.valid ? 'as' : 'as not'} ScoLOMFR 3.1, for the expected reasons`, async () => {
      const r = await validateScolomfr(data());
      expect(r.xsd.checked).toBe(true);
      expect({ valid: r.valid, errors: findingCodes(r.findings, 'error'), warnings: findingCodes(r.findings, 'warning') }).toEqual({
        valid: want.valid,
        errors: [...want.errors].sort(),
        warnings: [...want.warnings].sort(),
      });
      for (const re of want.reasons ?? []) expect(errorsOf(r.findings).some((f) => re.test(f.message))).toBe(true);
      for (const f of errorsOf(r.findings)) expect(f.message.length).toBeGreaterThan(10);
    });

    it(`upgrades with ${want.upgrade.unmapped} value(s) unmapped, ${want.upgrade.valid ? 'valid' : 'still invalid'} afterwards; what we write validates`, async () => {
      const u = upgradeScolomfr(data());
      expect(u.unmapped).toHaveLength(want.upgrade.unmapped);
      for (const x of u.unmapped) expect(x).toEqual(expect.objectContaining({ path: expect.stringMatching(/^lom\//), value: expect.any(String), reason: expect.any(String) }));
      const after = await validateScolomfr(u.xml);
      expect({ valid: after.valid, errors: findingCodes(after.findings, 'error') }).toEqual({ valid: want.upgrade.valid, errors: [...want.upgrade.errors].sort() });
      const { record } = readScolomfr(u.xml);
      if (want.upgrade.valid) {
        const written = await validateScolomfr(writeScolomfrRecord(record));
        expect(errorsOf(written.findings)).toEqual([]);
      }
      const { jsonld } = crosswalkScolomfrToSchemaOrg(record);
      expect(jsonld).toMatchObject({ '@context': 'https://schema.org/', '@type': 'LearningResource' });
    });
  });

  describe.each(Object.entries(EXPECTED).filter(([, c]) => c.kind === 'lrmi') as [string, LrmiCase][])('%s', (file, want) => {
    it(`reads ${want.items} resource(s) with the expected findings, each becomes a valid ScoLOMFR record`, async () => {
      const r = readLrmi(readFileSync(join(CORPUS, file)));
      expect({ items: r.items.length, findings: r.findings.map((f) => f.code) }).toEqual({ items: want.items, findings: want.findings });
      for (const item of r.items) {
        const { record } = schemaOrgToScolomfr(item);
        const v = await validateScolomfr(writeScolomfrRecord(record));
        expect(v.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      }
    });
  });

  describe.each(Object.entries(EXPECTED).filter(([, c]) => c.kind === 'lheo') as [string, LheoCase][])('%s', (file, want) => {
    it(`is ${want.valid ? 'valid' : `invalid (${want.xsdErrors} XSD errors)`} LHÉO 2.2 and upgrades to ${want.upgrade.valid ? 'valid' : 'invalid'} 2.3; the downgrade comes back`, async () => {
      const src = readFileSync(join(CORPUS, file));
      const v22 = await validateLheo(src);
      expect({ version: v22.version, valid: v22.valid, errors: v22.findings.length }).toEqual({ version: '2.2', valid: want.valid, errors: want.xsdErrors });
      for (const re of want.reasons ?? []) expect(v22.findings.some((f) => re.test(f.message))).toBe(true);
      const up = upgradeLheo22to23(src);
      const v23 = await validateLheo(up.xml);
      expect({ version: v23.version, valid: v23.valid, errors: v23.findings.length, changes: [...new Set(up.changes.map((c) => c.code))] }).toEqual({
        version: '2.3',
        valid: want.upgrade.valid,
        errors: want.upgrade.xsdErrors,
        changes: want.upgrade.changes,
      });
      const down = downgradeLheo23to22(up.xml);
      expect(down.losses.map((l) => l.code)).toEqual(down.losses.length > 0 ? ['LHEO23_ELEMENTS_MOVED_TO_EXTRAS'] : []);
      expect((await validateLheo(down.xml)).valid).toBe(want.valid);
      expect(upgradeLheo22to23(down.xml).xml).toBe(up.xml);
    });
  });
});
