/**
 * End-to-end proof of apps/ent-sim: spawns the compiled simulated ENT twice
 * (dist/apps/ent-sim/src/main.js, run `npm run build` first), profiles ent-a
 * and ent-b, each on its own temp data directory and a free port (port 0, the
 * real port is read from the "listening on" line), and exercises the connector
 * contract over real HTTP.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONNECTOR_BASE, PROBLEM_TYPES, type ConnectorCapabilities, type ConnectorContent, type ConnectorContentList } from '@ent/contract';
import { parseICalendar, parseMbox, parseXmlSafely, readCommonCartridgeManifest } from '@ent/formats';
import { startService, type ServiceProcess } from './support/service-process';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..');
const MAIN = join(ROOT, 'dist/apps/ent-sim/src/main.js');
const TOKEN_A = 'e2e-connector-token-for-ent-a';
const TOKEN_B = 'e2e-connector-token-for-ent-b';
const A_MAX_ITEM_BYTES = 64 * 1024;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface RunningSim extends ServiceProcess {
  base: string;
  token: string;
}

const children = new Set<ChildProcessWithoutNullStreams>();

async function startSim(profile: 'ent-a' | 'ent-b', dataDir: string, token: string, extra: Record<string, string> = {}): Promise<RunningSim> {
  const started = await startService({
    name: `ent-sim ${profile}`,
    args: [MAIN],
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      ENT_SIM_PROFILE: profile,
      ENT_SIM_CONNECTOR_TOKEN: token,
      ENT_SIM_DATA_DIR: dataDir,
      ENT_SIM_PORT: '0',
      ENT_SIM_HOST: '127.0.0.1',
      ...extra,
    },
    readyLine: new RegExp(`ent-sim ${profile} listening on (http://127\\.0\\.0\\.1:\\d+)`),
  });
  const { child, exited } = started;
  children.add(child);
  void exited.then(() => children.delete(child));
  return { ...started, base: started.ready[1], token };
}

async function stopSim(sim: RunningSim): Promise<void> {
  if (sim.child.exitCode !== null || sim.child.signalCode !== null) return;
  sim.child.kill('SIGTERM');
  const timer = setTimeout(() => sim.child.kill('SIGKILL'), 5000);
  await sim.exited;
  clearTimeout(timer);
}

function runToExit(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      res({ code, out, err });
    });
  });
}

interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json: <T = Record<string, unknown>>() => T;
}

async function call(
  sim: RunningSim,
  method: string,
  path: string,
  opts: { token?: string | null; body?: Buffer | string | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const token = opts.token === undefined ? sim.token : opts.token;
  const streaming = opts.body instanceof ReadableStream;
  const res = await fetch(`${sim.base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.headers ?? {}) },
    body: opts.body as RequestInit['body'],
    ...(streaming ? { duplex: 'half' } : {}),
  } as RequestInit);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
}

const C = CONNECTOR_BASE;
const list = async (sim: RunningSim, user: string) => {
  const r = await call(sim, 'GET', `${C}/users/${encodeURIComponent(user)}/contents`);
  expect(r.status).toBe(200);
  return r.json<ConnectorContentList>().items;
};
const exportOf = (sim: RunningSim, user: string, id: string, format: string) =>
  call(sim, 'GET', `${C}/users/${encodeURIComponent(user)}/contents/${encodeURIComponent(id)}/export?format=${encodeURIComponent(format)}`);
const importInto = (
  sim: RunningSim,
  user: string,
  key: string,
  query: Record<string, string>,
  body: Buffer | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) =>
  call(sim, 'PUT', `${C}/users/${encodeURIComponent(user)}/imports/${encodeURIComponent(key)}?${new URLSearchParams(query)}`, {
    body,
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });

function expectProblem(r: Reply, status: number, type?: string): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const p = r.json<{ type: string; title: string; status: number; detail?: string }>();
  expect(p.status).toBe(status);
  expect(typeof p.title).toBe('string');
  expect(typeof p.type).toBe('string');
  if (type) expect(p.type).toBe(type);
}

function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'blobs');
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => `${d}/${f}`)).sort();
}

function streamOf(buf: Buffer, chunk = 7000): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= buf.length) return controller.close();
      controller.enqueue(new Uint8Array(buf.subarray(offset, offset + chunk)));
      offset += chunk;
    },
  });
}

describe('ent-sim (two simulated ENTs over real HTTP)', () => {
  const work = mkdtempSync(join(tmpdir(), 'ent-sim-e2e-'));
  const dirA = join(work, 'a');
  const dirB = join(work, 'b');
  let a: RunningSim;
  let b: RunningSim;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    [a, b] = await Promise.all([
      startSim('ent-a', dirA, TOKEN_A, { ENT_SIM_MAX_ITEM_BYTES: String(A_MAX_ITEM_BYTES) }),
      startSim('ent-b', dirB, TOKEN_B),
    ]);
  });

  afterAll(async () => {
    for (const sim of [a, b]) if (sim) await stopSim(sim);
    for (const child of children) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('prints JSON log lines only, including the ready line', () => {
    const ready = a.lines.find((l) => l.includes('ent-sim ent-a listening on'))!;
    expect(JSON.parse(ready)).toMatchObject({ app: 'ent-sim', profile: 'ent-a', entId: 'ent-a', uai: '0750001A' });
    for (const line of [...a.lines, ...b.lines]) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('answers /health without a token', async () => {
    const r = await call(a, 'GET', '/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('refuses every connector route without the right bearer token (401 problem+json)', async () => {
    for (const path of [`${C}/capabilities`, `${C}/users/marie.dupont/contents`, `${C}/users/marie.dupont/contents/ent-a-marie-courrier/export?format=mbox`]) {
      const none = await call(a, 'GET', path, { token: null });
      expectProblem(none, 401, PROBLEM_TYPES.unauthenticated);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expectProblem(await call(a, 'GET', path, { token: TOKEN_B }), 401, PROBLEM_TYPES.invalidToken);
      expectProblem(await call(a, 'GET', path, { token: `${TOKEN_A}x` }), 401, PROBLEM_TYPES.invalidToken);
    }
    const put = await importInto(a, 'marie.dupont', 'x1', { category: 'STOCKAGE_PARTAGE', format: 'binary' }, Buffer.from('%PDF-'), {
      authorization: 'Basic Zm9vOmJhcg==',
    });
    // the explicit header replaces the bearer one
    expect(put.status).toBe(401);
  });

  it('publishes the capabilities of each profile, which its gateway may reuse for 60 s (default ENT_SIM_CAPABILITIES_MAX_AGE)', async () => {
    const answerA = await call(a, 'GET', `${C}/capabilities`);
    expect(answerA.headers.get('cache-control')).toBe('max-age=60');
    const capsA = answerA.json<ConnectorCapabilities>();
    expect(capsA).toEqual({
      entId: 'ent-a',
      categories: [
        { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.1' }] },
        { category: 'STOCKAGE_PARTAGE', imports: [{ format: 'binary' }] },
        { category: 'COURRIER_ELECTRONIQUE', imports: [{ format: 'mbox' }] },
      ],
      refusedCategories: [],
      maxItemBytes: A_MAX_ITEM_BYTES,
      metadataImports: ['scolomfr-3.1'],
    });
    const capsB = (await call(b, 'GET', `${C}/capabilities`)).json<ConnectorCapabilities>();
    expect(capsB).toEqual({
      entId: 'ent-b',
      categories: [
        { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.3' }, { format: 'imscc-1.1' }] },
        { category: 'STOCKAGE_PARTAGE', imports: [{ format: 'binary', mediaTypes: ['application/pdf', 'image/png', 'image/jpeg'] }] },
        { category: 'CAHIER_TEXTES', imports: [{ format: 'ical' }] },
      ],
      refusedCategories: ['GESTION_COMPETENCES'],
      maxItemBytes: 1024 ** 3,
      metadataImports: ['scolomfr-3.1'],
    });
  });

  let marie: ConnectorContent[];

  it("lists marie's four contents on A with their formats and sizes", async () => {
    marie = await list(a, 'marie.dupont');
    expect(marie.map((c) => [c.id, c.category, c.formats.map((f) => `${f.format} ${f.mediaType}`), c.metadataFormats])).toEqual([
      ['ent-a-marie-cours-univers', 'PARCOURS_PEDAGOGIQUE', ['imscc-1.3 application/vnd.ims.imsccv1p3', 'imscc-1.1 application/vnd.ims.imsccv1p1'], []],
      ['ent-a-marie-cdt-2nde3', 'CAHIER_TEXTES', ['ical text/calendar'], []],
      ['ent-a-marie-fiche-demarche', 'STOCKAGE_PARTAGE', ['binary application/pdf'], ['scolomfr-3.1']],
      ['ent-a-marie-courrier', 'COURRIER_ELECTRONIQUE', ['mbox application/mbox'], []],
    ]);
    expect(marie.map((c) => c.title)).toEqual([
      "Physique-Chimie 2nde — L'univers",
      'Cahier de textes 2nde 3 — 2025-2026',
      'Fiche méthode — Rédiger une démarche scientifique',
      'Courrier — boîte de réception',
    ]);
    for (const c of marie) {
      expect(c.importKey).toBeUndefined();
      expect(new Date(c.updatedAt).toISOString()).toBe(c.updatedAt);
      for (const f of c.formats) expect(f.sizeBytes).toBeGreaterThan(100);
    }
  });

  const exported = new Map<string, Buffer>();

  it('exports every format with exactly the announced size, its media type and a stable SHA-256', async () => {
    for (const c of marie) {
      for (const f of c.formats) {
        const first = await exportOf(a, 'marie.dupont', c.id, f.format);
        const second = await exportOf(a, 'marie.dupont', c.id, f.format);
        expect(first.status).toBe(200);
        expect(first.body.length).toBe(f.sizeBytes);
        expect(Number(first.headers.get('content-length'))).toBe(f.sizeBytes);
        expect(first.headers.get('content-type')).toBe(f.mediaType);
        const digest = sha256(first.body);
        expect(sha256(second.body)).toBe(digest);
        expect(first.headers.get('repr-digest')).toBe(`sha-256=:${Buffer.from(digest, 'hex').toString('base64')}:`);
        exported.set(`${c.id} ${f.format}`, first.body);
      }
    }
  });

  it('resumes an export with Range + If-Range: 206 from the byte asked while unchanged, whole (200) otherwise, 416 past the end', async () => {
    const path = `${C}/users/marie.dupont/contents/ent-a-marie-courrier/export?format=mbox`;
    const whole = exported.get('ent-a-marie-courrier mbox')!;
    const full = await call(a, 'GET', path);
    const etag = full.headers.get('etag')!;
    expect(etag).toBe(`"${sha256(whole)}"`);
    expect(full.headers.get('accept-ranges')).toBe('bytes');

    const rest = await call(a, 'GET', path, { headers: { range: 'bytes=100-', 'if-range': etag } });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes 100-${whole.length - 1}/${whole.length}`);
    expect(Number(rest.headers.get('content-length'))).toBe(whole.length - 100);
    expect(rest.body.equals(whole.subarray(100))).toBe(true);
    const slice = await call(a, 'GET', path, { headers: { range: 'bytes=10-19' } });
    expect(slice.status).toBe(206);
    expect(slice.body.equals(whole.subarray(10, 20))).toBe(true);

    // Another version named: the whole current content, never a splice of two versions.
    const changed = await call(a, 'GET', path, { headers: { range: 'bytes=100-', 'if-range': `"${'0'.repeat(64)}"` } });
    expect(changed.status).toBe(200);
    expect(changed.body.equals(whole)).toBe(true);
    // Several ranges or another unit: the whole content, as RFC 9110 allows.
    for (const range of ['bytes=0-1,5-6', 'items=1-2', 'bytes=-10']) {
      const r = await call(a, 'GET', path, { headers: { range } });
      expect({ range, status: r.status, same: r.body.equals(whole) }).toEqual({ range, status: 200, same: true });
    }
    const past = await call(a, 'GET', path, { headers: { range: `bytes=${whole.length}-` } });
    expectProblem(past, 416);
    expect(past.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('serves real files: CC 1.3 and 1.1 packages, iCalendar, mbox and PDF', async () => {
    const cc13 = await readCommonCartridgeManifest(exported.get('ent-a-marie-cours-univers imscc-1.3')!);
    expect(cc13).toMatchObject({ version: '1.3', schema: 'IMS Common Cartridge', title: "Physique-Chimie 2nde — L'univers", missingFiles: [] });
    expect(cc13.itemCount).toBeGreaterThanOrEqual(6);
    const cc11 = await readCommonCartridgeManifest(exported.get('ent-a-marie-cours-univers imscc-1.1')!);
    expect(cc11).toMatchObject({ version: '1.1', title: cc13.title, itemCount: cc13.itemCount, resourceCount: cc13.resourceCount });

    const cal = parseICalendar(exported.get('ent-a-marie-cdt-2nde3 ical')!.toString('utf8'));
    expect(cal.components.filter((x) => x.type === 'VEVENT')).toHaveLength(6);
    expect(cal.components.filter((x) => x.type === 'VTODO').length).toBeGreaterThanOrEqual(3);

    const mails = parseMbox(exported.get('ent-a-marie-courrier mbox')!);
    expect(mails).toHaveLength(5);
    expect(mails.map((m) => m.subject)).toContain('Conseil pédagogique de rentrée — ordre du jour');
    expect(mails.every((m, i) => i === 0 || m.date!.getTime() >= mails[i - 1].date!.getTime())).toBe(true);

    const pdf = exported.get('ent-a-marie-fiche-demarche binary')!;
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
  });

  it('serves the ScoLOMFR record of the PDF, and 404 where there is none', async () => {
    const r = await call(a, 'GET', `${C}/users/marie.dupont/contents/ent-a-marie-fiche-demarche/metadata?format=scolomfr-3.1`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/xml/);
    const lom = parseXmlSafely(r.body);
    expect(lom).toMatchObject({ local: 'lom', ns: 'http://ltsc.ieee.org/xsd/LOM' });
    expect(r.body.toString('utf8')).toContain(`<size>${marie[2].formats[0].sizeBytes}</size>`);
    expectProblem(await call(a, 'GET', `${C}/users/marie.dupont/contents/ent-a-marie-cours-univers/metadata?format=scolomfr-3.1`), 404);
    expectProblem(await call(a, 'GET', `${C}/users/marie.dupont/contents/ent-a-marie-fiche-demarche/metadata?format=lom`), 404);
  });

  it('answers 404 for unknown contents and 406 for a format not offered', async () => {
    expectProblem(await exportOf(a, 'marie.dupont', 'ent-a-nope', 'binary'), 404, PROBLEM_TYPES.notFound);
    expectProblem(await exportOf(a, 'nobody', 'ent-a-marie-courrier', 'mbox'), 404, PROBLEM_TYPES.notFound);
    const notOffered = await exportOf(a, 'marie.dupont', 'ent-a-marie-courrier', 'eml');
    expectProblem(notOffered, 406);
    expect(notOffered.json<{ detail: string }>().detail).toContain('mbox');
  });

  it('validates path and query parameters (400 problem+json)', async () => {
    expectProblem(await call(a, 'GET', `${C}/users/marie.dupont/contents/ent-a-marie-courrier/export`), 400, PROBLEM_TYPES.validation);
    expectProblem(
      await call(a, 'GET', `${C}/users/marie.dupont/contents/ent-a-marie-courrier/export?format=mbox&debug=1`),
      400,
      PROBLEM_TYPES.validation,
    );
    expectProblem(await call(a, 'GET', `${C}/users/${encodeURIComponent('marie dupont')}/contents`), 400, PROBLEM_TYPES.validation);
    expectProblem(
      await importInto(a, 'marie.dupont', '../escape', { category: 'STOCKAGE_PARTAGE', format: 'binary' }, Buffer.from('%PDF-')),
      400,
      PROBLEM_TYPES.validation,
    );
    expectProblem(await importInto(a, 'marie.dupont', 'k', { category: 'NOT_A_CATEGORY', format: 'binary' }, Buffer.from('%PDF-')), 400);
  });

  it('never shows a teacher the contents of another', async () => {
    const lucas = await list(a, 'lucas.moreau');
    expect(lucas.map((c) => c.id).sort()).toEqual(['ent-a-lucas-contacts', 'ent-a-lucas-courrier', 'ent-a-lucas-cours-mouvement', 'ent-a-lucas-tp-titrage']);
    const claire = await list(a, 'claire.bernard');
    expect(claire.map((c) => [c.id, c.category])).toEqual([['ent-a-claire-progression-lettres', 'STOCKAGE_PARTAGE']]);
    const marieIds = new Set(marie.map((c) => c.id));
    for (const c of [...lucas, ...claire]) expect(marieIds.has(c.id)).toBe(false);
    for (const c of marie) expectProblem(await exportOf(a, 'lucas.moreau', c.id, c.formats[0].format), 404);
    expectProblem(await call(a, 'GET', `${C}/users/lucas.moreau/contents/ent-a-marie-fiche-demarche/metadata?format=scolomfr-3.1`), 404);
    expect(await list(a, 'paul.martin')).toEqual([]);
    const paul = await list(b, 'paul.martin');
    expect(paul.map((c) => c.category).sort()).toEqual(['PARCOURS_PEDAGOGIQUE', 'STOCKAGE_PARTAGE']);
    expect(await list(b, 'marie.dupont')).toEqual([]);
  });

  let pdfImport: { localId: string; sha256: string; sizeBytes: number };

  it('imports the PDF into B under t1/i1: 201, then 200 with the same localId, stored once', async () => {
    const pdf = exported.get('ent-a-marie-fiche-demarche binary')!;
    const query = { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf', title: marie[2].title };
    const first = await importInto(b, 'marie.dupont', 't1/i1', query, streamOf(pdf, 500));
    expect(first.status).toBe(201);
    pdfImport = first.json();
    expect(pdfImport).toEqual({ localId: expect.any(String), created: true, sizeBytes: pdf.length, sha256: sha256(pdf), location: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/espace\//) });

    const again = await importInto(b, 'marie.dupont', 't1/i1', query, pdf);
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ ...pdfImport, created: false });

    const items = await list(b, 'marie.dupont');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: pdfImport.localId,
      title: marie[2].title,
      category: 'STOCKAGE_PARTAGE',
      importKey: 't1/i1',
      formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: pdf.length }],
      metadataFormats: [],
    });
    const back = await exportOf(b, 'marie.dupont', pdfImport.localId, 'binary');
    expect(back.status).toBe(200);
    expect(sha256(back.body)).toBe(sha256(pdf));
    // the import belongs to marie only
    expect((await list(b, 'paul.martin')).some((c) => c.id === pdfImport.localId)).toBe(false);
  });

  it('answers concurrent imports with the same key with one creation', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(30_000, 1)]);
    const query = { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'image/png', title: 'Schéma' };
    const replies = await Promise.all([1, 2, 3].map(() => importInto(b, 'marie.dupont', 't1/i-png', query, streamOf(png))));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(replies.map((r) => r.json<{ localId: string }>().localId)).size).toBe(1);
    expect((await list(b, 'marie.dupont')).filter((c) => c.importKey === 't1/i-png')).toHaveLength(1);
  });

  it('refuses what B does not import (415/422 problem+json) and stores nothing', async () => {
    const before = await list(b, 'marie.dupont');
    const blobsBefore = blobFiles(dirB);
    const mbox = exported.get('ent-a-marie-courrier mbox')!;
    const refused = await importInto(b, 'marie.dupont', 't1/i-mail', { category: 'COURRIER_ELECTRONIQUE', format: 'mbox', title: 'Courrier' }, mbox);
    expect([415, 422]).toContain(refused.status);
    expectProblem(refused, refused.status);
    expectProblem(
      await importInto(b, 'marie.dupont', 't1/i-comp', { category: 'GESTION_COMPETENCES', format: 'binary' }, Buffer.from('x')),
      422,
    );
    expectProblem(
      await importInto(b, 'marie.dupont', 't1/i-txt', { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'text/plain' }, Buffer.from('bonjour')),
      415,
    );
    expectProblem(
      await importInto(b, 'marie.dupont', 't1/i-cc', { category: 'PARCOURS_PEDAGOGIQUE', format: 'moodle-mbz' }, Buffer.from('x')),
      415,
    );
    // bytes that are not what the format says
    expectProblem(
      await importInto(b, 'marie.dupont', 't1/i-fake', { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf' }, Buffer.from('not a pdf')),
      422,
    );
    expectProblem(
      await importInto(b, 'marie.dupont', 't1/i-cc11-as-13', { category: 'PARCOURS_PEDAGOGIQUE', format: 'imscc-1.3' }, exported.get('ent-a-marie-cours-univers imscc-1.1')!),
      422,
    );
    expect(await list(b, 'marie.dupont')).toEqual(before);
    expect(blobFiles(dirB)).toEqual(blobsBefore);
    expect(readdirSync(join(dirB, 'tmp'))).toEqual([]);
  });

  it('imports a course and a cahier de textes into B in formats it takes', async () => {
    const cc = exported.get('ent-a-marie-cours-univers imscc-1.3')!;
    const r = await importInto(b, 'marie.dupont', 't1/i2', { category: 'PARCOURS_PEDAGOGIQUE', format: 'imscc-1.3', title: marie[0].title }, cc);
    expect(r.status).toBe(201);
    expect(r.json()).toMatchObject({ sizeBytes: cc.length, sha256: sha256(cc) });
    const ics = exported.get('ent-a-marie-cdt-2nde3 ical')!;
    const r2 = await importInto(b, 'marie.dupont', 't1/i3', { category: 'CAHIER_TEXTES', format: 'ical', mediaType: 'text/calendar', title: marie[1].title }, ics);
    expect(r2.status).toBe(201);
    const items = await list(b, 'marie.dupont');
    expect(items.find((c) => c.importKey === 't1/i2')?.formats).toEqual([
      { format: 'imscc-1.3', mediaType: 'application/vnd.ims.imsccv1p3', sizeBytes: cc.length },
    ]);
  });

  it('attaches a ScoLOMFR record to an import (204), refusing unsafe XML', async () => {
    const record = (await call(a, 'GET', `${C}/users/marie.dupont/contents/ent-a-marie-fiche-demarche/metadata?format=scolomfr-3.1`)).body;
    const put = (key: string, body: Buffer | string, format = 'scolomfr-3.1') =>
      call(b, 'PUT', `${C}/users/marie.dupont/imports/${encodeURIComponent(key)}/metadata?format=${format}`, {
        body,
        headers: { 'content-type': 'application/xml' },
      });
    const xxe = '<?xml version="1.0"?><!DOCTYPE lom [<!ENTITY x SYSTEM "file:///etc/passwd">]><lom xmlns="http://ltsc.ieee.org/xsd/LOM">&x;</lom>';
    expectProblem(await put('t1/i1', xxe), 422);
    expectProblem(await put('t1/i1', '<notlom/>'), 422);
    expectProblem(await put('t1/i1', Buffer.alloc(1024 * 1024 + 1, 0x20)), 413);
    expectProblem(await put('t1/i1', record, 'lom'), 415);
    expectProblem(await put('t9/unknown', record), 404);
    const ok = await put('t1/i1', record);
    expect(ok.status).toBe(204);
    const item = (await list(b, 'marie.dupont')).find((c) => c.importKey === 't1/i1')!;
    expect(item.metadataFormats).toEqual(['scolomfr-3.1']);
    const back = await call(b, 'GET', `${C}/users/marie.dupont/contents/${item.id}/metadata?format=scolomfr-3.1`);
    expect(back.status).toBe(200);
    expect(back.body.equals(record)).toBe(true);
  });

  it('bounds an import by maxItemBytes (413), announced or streamed, and keeps nothing', async () => {
    const blobsBefore = blobFiles(dirA);
    const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(A_MAX_ITEM_BYTES, 0x41)]);
    const q = { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf' };
    expectProblem(await importInto(a, 'marie.dupont', 'big/1', q, big), 413, PROBLEM_TYPES.payloadTooLarge);
    let streamed: Reply | undefined;
    try {
      streamed = await importInto(a, 'marie.dupont', 'big/2', q, streamOf(big, 4096));
    } catch {
      // the server may close the connection before the client finished sending: also a refusal
    }
    if (streamed) expectProblem(streamed, 413);
    expect((await list(a, 'marie.dupont')).some((c) => c.importKey?.startsWith('big/'))).toBe(false);
    expect(blobFiles(dirA)).toEqual(blobsBefore);
    // exactly at the limit is accepted
    const atLimit = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(A_MAX_ITEM_BYTES - 9, 0x41)]);
    expect((await importInto(a, 'marie.dupont', 'big/3', q, atLimit)).status).toBe(201);
  });

  it('keeps imported contents across a restart of B (and stays idempotent)', async () => {
    const before = await list(b, 'marie.dupont');
    await stopSim(b);
    b = await startSim('ent-b', dirB, TOKEN_B);
    expect(b.lines.some((l) => l.includes('seeded store'))).toBe(false);
    const after = await list(b, 'marie.dupont');
    expect(after).toEqual(before);
    const back = await exportOf(b, 'marie.dupont', pdfImport.localId, 'binary');
    expect(sha256(back.body)).toBe(pdfImport.sha256);
    const pdf = exported.get('ent-a-marie-fiche-demarche binary')!;
    const replay = await importInto(b, 'marie.dupont', 't1/i1', { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf' }, pdf);
    expect(replay.status).toBe(200);
    expect(replay.json()).toEqual({ ...pdfImport, created: false });
    expect((await list(b, 'paul.martin')).length).toBe(2);
  });

  it('writes its store as an index plus content-addressed files', () => {
    const index = JSON.parse(readFileSync(join(dirB, 'index.json'), 'utf8')) as { entId: string; contents: { formats: { sha256: string; sizeBytes: number }[] }[] };
    expect(index.entId).toBe('ent-b');
    for (const c of index.contents) {
      for (const f of c.formats) expect(statSync(join(dirB, 'blobs', f.sha256.slice(0, 2), f.sha256)).size).toBe(f.sizeBytes);
    }
  });
});

describe('ent-sim configuration', () => {
  it.each([
    [{ ENT_SIM_PROFILE: 'ent-a', ENT_SIM_CONNECTOR_TOKEN: TOKEN_A, ENT_SIM_PORT: 'http' }, 'ENT_SIM_PORT'],
    [{ ENT_SIM_PROFILE: 'ent-z', ENT_SIM_CONNECTOR_TOKEN: TOKEN_A }, 'ENT_SIM_PROFILE'],
    [{ ENT_SIM_PROFILE: 'ent-a' }, 'ENT_SIM_CONNECTOR_TOKEN'],
    [{ ENT_SIM_PROFILE: 'ent-a', ENT_SIM_CONNECTOR_TOKEN: TOKEN_A, ENT_SIM_MAX_ITEM_BYTES: 'lots' }, 'ENT_SIM_MAX_ITEM_BYTES'],
  ])('exits 1 naming the bad variable (%j)', async (env, variable) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ent-sim-bad-'));
    const r = await runToExit({ ...env, ENT_SIM_DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.err).toContain(variable);
    expect(r.out).not.toContain('listening on');
    rmSync(dataDir, { recursive: true, force: true });
  });
});
