import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { parseXmlSafely } from '../xml/safe-xml';
import { openZipSafely } from '../zip/safe-zip';
import { checkQtiProfile, parseQti } from './cc-qti';
import { openCommonCartridge, readCommonCartridge } from './cc-read';
import { cartridgeToCourse } from './cc-to-course';
import { CcCartridge, CcCourse, CcQuestion } from './cc-types';
import { fullCourse, questions } from '../testing/cc-fixtures';
import { validateCommonCartridge13 } from './cc-validate';
import { writeCommonCartridge, writeCommonCartridgeToFile } from './cc-writer';
import { xmllintStatus } from './cc-xsd';

jest.setTimeout(60_000);

const hasXmllint = xmllintStatus().ok;

/** What must survive a round trip: the outline (titles, kinds), files (bytes), links. */
export async function essence(source: Buffer | string): Promise<Record<string, unknown>> {
  const opened = await openCommonCartridge(source);
  try {
    const c = opened.cartridge;
    const byId = new Map(c.resources.map((r) => [r.identifier, r]));
    const tree = (items: NonNullable<CcCartridge['organization']>['items']): unknown[] =>
      items.map((i) => {
        const r = i.identifierref ? byId.get(i.identifierref) : undefined;
        const kind = r ? (r.kind === 'associated-content' ? 'webcontent' : r.kind) : i.identifierref ? 'missing' : 'folder';
        return { title: i.title, kind, ...(i.children.length ? { children: tree(i.children) } : {}) };
      });
    const roots = c.organization?.items ?? [];
    const files: string[] = [];
    for (const r of c.resources) {
      if (r.kind !== 'webcontent' && r.kind !== 'associated-content') continue;
      for (const f of r.files) {
        if (!opened.pkg.files.has(f) || /\.html?$/i.test(f)) continue;
        files.push(createHash('sha256').update(await opened.pkg.read(f, 1 << 30)).digest('hex').slice(0, 16));
      }
    }
    const links = c.resources.flatMap((r) =>
      r.details?.kind === 'weblink' ? [r.details.url] : r.details?.kind === 'lti' ? [r.details.launchUrl ?? r.details.secureLaunchUrl] : [],
    );
    return {
      title: c.title,
      outline: tree(roots.length === 1 ? roots[0].children : roots),
      files: [...new Set(files)].sort(),
      links: links.sort(),
    };
  } finally {
    opened.close();
  }
}

describe('writeCommonCartridge: every ENT content kind', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccw-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes 1.3 with quizzes, banks, LTI, assignments, folders and aliases, and reads them back', async () => {
    const zip = await writeCommonCartridge(fullCourse, { version: '1.3' });
    const c = await readCommonCartridge(zip);
    expect(c.version).toBe('1.3');
    expect(c.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(c.stats.byKind).toEqual({ webcontent: 4, weblink: 1, assessment: 1, discussion: 1, lti: 1, assignment: 1, 'question-bank': 1 });
    const kinds = c.resources.map((r) => r.type);
    expect(kinds).toContain('imsqti_xmlv1p2/imscc_xmlv1p3/assessment');
    expect(kinds).toContain('imsqti_xmlv1p2/imscc_xmlv1p3/question-bank');
    expect(kinds).toContain('imsbasiclti_xmlv1p3');
    expect(kinds).toContain('assignment_xmlv1p0');
    const quiz = c.resources.find((r) => r.kind === 'assessment')!;
    expect(quiz.details).toMatchObject({ title: 'Évaluation', questionCount: 6 });
    expect(quiz.dependencies).toHaveLength(1); // the image its first question shows
    const lti = c.resources.find((r) => r.kind === 'lti')!;
    expect(lti.details).toMatchObject({ title: 'Simulateur', launchUrl: 'https://tool.example.org/launch', custom: { level: '1re' }, vendor: { code: 'tool.example.org' } });
    const assignment = c.resources.find((r) => r.kind === 'assignment')!;
    expect(assignment.details).toMatchObject({ gradable: true, pointsPossible: 20, submissionFormats: ['file', 'html'] });
    expect(assignment.details).toMatchObject({ attachments: ['$IMS-CC-FILEBASE$/web_resources/fiche.pdf'] });
    // alias: a second item pointing at the same page
    const refs = c.organization!.items[0].children.flatMap(function flat(i): string[] {
      return [...(i.identifierref ? [i.identifierref] : []), ...i.children.flatMap(flat)];
    });
    expect(refs.filter((r) => r === 'RES_1_1')).toHaveLength(2);
  });

  it('QTI: every question type is written in the CC profile and parses back to the same questions', async () => {
    const z = await openZipSafely(await writeCommonCartridge(fullCourse, { version: '1.3' }));
    const xml = parseXmlSafely(await z.read('RES_1_4/assessment.xml'));
    const bank = parseXmlSafely(await z.read('RES_X2/questionbank.xml'));
    z.close();
    expect(checkQtiProfile(xml, 'a.xml')).toEqual([]);
    expect(checkQtiProfile(bank, 'b.xml')).toEqual([]);
    const parsed = parseQti(xml);
    expect(parsed).toMatchObject({ kind: 'assessment', title: 'Évaluation', maxAttempts: 2, timeLimitMinutes: 20, description: '<p>20 minutes</p>' });
    const back = parsed.questions.map((q) => q.question);
    expect(back.map((q) => q?.type)).toEqual(questions.map((q) => q.type));
    expect(back[0]).toMatchObject({ type: 'multiple-choice', points: 2, choices: [{ correct: false }, { correct: true }, { correct: false }] });
    expect(back[0]!.text).toContain('../web_resources/schema.png');
    expect(back[1]).toMatchObject({ choices: [{ text: 'Mars', correct: true }, { text: 'Jupiter', correct: false }, { text: 'Vénus', correct: true }] });
    expect(back[2]).toMatchObject({ type: 'true-false', answer: false });
    expect(back[3]).toMatchObject({ type: 'fill-in-blank', answers: ['Mars', 'mars'] });
    expect(back[4]).toMatchObject({ type: 'pattern-match', patterns: ['Andromède'] });
    expect(parseQti(bank)).toMatchObject({ kind: 'question-bank' });
  });

  (hasXmllint ? it : it.skip)('the 1.3 output validates: official XSDs (manifest, web link, topic) and profile rules', async () => {
    const path = join(dir, 'full13.imscc');
    writeFileSync(path, await writeCommonCartridge(fullCourse, { version: '1.3' }));
    const v = await validateCommonCartridge13(path);
    expect(v.findings).toEqual([]);
    expect(v).toMatchObject({ valid: true, xsd: { checked: true, documents: 3 } });
  });

  it('writes 1.1: assignment as a page (no intendeduse: the 1.1 schema has no "assignment"), LTI as imsbasiclti_xmlv1p0, and reports the losses', async () => {
    const out = join(dir, 'full11.imscc');
    const written = await writeCommonCartridgeToFile(fullCourse, { version: '1.1' }, out);
    expect(written.losses).toEqual([
      expect.stringContaining('quiz "Évaluation": its introduction is not carried'),
      expect.stringContaining('assignment "Devoir maison": written as a page'),
    ]);
    const c = await readCommonCartridge(out);
    expect(c.version).toBe('1.1');
    expect(c.resources.filter((r) => r.intendedUse !== undefined)).toEqual([]);
    const page = c.resources.find((r) => r.href === 'wiki_content/devoir-maison.html')!;
    expect(page).toMatchObject({ kind: 'webcontent', type: 'webcontent' });
    expect(c.resources.find((r) => r.kind === 'lti')!.type).toBe('imsbasiclti_xmlv1p0');
    expect(c.resources.map((r) => r.type)).toContain('imsqti_xmlv1p2/imscc_xmlv1p1/assessment');
  });

  it('writeCommonCartridgeToFile: same bytes as in memory, SHA-256 returned, files read from disk', async () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(300_000, 7));
    const course: CcCourse = { ...fullCourse, extraResources: [...fullCourse.extraResources!, { kind: 'file', title: 'Gros', fileName: 'gros.bin', mediaType: 'application/octet-stream', data: { path: big } }] };
    const out = join(dir, 'disk.imscc');
    const w = await writeCommonCartridgeToFile(course, { version: '1.3' }, out);
    const bytes = readFileSync(out);
    expect(bytes.equals(await writeCommonCartridge(course, { version: '1.3' }))).toBe(true);
    expect(w).toMatchObject({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  });

  it('a failed write leaves nothing behind', async () => {
    const sub = mkdtempSync(join(dir, 'fail-'));
    const course: CcCourse = { ...fullCourse, extraResources: [{ kind: 'file', title: 'x', fileName: 'x.bin', mediaType: 'application/octet-stream', data: { path: join(sub, 'missing.bin') } }] };
    await expect(writeCommonCartridgeToFile(course, { version: '1.3' }, join(sub, 'out.imscc'))).rejects.toBeInstanceOf(FormatError);
    expect(readdirSync(sub)).toEqual([]);
  });

  it.each([
    ['a question bank in the tree', { sections: [{ title: 's', items: [{ kind: 'quiz', bank: true, title: 'b', questions }] }] }, /banks go in course.extraResources/],
    ['an alias to nothing', { sections: [{ title: 's', items: [{ kind: 'alias', title: 'a', ref: 'nope' }] }] }, /unknown reference nope/],
    ['a quiz without question', { sections: [{ title: 's', items: [{ kind: 'quiz', title: 'q', questions: [] }] }] }, /has no question/],
    [
      'a multiple-choice question with two right answers',
      { sections: [{ title: 's', items: [{ kind: 'quiz', title: 'q', questions: [{ type: 'multiple-choice', text: 't', choices: [{ text: 'a', correct: true }, { text: 'b', correct: true }] }] }] }] },
      /exactly one correct choice/,
    ],
    ['an LTI link that is not http(s)', { sections: [{ title: 's', items: [{ kind: 'lti', title: 'l', launchUrl: 'javascript:alert(1)' }] }] }, /must be http\(s\)/],
  ] as [string, Partial<CcCourse>, RegExp][])('refuses %s', async (_label, patch, message) => {
    await expect(writeCommonCartridge({ ...fullCourse, extraResources: undefined, ...patch }, { version: '1.3' })).rejects.toThrow(message);
  });

  it('CC 1.1 takes one question bank only', async () => {
    const two: CcCourse = { ...fullCourse, extraResources: [...fullCourse.extraResources!, { kind: 'quiz', bank: true, title: 'B2', questions }] };
    await expect(writeCommonCartridge(two, { version: '1.1' })).rejects.toThrow(/one question bank/);
    await expect(writeCommonCartridge(two, { version: '1.3' })).resolves.toBeInstanceOf(Buffer);
  });
});

describe('read → write → read (cartridgeToCourse)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccrt-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['1.3', '1.1'] as const)('our own %s package keeps tree, titles, files and links, and is stable', async (version) => {
    const first = await writeCommonCartridge(fullCourse, { version });
    const opened = await openCommonCartridge(first);
    const { course, losses } = await cartridgeToCourse(opened);
    opened.close();
    expect(losses).toEqual([]);
    const second = await writeCommonCartridge(course, { version });
    expect(await essence(second)).toEqual(await essence(first));
    // Links between items survive as relative links that resolve.
    const z = await openZipSafely(second);
    const intro = z.entries.find((e) => /introduction\.html$/.test(e.name))!;
    const html = (await z.read(intro.name)).toString('utf8');
    z.close();
    expect(html).toMatch(/href="\.\.\/web_resources\/schema\.png"/);
    expect(html).toMatch(/href="https:\/\/fr\.wikipedia\.org\/wiki\/Univers"/);
    expect(html).toMatch(/href="cours\.html#partie-2"/);
    // A third generation is byte-identical to the second (the mapping is a fixed point).
    const o2 = await openCommonCartridge(second);
    const again = await cartridgeToCourse(o2);
    o2.close();
    expect((await writeCommonCartridge(again.course, { version })).equals(second)).toBe(true);
  });

  it('quiz questions survive the round trip', async () => {
    const opened = await openCommonCartridge(await writeCommonCartridge(fullCourse, { version: '1.3' }));
    const { course } = await cartridgeToCourse(opened);
    opened.close();
    const all = [...course.sections.flatMap((s) => s.items), ...(course.outline ?? []), ...(course.extraResources ?? [])];
    const flat = (items: typeof all): typeof all => items.flatMap((i) => (i.kind === 'folder' ? flat(i.items) : [i]));
    const quiz = flat(all).find((i) => i.kind === 'quiz' && !i.bank);
    expect(quiz).toMatchObject({ kind: 'quiz', title: 'Évaluation', maxAttempts: 2, timeLimitMinutes: 20 });
    expect((quiz as { questions: CcQuestion[] }).questions.map((q) => q.type)).toEqual(questions.map((q) => q.type));
  });

  it('never leaves a partial output when the source is refused', async () => {
    const out = join(dir, 'never.imscc');
    const { convertCommonCartridge } = await import('./cc-convert');
    await expect(convertCommonCartridge(Buffer.from('<manifest'), { to: '1.3', outPath: out })).rejects.toBeInstanceOf(FormatError);
    expect(existsSync(out)).toBe(false);
  });
});
