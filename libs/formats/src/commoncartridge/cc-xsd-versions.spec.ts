/**
 * Every package the writer produces validates against the official XSDs of
 * its own version (CC 1.0, 1.1, 1.3 in ../shared/corpus/schemas/commoncartridge/):
 * the manifest and every descriptor. These are the schemas Moodle checks an
 * incoming cartridge with before importing it; a package they refuse is
 * refused whole. xmllint is installed by .ci/run: these tests do not skip.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectAndInspect } from '../inspect';
import { CORPUS_DIR } from '../testing/xmllint';
import { openZipSafely } from '../zip/safe-zip';
import { writeDeterministicZip } from '../zip/deterministic-zip';
import { convertCommonCartridge } from './cc-convert';
import { CcWriteVersion } from './cc-types';
import { validateCommonCartridge } from './cc-validate';
import { writeCommonCartridge } from './cc-writer';
import { fullCourse } from '../testing/cc-fixtures';

jest.setTimeout(300_000);

const VERSIONS: CcWriteVersion[] = ['1.0', '1.1', '1.3'];
const PACKAGES = join(CORPUS_DIR, 'commoncartridge/packages');
const EXTRACTED = join(CORPUS_DIR, 'commoncartridge/extracted');
const SOURCES = [
  ...readdirSync(PACKAGES).filter((f) => f.endsWith('.imscc')).map((f) => join(PACKAGES, f)),
  ...readdirSync(EXTRACTED).map((d) => join(EXTRACTED, d)),
];

async function xsdErrors(zip: Buffer | string): Promise<{ version: string; documents: number; errors: string[] }> {
  const v = await validateCommonCartridge(zip);
  expect(v.xsd.checked).toBe(true);
  return { version: v.version, documents: v.xsd.documents, errors: v.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.path}: ${f.message}`) };
}

/** Rewrites one entry of a zip (tampering tests). */
async function patch(zip: Buffer, name: string, edit: (text: string) => string): Promise<Buffer> {
  const z = await openZipSafely(zip);
  try {
    const entries = [];
    for (const e of z.entries) entries.push({ name: e.name, data: e.name === name ? edit((await z.read(e.name, 1 << 26)).toString('utf8')) : await z.read(e.name, 1 << 26) });
    return writeDeterministicZip(entries);
  } finally {
    z.close();
  }
}

describe('written packages validate against the XSDs of their own version', () => {
  it.each(VERSIONS)('the complete course (every item kind, an author, a bank) in CC %s', async (version) => {
    const zip = await writeCommonCartridge({ ...fullCourse, author: 'Marie Dupont' }, { version });
    const r = await xsdErrors(zip);
    expect(r.version).toBe(version);
    expect(r.errors).toEqual([]);
    // 1.0 / 1.1: manifest + web links + topic + quiz + bank (+ LTI in 1.1); 1.3: manifest + web link + topic
    // (no QTI XSD in the 1.3 set; its QTI is checked by the profile rules).
    expect(r.documents).toBeGreaterThanOrEqual(version === '1.3' ? 3 : 5);
  });

  it('CC 1.1: a role with <source> and intendeduse="assignment" are what the 1.1 XSD refuses (defects 1 and 2)', async () => {
    const zip = await writeCommonCartridge({ ...fullCourse, author: 'Marie Dupont' }, { version: '1.1' });
    const manifest = (await (await openZipSafely(zip)).read('imsmanifest.xml', 1 << 20)).toString('utf8');
    expect(manifest).toContain('<lomimscc:role>\n');
    expect(manifest).not.toContain('<lomimscc:source>');
    expect(manifest).not.toContain('intendeduse="assignment"');
    const withSource = await patch(zip, 'imsmanifest.xml', (t) => t.replace('<lomimscc:value>author', '<lomimscc:source>LOMv1.0</lomimscc:source><lomimscc:value>author'));
    expect((await xsdErrors(withSource)).errors.join('\n')).toMatch(/source.*not expected/);
    const withAssignment = await patch(zip, 'imsmanifest.xml', (t) => t.replace('type="webcontent" href="wiki_content/devoir-maison.html"', 'type="webcontent" href="wiki_content/devoir-maison.html" intendeduse="assignment"'));
    expect((await xsdErrors(withAssignment)).errors.join('\n')).toMatch(/intendeduse/);
  });

  it('CC 1.0: no intendeduse, and descriptor children unqualified, as its XSDs require', async () => {
    const zip = await writeCommonCartridge({ ...fullCourse, extraResources: [fullCourse.extraResources![0], { kind: 'page', title: 'Plan', html: '<p>x</p>', intendedUse: 'lessonplan' }] }, { version: '1.0' });
    expect((await xsdErrors(zip)).errors).toEqual([]);
    const withUse = await patch(zip, 'imsmanifest.xml', (t) => t.replace('type="webcontent"', 'type="webcontent" intendeduse="lessonplan"'));
    expect((await xsdErrors(withUse)).errors.join('\n')).toMatch(/intendeduse/);
    const z = await openZipSafely(zip);
    const topic = z.entries.map((e) => e.name).find((n) => n.endsWith('topic.xml'))!;
    z.close();
    const qualified = await patch(zip, topic, (t) => t.replace('<d:topic xmlns:d=', '<d:topic xmlns="http://www.imsglobal.org/xsd/imsdt_v1p0" xmlns:d='));
    expect((await xsdErrors(qualified)).errors.join('\n')).toMatch(/XSD_INVALID/);
  });

  it('CC 1.0 and 1.1 descriptors of another version are refused (XSD_NAMESPACE)', async () => {
    const zip = await writeCommonCartridge(fullCourse, { version: '1.1' });
    const z = await openZipSafely(zip);
    const weblink = z.entries.map((e) => e.name).find((n) => n.endsWith('weblink.xml'))!;
    z.close();
    const wrong = await patch(zip, weblink, (t) => t.replace(/imsccv1p1\/imswl_v1p1/g, 'imsccv1p3/imswl_v1p3'));
    expect((await xsdErrors(wrong)).errors.join('\n')).toMatch(/XSD_NAMESPACE/);
  });
});

describe('inspect validates CC 1.0 and 1.1 against their XSDs as it does 1.3 (defect 6)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'cc-inspect-versions-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(['1.0', '1.1'] as const)('CC %s: valid output checked, a manifest the XSD refuses is invalid', async (version) => {
    const zip = await writeCommonCartridge({ ...fullCourse, author: 'Marie Dupont' }, { version });
    const good = join(work, `good-${version}.imscc`);
    writeFileSync(good, zip);
    const ok = await detectAndInspect(good);
    expect(ok).toMatchObject({ format: `imscc-${version}`, valid: true, validation: { xsd: { checked: true } } });
    const bad = join(work, `bad-${version}.imscc`);
    writeFileSync(bad, await patch(zip, 'imsmanifest.xml', (t) => t.replace('structure="rooted-hierarchy"', 'structure="hierarchical"')));
    const ko = await detectAndInspect(bad);
    expect(ko).toMatchObject({ format: `imscc-${version}`, valid: false, validation: { xsd: { checked: true } } });
    expect(ko.findings.filter((f) => f.code === 'XSD_INVALID').length).toBeGreaterThan(0);
  });
});

describe('every conversion of the real corpus packages validates against its target version', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'cc-xsd-versions-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(SOURCES.flatMap((s) => VERSIONS.map((v) => [s.slice(CORPUS_DIR.length + 1), v] as const)))('%s → CC %s', async (source, version) => {
    const out = join(work, `${source.replace(/\W+/g, '_')}-${version}.imscc`);
    const r = await convertCommonCartridge(join(CORPUS_DIR, source), { to: version, outPath: out });
    expect(r.to).toBe(version);
    const v = await xsdErrors(out);
    expect(v.version).toBe(version);
    expect(v.errors).toEqual([]);
  });
});
