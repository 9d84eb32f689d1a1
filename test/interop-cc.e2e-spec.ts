/**
 * Interoperability suite, Common Cartridge part: every file and folder of
 * ../shared/corpus/commoncartridge is read (or refused with its precise
 * reason) and compared with the outcome written by hand below; the list must
 * name every corpus file, so a new one fails the suite until someone states
 * what it should give. Then round trips (read → write 1.3 / 1.1 → read keeps
 * the outline, titles, files and links, and our 1.3 validates against the
 * official XSDs), and the command-line tool run as a child process.
 *
 * Expected values were established by reading each manifest (see
 * ../shared/corpus/SOURCES.md for what each file is and its known defects).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import {
  CcCartridge,
  convertCommonCartridge,
  openCommonCartridge,
  readCommonCartridge,
  validateCommonCartridge13,
  writeDeterministicZip,
  xmllintStatus,
} from '@ent/formats';

jest.setTimeout(180_000);

const REPO = resolve(__dirname, '..');
const CORPUS = resolve(__dirname, '..', '..', 'shared', 'corpus');
const CC = join(CORPUS, 'commoncartridge');
const CLI = join(REPO, 'dist', 'libs', 'formats', 'src', 'cli', 'main.js');
const hasXmllint = xmllintStatus().ok;

type Counts = Record<string, number>;

interface Expected {
  /** Path under corpus/commoncartridge (a folder for extracted cartridges). */
  path: string;
  source: CcCartridge['source'];
  version: CcCartridge['version'];
  title: string;
  /** Outline items below the root / those pointing at a resource. */
  items: number;
  learningObjects: number;
  resources: number;
  /** Regular files in the package (0 for a manifest alone). */
  files: number;
  byKind: Counts;
  /** Reader findings of severity error, by code (exact). */
  errors: Counts;
  /** Reader findings of severity warning: the set of codes (exact). */
  warnings: string[];
  /** CC 1.3 only: valid against XSD + profile, and the profile errors by code (exact). */
  cc13?: { valid: boolean; profileErrors: Counts; xsdErrors: boolean };
  why: string;
}

const TABLE: Expected[] = [
  // --- packages -------------------------------------------------------------------------------
  {
    path: 'packages/allyworkshop_canvas_cc1.3.imscc',
    source: 'package',
    version: '1.3',
    title: 'Ally: Accessibility Workshop',
    items: 14,
    learningObjects: 10,
    resources: 48,
    files: 54,
    byKind: { 'associated-content': 5, webcontent: 38, discussion: 4, lti: 1 },
    errors: { CC_DANGLING_IDENTIFIERREF: 1 },
    warnings: [],
    cc13: { valid: false, profileErrors: { CC13_IDENTIFIERREF: 1 }, xsdErrors: true },
    why: 'real Canvas course: 1.1 type strings in a 1.3 manifest (XSD enumeration), 1.1 descriptors, one item points at an LTI resource that was not exported',
  },
  {
    path: 'packages/canvas_cc_gem_course_cc1.1.imscc',
    source: 'package',
    version: '1.1',
    title: 'Canvas CC Gem Course',
    items: 0,
    learningObjects: 0,
    resources: 5,
    files: 15,
    byKind: { 'associated-content': 5 },
    errors: { CC_MISSING_FILE: 1 },
    warnings: [],
    why: 'canvas_cc gem output: empty organizations, assignments as associated content, course_settings/syllabus.html listed but absent',
  },
  {
    path: 'packages/canvas_large_cc1.3.imscc',
    source: 'package',
    version: '1.3',
    title: 'Loaded Course',
    items: 14,
    learningObjects: 11,
    resources: 120,
    files: 147,
    byKind: { 'associated-content': 52, webcontent: 18, assignment: 14, discussion: 17, weblink: 1, assessment: 17, lti: 1 },
    errors: { CC_DANGLING_IDENTIFIERREF: 2 },
    warnings: [],
    cc13: { valid: false, profileErrors: { CC13_IDENTIFIERREF: 2, CC13_QTI_NO_ITEM: 1 }, xsdErrors: true },
    why: 'Canvas export: mixed 1.1/1.3 types, assignment_xmlv1p0, two items point at external tools not in the manifest, one empty quiz',
  },
  {
    path: 'packages/canvas_small_cc1.1.imscc',
    source: 'package',
    version: '1.1',
    title: 'Common Cartridge Test Data Set - Validation Cartridge 1',
    items: 18,
    learningObjects: 12,
    resources: 16,
    files: 25,
    byKind: { webcontent: 6, assessment: 1, 'question-bank': 1, weblink: 3, discussion: 2, 'associated-content': 1, lti: 2 },
    errors: { CC_MISSING_FILE: 1 },
    warnings: ['CC_DUPLICATE_ITEM_IDENTIFIER'],
    why: 'IMS validation cartridge 1: every resource type; the I_00008_R weblink descriptor is missing and item I_00010 is used twice',
  },
  {
    path: 'packages/negative/canvas_small_cc1.1.corrupt.imscc',
    source: 'package',
    version: '1.1',
    title: 'Common Cartridge Test Data Set - Validation Cartridge 1',
    items: 18,
    learningObjects: 12,
    resources: 16,
    files: 5,
    byKind: { webcontent: 6, assessment: 1, 'question-bank': 1, weblink: 3, discussion: 2, 'associated-content': 1, lti: 2 },
    errors: { CC_MISSING_FILE: 16 },
    warnings: ['CC_DUPLICATE_ITEM_IDENTIFIER'],
    why: 'negative: the zip is intact but 16 files the manifest lists were stripped (only empty folders remain)',
  },
  // --- manifests alone ------------------------------------------------------------------------
  {
    path: 'manifests/canvas_cc1.3thin_package_identifier.xml',
    source: 'manifest',
    version: 'thin-1.3',
    title: 'Sample Course',
    items: 0,
    learningObjects: 0,
    resources: 0,
    files: 0,
    byKind: {},
    errors: {},
    warnings: ['CC_MISSING_ELEMENT'],
    cc13: { valid: false, profileErrors: {}, xsdErrors: true },
    why: 'Thin CC header only: no organizations, no resources (required by the XSD)',
  },
  {
    path: 'manifests/canvas_flat_imsmanifest_cc1.3_inline-resources.xml',
    source: 'manifest',
    version: '1.3',
    title: 'Common Cartridge Test',
    items: 5,
    learningObjects: 4,
    resources: 5,
    files: 0,
    byKind: { assignment: 1, discussion: 1, weblink: 1, lti: 1, webcontent: 1 },
    errors: {},
    warnings: [],
    cc13: { valid: true, profileErrors: {}, xsdErrors: false },
    why: '"flat" 1.3: inline assignment, topic, web link and LTI; valid (the LTI and assignment XSDs are not in the set: reported as unchecked)',
  },
  {
    path: 'manifests/ims_thincc1.3_test05_imsmanifest.xml',
    source: 'manifest',
    version: 'thin-1.3',
    title: 'Thin CC Test Manifest (Test 05)',
    items: 10,
    learningObjects: 10,
    resources: 10,
    files: 0,
    byKind: { lti: 5, weblink: 5 },
    errors: {},
    warnings: [],
    cc13: { valid: true, profileErrors: {}, xsdErrors: false },
    why: 'official IMS Thin CC test 05: 5 inline LTI links + 5 inline web links, curriculum standards metadata',
  },
  {
    path: 'manifests/pyslet_cc1.0_sample1_imsmanifest.xml',
    source: 'manifest',
    version: '1.0',
    title: '',
    items: 0,
    learningObjects: 0,
    resources: 7,
    files: 0,
    byKind: { webcontent: 2, discussion: 1, 'associated-content': 2, assessment: 2 },
    errors: {},
    warnings: ['CC_NO_SCHEMAVERSION', 'CC_NO_TITLE'],
    why: 'CC 1.0 in the plain IMS CP namespace without metadata: version inferred from the v1p0 resource types',
  },
  {
    path: 'manifests/pyslet_cc1.1_sample1_imsmanifest.xml',
    source: 'manifest',
    version: '1.1',
    title: '',
    items: 0,
    learningObjects: 0,
    resources: 7,
    files: 0,
    byKind: { webcontent: 2, discussion: 1, 'associated-content': 2, assessment: 2 },
    errors: {},
    warnings: ['CC_NO_TITLE'],
    why: 'CC 1.1 sample with an empty LOM (no title) and no organization',
  },
  // --- extracted folders ----------------------------------------------------------------------
  {
    path: 'extracted/cc2olx-corner_cases',
    source: 'directory',
    version: '1.3',
    title: 'Corner cases Common Cartridge',
    items: 6,
    learningObjects: 5,
    resources: 5,
    files: 3,
    byKind: { webcontent: 2, unknown: 2, assessment: 1 },
    errors: { CC_MISSING_FILE: 2 },
    warnings: ['CC_RESOURCE_TYPE_UNKNOWN'],
    cc13: { valid: false, profileErrors: { CC13_FILE_MISSING: 1, CC13_RESOURCE_TYPE: 2, CC13_RULE_10A: 1, CC13_QTI_RULE_2B: 1 }, xsdErrors: true },
    why: 'corner cases: unknown resource type imsunknwn_xmlv1p3 (kept as unknown), a QTI item of a non-CC profile, missing files',
  },
  {
    path: 'extracted/cc2olx-main',
    source: 'directory',
    version: '1.3',
    title: 'Course',
    items: 31,
    learningObjects: 27,
    resources: 28,
    files: 38,
    byKind: { 'associated-content': 3, lti: 3, webcontent: 10, assessment: 2, discussion: 1, weblink: 7, assignment: 2 },
    errors: { CC_MISSING_FILE: 3, CC_DANGLING_IDENTIFIERREF: 1 },
    warnings: ['CC_DUPLICATE_ITEM_IDENTIFIER'],
    cc13: {
      valid: false,
      profileErrors: { CC13_IDENTIFIERREF: 1, CC13_QTI_RESPIDENT: 1, CC13_QTI_RULE_6D: 1, CC13_QTI_NO_ITEM: 1, CC13_RULE_10B: 2, CC13_FILE_MISSING: 1 },
      xsdErrors: true,
    },
    why: 'hand-made Canvas-style 1.3: every kind, a resource shown three times, an item pointing at a missing tool, a "module-|-introduction" file renamed on disk',
  },
  {
    path: 'extracted/ccviewer-all-question-types',
    source: 'directory',
    version: '1.3',
    title: 'XavierSchool',
    items: 0,
    learningObjects: 0,
    resources: 3,
    files: 9,
    byKind: { 'associated-content': 2, assessment: 1 },
    errors: {},
    warnings: [],
    cc13: { valid: false, profileErrors: {}, xsdErrors: true },
    why: 'Canvas quiz with every question type (some without CC equivalent), outside any module',
  },
  {
    path: 'extracted/ccviewer-assignment-rubrics',
    source: 'directory',
    version: '1.3',
    title: 'Course with An Assignment that Has a Rubric',
    items: 0,
    learningObjects: 0,
    resources: 3,
    files: 8,
    byKind: { 'associated-content': 1, assignment: 1, webcontent: 1 },
    errors: {},
    warnings: [],
    cc13: { valid: false, profileErrors: {}, xsdErrors: true },
    why: 'Canvas assignment_xmlv1p0 with a webcontent fallback variant (cpx:variant)',
  },
  {
    path: 'extracted/ccviewer-course-1',
    source: 'directory',
    version: '1.3',
    title: 'COURSE-for-modules-testing',
    items: 12,
    learningObjects: 10,
    resources: 20,
    files: 23,
    byKind: { 'associated-content': 4, webcontent: 11, assignment: 2, discussion: 1, weblink: 1, assessment: 1 },
    errors: { CC_MISSING_FILE: 4, CC_DUPLICATE_IDENTIFIER: 1, CC_DANGLING_IDENTIFIERREF: 1 },
    warnings: [],
    cc13: { valid: false, profileErrors: { CC13_IDENTIFIERREF: 1, CC13_DUPLICATE_IDENTIFIER: 1, CC13_FILE_MISSING: 4 }, xsdErrors: true },
    why: 'Canvas viewer fixture: modules with every kind, two resources named "publisheddocument", files not shipped',
  },
  {
    path: 'extracted/ccviewer-course-with-associated-content-assignments',
    source: 'directory',
    version: '1.1',
    title: 'DocViewer',
    items: 5,
    learningObjects: 4,
    resources: 16,
    files: 26,
    byKind: { 'associated-content': 8, webcontent: 2, discussion: 2, assessment: 2, lti: 2 },
    errors: {},
    warnings: ['CC_DESCRIPTOR_MISSING'],
    why: 'Canvas 1.1: assignments as associated content, one assessment without its QTI file (deliberate)',
  },
  {
    path: 'extracted/ccviewer-course-with-no-showable-resources',
    source: 'directory',
    version: '1.3',
    title: 'XavierSchool',
    items: 6,
    learningObjects: 5,
    resources: 1,
    files: 2,
    byKind: { 'associated-content': 1 },
    errors: { CC_MISSING_FILE: 4, CC_DANGLING_IDENTIFIERREF: 5 },
    warnings: [],
    cc13: { valid: false, profileErrors: { CC13_IDENTIFIERREF: 5, CC13_FILE_MISSING: 4 }, xsdErrors: true },
    why: 'every item points at a resource that is not in the manifest',
  },
  {
    path: 'extracted/ccviewer-multiple-pages',
    source: 'directory',
    version: '1.3',
    title: 'Cartridge With Multiple Pages',
    items: 0,
    learningObjects: 0,
    resources: 4,
    files: 9,
    byKind: { 'associated-content': 1, webcontent: 3 },
    errors: {},
    warnings: [],
    cc13: { valid: false, profileErrors: { CC13_RULE_10A: 1 }, xsdErrors: true },
    why: 'three wiki pages linked by $WIKI_REFERENCE$; one resource has an href but no file element',
  },
  {
    path: 'extracted/ccviewer-rich-content-cc-file',
    source: 'directory',
    version: '1.3',
    title: 'Dhealey Main 1',
    items: 0,
    learningObjects: 0,
    resources: 4,
    files: 14,
    byKind: { 'associated-content': 1, webcontent: 3 },
    errors: {},
    warnings: [],
    cc13: { valid: false, profileErrors: {}, xsdErrors: true },
    why: 'rich page with $IMS-CC-FILEBASE$ images, a file name with a space',
  },
  {
    path: 'extracted/ccviewer-single-assignment',
    source: 'directory',
    version: '1.3',
    title: 'My test',
    items: 0,
    learningObjects: 0,
    resources: 3,
    files: 7,
    byKind: { 'associated-content': 1, assignment: 1, webcontent: 1 },
    errors: {},
    warnings: [],
    cc13: { valid: false, profileErrors: {}, xsdErrors: true },
    why: 'one assignment outside any module',
  },
  {
    path: 'extracted/ccviewer-single-discussion',
    source: 'directory',
    version: '1.3',
    title: 'My test',
    items: 0,
    learningObjects: 0,
    resources: 4,
    files: 8,
    byKind: { 'associated-content': 2, discussion: 1, webcontent: 1 },
    errors: {},
    warnings: [],
    cc13: { valid: false, profileErrors: {}, xsdErrors: true },
    why: 'one discussion (1.1 topic in a 1.3 package) with an attachment',
  },
  {
    path: 'extracted/ccviewer-single-page',
    source: 'directory',
    version: '1.3',
    title: 'Single Page Cartridge',
    items: 0,
    learningObjects: 0,
    resources: 2,
    files: 7,
    byKind: { 'associated-content': 1, webcontent: 1 },
    errors: {},
    warnings: [],
    cc13: { valid: false, profileErrors: {}, xsdErrors: true },
    why: 'one page',
  },
];

function walkFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walkFiles(p) : [p];
  });
}

function countCodes(findings: { severity: string; code: string }[], severity: string, prefix = ''): Counts {
  const out: Counts = {};
  for (const f of findings) if (f.severity === severity && f.code.startsWith(prefix)) out[f.code] = (out[f.code] ?? 0) + 1;
  return out;
}

function outlineTitles(c: CcCartridge): unknown[] {
  const walk = (items: NonNullable<CcCartridge['organization']>['items']): unknown[] =>
    items.map((i) => (i.children.length ? { t: i.title ?? '', c: walk(i.children) } : i.title ?? ''));
  const roots = c.organization?.items ?? [];
  return walk(roots.length === 1 ? roots[0].children : roots);
}

/** SHA-256 of every existing non-HTML file of web content resources, the URLs of web links and LTI links. */
async function payload(source: string): Promise<{ files: string[]; links: string[] }> {
  const o = await openCommonCartridge(source);
  try {
    const files = new Set<string>();
    for (const r of o.cartridge.resources) {
      if (r.kind !== 'webcontent') continue;
      for (const f of r.files) {
        if (!o.pkg.files.has(f) || /\.x?html?$/i.test(f)) continue;
        files.add(createHash('sha256').update(await o.pkg.read(f, 1 << 30)).digest('hex'));
      }
    }
    const links = new Set<string>();
    for (const r of o.cartridge.resources) {
      const d = r.details;
      if (d?.kind === 'weblink' && d.url && /^https?:\/\//.test(d.url)) links.add(d.url);
      if (d?.kind === 'lti' && (d.launchUrl ?? d.secureLaunchUrl)) links.add((d.launchUrl ?? d.secureLaunchUrl)!);
    }
    return { files: [...files].sort(), links: [...links].sort() };
  } finally {
    o.close();
  }
}

describe('interop: Common Cartridge corpus', () => {
  beforeAll(() => {
    if (!existsSync(CC)) throw new Error(`corpus not found at ${CC}: the repository must be cloned with ../shared beside it`);
  });

  it('the table names every file of corpus/commoncartridge (a new file must be listed here)', () => {
    const listed = TABLE.map((t) => t.path);
    const unlisted = walkFiles(CC)
      .map((f) => relative(CC, f))
      .filter((f) => !listed.some((p) => f === p || f.startsWith(`${p}/`)));
    expect(unlisted).toEqual([]);
    for (const p of listed) expect(existsSync(join(CC, p))).toBe(true);
    // Every folder under extracted/ is one row.
    const dirs = readdirSync(join(CC, 'extracted')).map((d) => `extracted/${d}`);
    expect(dirs.filter((d) => statSync(join(CC, d)).isDirectory() && !listed.includes(d))).toEqual([]);
  });

  describe.each(TABLE.map((t) => [t.path, t] as const))('%s', (_path, t) => {
    it(`reads as ${t.version}: ${t.why}`, async () => {
      const c = await readCommonCartridge(join(CC, t.path));
      expect({
        source: c.source,
        version: c.version,
        title: c.title,
        items: c.stats.items,
        learningObjects: c.stats.learningObjects,
        resources: c.stats.resources,
        files: c.stats.files,
        byKind: c.stats.byKind,
        errors: countCodes(c.findings, 'error'),
        warnings: [...new Set(c.findings.filter((f) => f.severity === 'warning').map((f) => f.code))].sort(),
      }).toEqual({
        source: t.source,
        version: t.version,
        title: t.title,
        items: t.items,
        learningObjects: t.learningObjects,
        resources: t.resources,
        files: t.files,
        byKind: t.byKind,
        errors: t.errors,
        warnings: [...t.warnings].sort(),
      });
    });

    if (t.cc13) {
      const cc13 = t.cc13;
      it(`CC 1.3 validation: ${cc13.valid ? 'valid' : 'invalid'}`, async () => {
        const v = await validateCommonCartridge13(join(CC, t.path), { skipXsd: !hasXmllint });
        expect(countCodes(v.findings, 'error', 'CC13_')).toEqual(cc13.profileErrors);
        if (hasXmllint) {
          expect(v.xsd.checked).toBe(true);
          expect(v.findings.some((f) => f.code === 'XSD_INVALID')).toBe(cc13.xsdErrors);
          expect(v.valid).toBe(cc13.valid);
        }
      });
    }

    it.each(['1.3', '1.1'] as const)('round trip through CC %s keeps the outline, titles, files and links', async (to) => {
      const dir = mkdtempSync(join(tmpdir(), 'interop-cc-'));
      try {
        const out = join(dir, `out-${to}.imscc`);
        const r = await convertCommonCartridge(join(CC, t.path), { to, outPath: out });
        expect(r.from).toBe(t.version);
        const [a, b] = [await readCommonCartridge(join(CC, t.path)), await readCommonCartridge(out)];
        expect(b.version).toBe(to);
        expect(b.findings.filter((f) => f.severity !== 'info')).toEqual([]);
        // Learning objects outside the source outline come back in a last folder « Autres ressources »
        // (Moodle imports only what the outline reaches); the move is reported.
        const titles = outlineTitles(b) as unknown[];
        const moved = r.losses.some((l) => l.includes('"Autres ressources"'));
        expect(moved ? titles.slice(0, -1) : titles).toEqual(outlineTitles(a));
        if (moved) expect(titles[titles.length - 1]).toMatchObject({ t: 'Autres ressources' });
        const [pa, pb] = [await payload(join(CC, t.path)), await payload(out)];
        expect(pb.links).toEqual(expect.arrayContaining(pa.links));
        expect(pb.files).toEqual(expect.arrayContaining(pa.files));
        if (to === '1.3') {
          const v = await validateCommonCartridge13(out, { skipXsd: !hasXmllint });
          expect(v.findings.filter((f) => f.severity === 'error')).toEqual([]);
          if (hasXmllint) expect(v.xsd.checked).toBe(true);
          // A second pass is a fixed point: same bytes.
          const again = join(dir, 'again.imscc');
          await convertCommonCartridge(out, { to, outPath: again });
          expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('interop: the ent-portability command (child process)', () => {
  let dir: string;
  const runCli = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: (() => { try { return JSON.parse(r.stdout); } catch { return undefined; } })() };
  };

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), 'interop-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the compiled entry point is executable by node and prints its usage', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' })).toMatch(/ent-portability inspect/);
  });

  it('inspect: valid → 0 (IMS Thin CC test 05)', () => {
    const r = runCli(['inspect', join(CC, 'manifests/ims_thincc1.3_test05_imsmanifest.xml')]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ format: 'thincc-1.3', version: 'thin-1.3', valid: true, summary: { stats: { learningObjects: 10 } } });
  });

  it('inspect: invalid → 1 (the corrupt Canvas package), with every missing file named', () => {
    const r = runCli(['inspect', join(CC, 'packages/negative/canvas_small_cc1.1.corrupt.imscc'), '--compact']);
    expect(r.code).toBe(1);
    expect(r.json.findings.filter((f: { code: string }) => f.code === 'CC_MISSING_FILE')).toHaveLength(16);
  });

  it('inspect: unreadable → 2 (a zip-slip archive), with the precise reason', async () => {
    const evil = join(dir, 'evil.imscc');
    // Written with a safe name, then the name bytes swapped (local header + central directory).
    const zip = await writeDeterministicZip([{ name: 'imsmanifest.xml', data: '<manifest/>' }, { name: 'aa/evil.txt', data: 'pwned' }]);
    const from = Buffer.from('aa/evil.txt');
    for (let i = zip.indexOf(from); i >= 0; i = zip.indexOf(from, i + 1)) Buffer.from('../evil.txt').copy(zip, i);
    writeFileSync(evil, zip);
    const r = runCli(['inspect', evil]);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ error: { code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'PATH_TRAVERSAL' } });
  });

  it('convert 1.1 → 1.3 prints the losses; the output inspects as valid (exit 0)', () => {
    const out = join(dir, 'small-13.imscc');
    const c = runCli(['convert', join(CC, 'packages/canvas_small_cc1.1.imscc'), '--to', 'imscc-1.3', '-o', out]);
    expect(c.code).toBe(0);
    expect(c.json).toMatchObject({ from: 'imscc-1.1', to: 'imscc-1.3', output: { path: out } });
    expect(c.json.losses).toEqual(expect.arrayContaining([expect.stringContaining('Non-existent reference')]));
    const i = runCli(['inspect', out]);
    expect(i.code).toBe(0);
    expect(i.json).toMatchObject({ format: 'imscc-1.3', valid: true });
  });

  it('without xmllint, inspect says the XSD check did not run (and still checks the profile)', () => {
    const r = runCli(['inspect', join(CC, 'manifests/ims_thincc1.3_test05_imsmanifest.xml')], { ...process.env, PATH: '/nonexistent' });
    expect(r.code).toBe(0);
    expect(r.json.validation.xsd).toMatchObject({ checked: false, reason: expect.stringContaining('xmllint is not installed') });
    expect(r.json.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'XSD_UNAVAILABLE' })]));
    expect(r.stderr).toMatch(/XSD validation not run/);
  });
});
