import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCommonCartridge } from '../commoncartridge/cc-writer';
import { writeDeterministicZip } from '../zip/deterministic-zip';
import { EXIT, run } from './main';

jest.setTimeout(60_000);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; json: any }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}

describe('ent-portability CLI (in process)', () => {
  let dir: string;
  let good: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-'));
    good = join(dir, 'cours.imscc');
    writeFileSync(
      good,
      await writeCommonCartridge(
        {
          identifier: 'c1',
          title: 'Cours',
          language: 'fr',
          sections: [{ title: 'S1', items: [{ kind: 'link', title: 'Lien', url: 'https://example.org' }, { kind: 'page', title: 'Page', html: '<p>x</p>' }] }],
        },
        { version: '1.3' },
      ),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inspect: a valid 1.3 package → exit 0, format, version, tree summary', async () => {
    const r = await cli('inspect', good);
    expect(r.code).toBe(EXIT.OK);
    expect(r.json).toMatchObject({
      format: 'imscc-1.3',
      version: '1.3',
      valid: true,
      summary: { title: 'Cours', stats: { learningObjects: 2 }, outline: [{ title: 'S1', children: [{ title: 'Lien', kind: 'weblink' }, { title: 'Page', kind: 'webcontent' }] }] },
      counts: { error: 0 },
    });
  });

  it('inspect: an invalid package → exit 1 with the findings', async () => {
    const broken = join(dir, 'broken.imscc');
    const z = await writeDeterministicZip([
      {
        name: 'imsmanifest.xml',
        data: '<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"><metadata><schema>IMS Common Cartridge</schema><schemaversion>1.1.0</schemaversion></metadata><organizations/><resources><resource identifier="A" type="webcontent" href="a.html"><file href="a.html"/></resource></resources></manifest>',
      },
    ]);
    writeFileSync(broken, z);
    const r = await cli('inspect', broken, '--compact');
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.json.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'CC_MISSING_FILE', path: 'a.html' })]));
  });

  it('inspect: unreadable or unknown input → exit 2 with a typed error', async () => {
    const text = join(dir, 'note.txt');
    writeFileSync(text, 'bonjour');
    expect(await cli('inspect', text)).toMatchObject({ code: EXIT.UNREADABLE, json: { error: { code: 'INVALID_INPUT', reason: 'UNKNOWN_FORMAT' } } });
    expect(await cli('inspect', join(dir, 'absent'))).toMatchObject({ code: EXIT.UNREADABLE, json: { error: { reason: 'UNREADABLE' } } });
    const slip = join(dir, 'slip.imscc');
    const z = await writeDeterministicZip([{ name: 'imsmanifest.xml', data: '<x/>' }, { name: 'aa/evil.txt', data: 'x' }]);
    const from = Buffer.from('aa/evil.txt');
    for (let i = z.indexOf(from); i >= 0; i = z.indexOf(from, i + 1)) Buffer.from('../evil.txt').copy(z, i);
    writeFileSync(slip, z);
    expect(await cli('inspect', slip)).toMatchObject({ code: EXIT.UNREADABLE, json: { error: { code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'PATH_TRAVERSAL' } } });
  });

  it('convert: 1.3 → 1.1, prints output and losses; refuses to overwrite without --force', async () => {
    const out = join(dir, 'cours-11.imscc');
    const r = await cli('convert', good, '--to', 'imscc-1.1', '-o', out);
    expect(r.code).toBe(EXIT.OK);
    expect(r.json).toMatchObject({ from: 'imscc-1.3', to: 'imscc-1.1', output: { path: out, size: readFileSync(out).length }, losses: [] });
    const again = await cli('convert', good, '--to', 'imscc-1.1', '-o', out);
    expect(again).toMatchObject({ code: EXIT.UNREADABLE, json: { error: { reason: 'OUTPUT_EXISTS' } } });
    expect((await cli('convert', good, '--to=imscc-1.1', '-o', out, '--force')).code).toBe(EXIT.OK);
    expect((await cli('inspect', out)).json).toMatchObject({ format: 'imscc-1.1' });
  });

  it('convert: an unknown target says which ones exist; nothing is written', async () => {
    const out = join(dir, 'nope.xml');
    const r = await cli('convert', good, '--to', 'lheo-2.3', '-o', out);
    expect(r).toMatchObject({ code: EXIT.UNREADABLE, json: { error: { reason: 'NO_CONVERSION', message: expect.stringContaining('imscc-1.1') } } });
    expect(existsSync(out)).toBe(false);
  });

  it('usage errors → exit 64; formats lists the plug-ins', async () => {
    expect((await cli()).code).toBe(EXIT.USAGE);
    expect((await cli('bogus')).code).toBe(EXIT.USAGE);
    expect((await cli('convert', good)).code).toBe(EXIT.USAGE);
    expect((await cli('inspect', good, '--what')).code).toBe(EXIT.USAGE);
    const f = await cli('formats');
    expect(f.json.inspectors.map((i: { name: string }) => i.name)).toContain('commoncartridge');
    expect(f.json.conversions.map((c: { to: string }) => c.to)).toEqual(expect.arrayContaining(['imscc-1.1', 'imscc-1.3']));
  });
});
