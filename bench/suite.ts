/**
 * `npm run bench`: the performance suite of issue #17 (never run by the test command).
 *
 * Every measure runs against its raw baseline in the same run, rounds alternated (the baseline
 * first on odd rounds, the gateway first on even ones) so that the noise of this shared machine
 * hits both sides; each row gives median / min / max, the ratio of the medians (throughput of
 * the gateway ÷ throughput of the raw copy: 1.00 = as fast as the raw copy) and the 1-minute
 * load average when it was measured. Rows run on the S3 named by S3_ENDPOINT (radosgw) and
 * again on the embedded fallback (in-process s3rver).
 *
 * Sections:
 *   storage      staging (ENT export → S3) and pull (presigned GET → verify → S3), library level
 *   e2e          end to end (/start → signed receipt) through the real stack on a Postgres
 *                server, against the sum of the three raw copies (ENT → S3, S3 → S3, S3 → ENT);
 *                peak RSS of each gateway (VmHWM, reset before each round) at each item size
 *   negotiation  10 / 100 / 500 items: negotiate() alone, and POST /portability/v1/offers
 *   concurrency  1, 10, 50 transfers × 20 items at once (bench/phases.ts): items/s, errors
 *   packaging    bench/cc-large.mjs (our CC writer/reader against zip/unzip)
 *
 * Results go to BENCH_RESULT_FILE (default bench/results/latest.json); `bench/report.ts` turns
 * them into BENCHMARKS.md. Knobs: BENCH_SECTIONS (comma list), BENCH_ROUNDS (3),
 * BENCH_SIZES_MB (100,2048: e2e and memory; for a row above 0 the simulated ENTs' and gateways' item limits are raised to 4 GiB, so that a 2 GiB item is imported, not refused), BENCH_STORAGE_MB (100), BENCH_BACKENDS
 * (radosgw,embedded), BENCH_CONCURRENCY (1,10,50), BENCH_EMBEDDED_MAX_MB (100: larger items
 * are measured on radosgw only), BENCH_LARGE_ROUNDS (1: rounds for items above 500 MiB), BENCH_FIRST
 * (baseline|gateway: which runs first in the first round).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { spawnSync } from 'node:child_process';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Client } from 'minio';
import { ObjectStore, type UploadCheckpoint, type UploadCheckpointStore } from '../libs/storage/src';
import { negotiate } from '../libs/negotiation/src';
import { descriptorsOf, EXECUTABLE_CONVERTERS } from '../libs/formats/src';
import { createGatewayDatabases } from '../test/support/gateway-db';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../test/support/postgres';
import { testS3, type TestS3 } from '../test/support/s3';
import { bootStack, clientCredentialsToken, DEMO, type StackSession, TeacherClient } from '../test/support/stack-session';
import { printPhase, runPhase } from './phases';
import { BenchDb, cpuByComponent, cpuSpent, sleep } from './support';

const MIB = 1024 * 1024;
/**
 * The gateway's own connector client, loaded from the build (compiled next to this file): the
 * staging row runs the gateway's code path, not a copy of it. Loaded at run time so that the
 * bench does not type-check the Nest app.
 */
type ExportSource = (from: { offset: number; sourceTag?: string }) => Promise<{ stream: Readable; offset: number; sourceTag?: string; totalSize?: number }>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ConnectorClient } = require(join(__dirname, '..', 'apps', 'gateway', 'src', 'connector', 'connector.client.js')) as {
  ConnectorClient: new (config: unknown, outbound: unknown) => { exportSource(user: string, content: string, format: string): ExportSource };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { OutboundPolicy } = require(join(__dirname, '..', 'apps', 'gateway', 'src', 'infra', 'outbound.js')) as {
  OutboundPolicy: new (options: { allowedCidrs: string[]; timeoutMs: number; idleTimeoutMs: number }) => unknown;
};
const ROOT = resolve(__dirname, '..', '..');
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SECTIONS = list('BENCH_SECTIONS', 'storage,e2e,negotiation,concurrency,packaging');
const ROUNDS = num('BENCH_ROUNDS', 3);
// An offer takes milliseconds and this machine's noise as much: many rounds, the median read.
const NEGOTIATION_ROUNDS = Math.max(ROUNDS * 10, 30);
const SIZES_MB = list('BENCH_SIZES_MB', '100,2048').map(Number);
const STORAGE_MB = num('BENCH_STORAGE_MB', 100);
const BACKENDS = list('BENCH_BACKENDS', 'radosgw,embedded') as Backend[];
const CONCURRENCY = list('BENCH_CONCURRENCY', '1,10,50').map(Number);
const EMBEDDED_MAX_MB = num('BENCH_EMBEDDED_MAX_MB', 100);
/**
 * BENCH_FIRST=gateway: the gateway runs first in the first round (default: the baseline). With one
 * round per fresh radosgw (2 GiB rows), whichever runs second finds the memstore fuller: run the
 * row once each way.
 */
const FIRST_GATEWAY = process.env.BENCH_FIRST === 'gateway' ? 1 : 0;
const RESULT_FILE = process.env.BENCH_RESULT_FILE ?? join(ROOT, 'bench', 'results', 'latest.json');
const TEACHER = { login: 'marie.dupont', password: 'demo-marie' };
/** Extra environment for both gateways (e.g. job slots to compare): BENCH_GATEWAY_ENV='{"JOB_CONCURRENCY":"8"}'. */
const GATEWAY_ENV = JSON.parse(process.env.BENCH_GATEWAY_ENV ?? '{}') as Record<string, string>;

type Backend = 'radosgw' | 'embedded';

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export interface Row {
  section: string;
  name: string;
  backend: Backend | 'none';
  unit: string;
  gateway: Stats;
  baseline?: Stats;
  baselineName?: string;
  /** Higher is better for the gateway: baseline median ÷ gateway median for times. */
  ratio?: number;
  target?: string;
  holds?: boolean;
  load1: number;
  note?: string;
  extra?: Record<string, unknown>;
}

const rows: Row[] = [];
const log = (msg: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const load1 = () => +loadavg()[0].toFixed(2);
/** `n` runs of `fn`, one after the other. */
async function sequential<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

const stats = (runs: number[]): Stats => {
  const s = [...runs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], min: s[0], max: s[s.length - 1], runs };
};
const ms = async (fn: () => Promise<unknown>) => {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

/**
 * Best-effort clean-up that must not stall the run: radosgw's memstore was seen to leave a
 * multi-object delete unanswered ("RGWWatcher::handle_error … Transport endpoint is not
 * connected"), and the whole suite then waited forever.
 */
async function bounded(work: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((r) => {
    timer = setTimeout(() => {
      log(`${what}: no answer within ${ms} ms, going on`);
      r();
    }, ms);
  });
  await Promise.race([work.catch(() => undefined), gaveUp]);
  clearTimeout(timer);
}

function record(row: Row) {
  rows.push(row);
  const f = (s: Stats) => `${s.median.toFixed(1)} [${s.min.toFixed(1)}–${s.max.toFixed(1)}] ${row.unit}`;
  log(`ROW ${row.section} | ${row.name} | ${row.backend} | gateway ${f(row.gateway)}${row.baseline ? ` | ${row.baselineName ?? 'raw'} ${f(row.baseline)}` : ''}` +
    `${row.ratio !== undefined ? ` | ratio ${row.ratio.toFixed(2)}` : ''}${row.target ? ` | target ${row.target}: ${row.holds ? 'holds' : 'NOT MET'}` : ''} | load ${row.load1}`);
  writeResults(false);
}

/** Alternated rounds: the baseline first on odd rounds, the gateway first on even ones. */
async function alternate(rounds: number, gateway: () => Promise<number>, baseline: () => Promise<number>) {
  const g: number[] = [];
  const b: number[] = [];
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if ((r + FIRST_GATEWAY) % 2 === 0) {
      b.push(await baseline());
      g.push(await gateway());
    } else {
      g.push(await gateway());
      b.push(await baseline());
    }
    loads.push(load1());
  }
  return { gateway: stats(g), baseline: stats(b), load1: +(loads.reduce((x, y) => x + y, 0) / loads.length).toFixed(2) };
}

// --------------------------------------------------------------------------- bytes and copies

/** Deterministic bytes at any offset: a random 1 MiB + 7 block repeated. */
const BLOCK = Buffer.alloc(MIB + 7);
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = Math.imul(i + 1, 2654435761) >>> 24;
function bytesFrom(offset: number, size: number): Readable {
  let at = offset;
  return new Readable({
    read() {
      if (at >= size) return void this.push(null);
      const start = at % BLOCK.length;
      const n = Math.min(256 * 1024, size - at, BLOCK.length - start);
      at += n;
      this.push(BLOCK.subarray(start, start + n));
    },
  });
}

/** A connector-like export endpoint serving `size` deterministic bytes (Range + ETag). */
async function exportServer(size: number): Promise<{ url: string; server: Server }> {
  const etag = `"bench-${size}"`;
  const server = createServer((req, res) => {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && req.headers['if-range'] === etag ? Number(m[1]) : 0;
    res.writeHead(start ? 206 : 200, {
      'content-type': 'application/pdf',
      'content-length': String(size - start),
      etag,
      ...(start ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
    void pipeline(bytesFrom(start, size), res).catch(() => undefined);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

class MemoryCheckpoints implements UploadCheckpointStore {
  private text: string | undefined;
  async load() {
    return this.text ? (JSON.parse(this.text) as UploadCheckpoint) : undefined;
  }
  async save(cp: UploadCheckpoint) {
    this.text = JSON.stringify(cp);
  }
  async clear() {
    this.text = undefined;
  }
}

function hashing(): { stream: Transform; digest: () => string } {
  const h = createHash('sha256');
  const stream = new Transform({
    transform(chunk: Buffer, _e, done) {
      h.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, digest: () => h.digest('hex') };
}

function minioOf(s3: TestS3): Client {
  const u = new URL(s3.endPoint);
  // s3rver (the embedded row) does not list multipart uploads, which minio's streamed putObject
  // asks for above one part: there the raw copy is a single PUT (up to 5 GiB, held in memory).
  const embedded = !process.env.S3_ENDPOINT;
  return new Client({
    endPoint: u.hostname, port: Number(u.port || 80), useSSL: u.protocol === 'https:', accessKey: s3.accessKey, secretKey: s3.secretKey, region: s3.region, pathStyle: true,
    ...(embedded ? { partSize: 5 * 1024 * MIB } : {}),
  });
}

/** Raw copy: stream `source` through SHA-256 into a plain minio putObject (what any S3 client does). */
async function rawPut(client: Client, bucket: string, key: string, source: Readable, size: number): Promise<string> {
  const h = hashing();
  source.pipe(h.stream);
  await client.putObject(bucket, key, h.stream, size);
  return h.digest();
}

async function getBody(url: string): Promise<Readable> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url.split('?')[0]} answered ${res.status}`);
  return Readable.fromWeb(res.body as unknown as WebReadableStream);
}

/** Raw import into an ENT: node:http + pipeline, the connector's PUT, SHA-256 on the way. */
function rawImport(entUrl: string, token: string, user: string, key: string, body: Readable): Promise<void> {
  const url = new URL(`${entUrl}/connector/v1/users/${encodeURIComponent(user)}/imports/${encodeURIComponent(key)}?${new URLSearchParams({ category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf', title: 'bench' })}`);
  return new Promise((resolveP, reject) => {
    const req = httpRequest(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' } }, (res) => {
      res.resume();
      res.once('end', () => ((res.statusCode ?? 0) < 300 ? resolveP() : reject(new Error(`raw import answered ${res.statusCode}`))));
    });
    req.once('error', reject);
    const h = hashing();
    pipeline(body, h.stream, req).catch(reject);
  });
}

// --------------------------------------------------------------------------- backends

async function withBackend<T>(backend: Backend, fn: (s3: TestS3) => Promise<T>): Promise<T> {
  const saved = process.env.S3_ENDPOINT;
  if (backend === 'embedded') delete process.env.S3_ENDPOINT;
  else if (!saved) throw new Error('radosgw row: S3_ENDPOINT must name it (../shared/tools/s3-radosgw/up.sh, then source its s3.env)');
  try {
    const s3 = await testS3();
    try {
      return await fn(s3);
    } finally {
      await s3.stop();
    }
  } finally {
    if (saved !== undefined) process.env.S3_ENDPOINT = saved;
  }
}

// --------------------------------------------------------------------------- storage section

async function storageSection(backend: Backend) {
  const size = STORAGE_MB * MIB;
  await withBackend(backend, async (s3) => {
    const bucket = `bench-storage-${Date.now().toString(36)}`;
    const store = new ObjectStore({ endPoint: s3.endPoint, accessKey: s3.accessKey, secretKey: s3.secretKey, region: s3.region, bucket, presignTtlSeconds: 600 });
    await store.ensureBucket();
    const client = minioOf(s3);
    const ent = await exportServer(size);
    // The gateway's outbound policy, as the gateway builds it for the local stack (loopback allowed).
    const outbound = new OutboundPolicy({ allowedCidrs: ['127.0.0.1/32', '::1/128'], timeoutMs: 60_000, idleTimeoutMs: 60_000 });
    const connector = new ConnectorClient({ connector: { url: ent.url, token: 'bench-connector-token' }, limits: { peerTimeoutMs: 60_000 } }, outbound);
    let expected: string | undefined;
    let staged: string | undefined;
    let n = 0;
    try {
      // Staging: the gateway's code path (connector export → putResumable with a checkpoint per part).
      const staging = await alternate(
        ROUNDS,
        () => ms(async () => {
          const key = `g/stage-${n++}`;
          const put = await store.putResumable(key, connector.exportSource('u', 'c', 'binary'), { contentType: 'application/pdf', expectedSize: size, maxBytes: 2 * 1024 * MIB, checkpoints: new MemoryCheckpoints() });
          expected ??= put.sha256;
          staged ??= key;
          if (put.sha256 !== expected) throw new Error('staging digest differs');
        }),
        () => ms(async () => {
          const digest = await rawPut(client, bucket, `r/stage-${n++}`, await getBody(`${ent.url}/raw`), size);
          expected ??= digest;
          if (digest !== expected) throw new Error('raw digest differs');
        }),
      );
      record({ section: 'storage', name: `staging ${STORAGE_MB} MiB (ENT export → S3)`, backend, unit: 'ms', ...staging, baselineName: 'streamed putObject + SHA-256', ratio: staging.baseline.median / staging.gateway.median, target: '≥ 0.95', holds: staging.baseline.median / staging.gateway.median >= 0.95, note: 'checkpoints kept in memory here (in the gateway: one Postgres row update per 8 MiB part)' });

      // Pull: presigned GET of the staged object → verify size and SHA-256 → own copy.
      const presigned = await store.presignGet(staged!, 600);
      const pull = await alternate(
        ROUNDS,
        () => ms(async () => {
          await store.putResumable(`g/pull-${n++}`, async (from) => {
            const res = await fetch(presigned, from.offset && from.sourceTag ? { headers: { range: `bytes=${from.offset}-`, 'if-match': from.sourceTag } } : {});
            if (!res.ok || !res.body) throw new Error(`presigned GET answered ${res.status}`);
            return { stream: Readable.fromWeb(res.body as unknown as WebReadableStream), offset: res.status === 206 ? from.offset : 0, sourceTag: res.headers.get('etag') ?? undefined, totalSize: size };
          }, { contentType: 'application/pdf', expectedSize: size, expectedSha256: expected, maxBytes: size, checkpoints: new MemoryCheckpoints() });
        }),
        () => ms(async () => {
          const digest = await rawPut(client, bucket, `r/pull-${n++}`, await getBody(presigned), size);
          if (digest !== expected) throw new Error('raw pull digest differs');
        }),
      );
      record({ section: 'storage', name: `pull ${STORAGE_MB} MiB (presigned GET → verify → S3)`, backend, unit: 'ms', ...pull, baselineName: 'GET + SHA-256 + putObject', ratio: pull.baseline.median / pull.gateway.median, target: '≥ 0.95', holds: pull.baseline.median / pull.gateway.median >= 0.95 });
    } finally {
      ent.server.close();
      await store.removePrefix('g/').catch(() => undefined);
      await store.removePrefix('r/').catch(() => undefined);
      await client.removeBucket(bucket).catch(() => undefined);
    }
  });
}

// --------------------------------------------------------------------------- stack sections

/** Peak RSS of a process since the last reset (VmHWM), in MiB; resetting needs Linux ≥ 4.0. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function resetPeakRss(pid: number) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

interface StackHandle {
  session: StackSession;
  atA: TeacherClient;
  dbA: BenchDb;
  dbB: BenchDb;
  close(): Promise<void>;
}

async function withStack<T>(pg: ThrowawayPostgres, name: string, largeBytes: number, fn: (h: StackHandle) => Promise<T>): Promise<T> {
  const tag = `${name}_${Date.now().toString(36)}`.replace(/[^a-z0-9_]/g, '_');
  const dbs = await createGatewayDatabases(pg, [`${tag}_a`, `${tag}_b`]);
  const entEnv = { ENT_SIM_EXTRA_ITEMS: '20', ...(largeBytes ? { ENT_SIM_LARGE_ITEM_BYTES: String(largeBytes), ENT_SIM_LARGE_ITEM_OWNERS: TEACHER.login } : {}) };
  const session = await bootStack(name, {
    databaseUrls: { a: dbs[`${tag}_a`], b: dbs[`${tag}_b`] },
    jobPollMs: 500,
    // A 2 GiB item sits exactly on the default limits (MAX_ITEM_BYTES, ENT_SIM_MAX_ITEM_BYTES):
    // raised, so that the row measures the import rather than the edge of a limit.
    env: {
      'ent-sim-a': entEnv,
      'ent-sim-b': { ENT_SIM_EXTRA_ITEMS: '20', ...(largeBytes ? { ENT_SIM_MAX_ITEM_BYTES: String(4 * 1024 * MIB) } : {}) },
      'gateway-a': { ...(largeBytes ? { MAX_ITEM_BYTES: String(4 * 1024 * MIB) } : {}), ...GATEWAY_ENV },
      'gateway-b': { ...(largeBytes ? { MAX_ITEM_BYTES: String(4 * 1024 * MIB) } : {}), ...GATEWAY_ENV },
    },
  });
  let dbA: BenchDb | undefined;
  let dbB: BenchDb | undefined;
  try {
    dbA = await BenchDb.open(dbs[`${tag}_a`]);
    dbB = await BenchDb.open(dbs[`${tag}_b`]);
    const atA = await TeacherClient.login(session.stack.urls.gatewayA, TEACHER.login, TEACHER.password);
    return await fn({ session, atA, dbA, dbB, close: async () => undefined });
  } finally {
    await dbA?.close();
    await dbB?.close();
    await session.close().catch((err) => log(`stack close: ${(err as Error).message}`));
  }
}

async function waitState(db: BenchDb, role: 'DEPARTURE' | 'ARRIVAL', id: string, states: string[], timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = (await db.states(role, [id])).get(id) ?? '';
    if (states.includes(s)) return;
    if (['FAILED', 'CANCELLED', 'EXPIRED', 'PARTIAL'].includes(s)) throw new Error(`${role} ${id} ended ${s}`);
    if (Date.now() > end) throw new Error(`${role} ${id} still ${s} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function e2eSection(backend: Backend, pg: ThrowawayPostgres) {
  for (const mb of SIZES_MB) {
    if (backend === 'embedded' && mb > EMBEDDED_MAX_MB) continue;
    if (!SECTIONS.includes('e2e') && mb !== SIZES_MB[0]) continue;
    const size = SECTIONS.includes('e2e') ? mb * MIB : 0;
    const rounds = mb > 500 ? num('BENCH_LARGE_ROUNDS', 1) : ROUNDS;
    await withBackend(backend, () => withStack(pg, `bench-e2e-${mb}`, size, async (h) => {
      const urls = h.session.stack.urls;
      // The S3 the stack's gateways write to (the embedded row starts one per stack).
      const s3 = h.session.s3;
      const large = `ent-a-${TEACHER.login.replace(/[^A-Za-z0-9._:-]/g, '-')}-large`;
      const pidA = h.session.stack.processes.get('gateway-a')!.pid!;
      const pidB = h.session.stack.processes.get('gateway-b')!.pid!;
      const client = minioOf(s3);
      const rawBucket = `${h.session.buckets.a}`;
      const entBCaps = await (await fetch(`${urls.entB}/connector/v1/capabilities`, { headers: { authorization: `Bearer ${DEMO.connectorTokenB}` } })).json() as { maxItemBytes: number };
      const entBMaxItemBytes = entBCaps.maxItemBytes;
      if (size > entBMaxItemBytes) log(`end to end ${mb} MiB: above ENT B's ${entBMaxItemBytes} bytes, kept for manual download (no import leg on either side)`);
      const peaks = { a: [] as number[], b: [] as number[] };
      const parts = { staging: [] as number[], pull: [] as number[], import: [] as number[] };
      let k = 0;
      // Negotiation or concurrency alone (BENCH_SECTIONS without e2e): the same stack, no large item.
      if (!SECTIONS.includes('e2e')) {
        if (SECTIONS.includes('negotiation') && mb === SIZES_MB[0]) await negotiationSection(backend, h);
        if (SECTIONS.includes('concurrency') && mb === SIZES_MB[0]) await concurrencySection(backend, h);
        return;
      }
      const result = await alternate(
        rounds,
        async () => {
          const draft = await h.atA.json<{ id: string }>('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [large] });
          await h.atA.json('POST', `/api/transfers/${draft.id}/analysis`);
          resetPeakRss(pidA);
          resetPeakRss(pidB);
          const took = await ms(async () => {
            await h.atA.json('POST', `/api/transfers/${draft.id}/start`);
            // §8.3: the arrival imports when its owner logs in there; she does so at once.
            await TeacherClient.login(urls.gatewayB, TEACHER.login, TEACHER.password);
            await waitState(h.dbA, 'DEPARTURE', draft.id, ['RECEIPTED', 'CLEANED'], 60 * 60_000);
          });
          peaks.a.push(peakRssMiB(pidA));
          peaks.b.push(peakRssMiB(pidB));
          await waitState(h.dbA, 'DEPARTURE', draft.id, ['CLEANED'], 10 * 60_000);
          return took;
        },
        async () => {
          // The sum of the three raw copies the flow makes: ENT A → S3, S3 → S3, S3 → ENT B.
          const i = k++;
          const exportUrl = `${urls.entA}/connector/v1/users/${TEACHER.login}/contents/${large}/export?format=binary`;
          const staging = await ms(async () => {
            const res = await fetch(exportUrl, { headers: { authorization: `Bearer ${DEMO.connectorTokenA}` } });
            await rawPut(client, rawBucket, `raw/${i}/staged`, Readable.fromWeb(res.body as unknown as WebReadableStream), size);
          });
          const presigned = await client.presignedGetObject(rawBucket, `raw/${i}/staged`, 600);
          const pull = await ms(async () => rawPut(client, rawBucket, `raw/${i}/pulled`, await getBody(presigned), size));
          // An item above what ENT B imports is kept at the arrival for a manual download: the flow
          // makes no S3 → ENT copy then, and neither does its baseline.
          const imp = size > entBMaxItemBytes ? 0
            : await ms(async () => rawImport(urls.entB, DEMO.connectorTokenB, 'paul.martin', `raw-${Date.now()}-${i}`, await client.getObject(rawBucket, `raw/${i}/pulled`)));
          await bounded(client.removeObjects(rawBucket, [`raw/${i}/staged`, `raw/${i}/pulled`]), 30_000, 'removing the raw copies');
          parts.staging.push(staging);
          parts.pull.push(pull);
          parts.import.push(imp);
          return staging + pull + imp;
        },
      );
      const ratio = result.baseline.median / result.gateway.median;
      record({
        section: 'e2e', name: `end to end ${mb} MiB (/start → signed receipt)`, backend, unit: 'ms', ...result,
        baselineName: size > entBMaxItemBytes ? 'sum of the raw copies (ENT→S3, S3→S3; kept for manual download, no S3→ENT)' : 'sum of the raw copies (ENT→S3, S3→S3, S3→ENT)', ratio, target: '≥ 0.9', holds: ratio >= 0.9,
        extra: { rawParts: { staging: stats(parts.staging), pull: stats(parts.pull), import: stats(parts.import) }, rounds },
      });
      for (const [side, values] of [['departure (gateway A)', peaks.a], ['arrival (gateway B)', peaks.b]] as const) {
        const s = stats(values);
        record({ section: 'memory', name: `peak RSS, ${side}, ${mb} MiB item`, backend, unit: 'MiB', gateway: s, load1: result.load1, target: '< 256 MiB', holds: s.max < 256 });
      }
      if (SECTIONS.includes('negotiation') && mb === SIZES_MB[0]) await negotiationSection(backend, h);
      if (SECTIONS.includes('concurrency') && mb === SIZES_MB[0]) await concurrencySection(backend, h);
    }));
  }
}

async function negotiationSection(backend: Backend, h: StackHandle) {
  const urls = h.session.stack.urls;
  const capsToken = await clientCredentialsToken(urls.idp, { id: 'gateway-a', secret: 'gateway-a-secret' }, urls.gatewayB, 'portability:capabilities');
  const caps = await (await fetch(`${urls.gatewayB}/portability/v1/capabilities`, { headers: { authorization: `Bearer ${capsToken}` } })).json();
  const token = await clientCredentialsToken(urls.idp, { id: 'gateway-a', secret: 'gateway-a-secret' }, urls.gatewayB, 'portability:offer');
  const converters = descriptorsOf(EXECUTABLE_CONVERTERS);
  const kinds = [
    { category: 'PARCOURS_PEDAGOGIQUE', formats: [{ format: 'imscc-1.3', mediaType: 'application/vnd.ims.imsccv1p3', sizeBytes: 2_000_000 }] },
    { category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 800_000 }] },
    { category: 'COURRIER_ELECTRONIQUE', formats: [{ format: 'mbox', mediaType: 'application/mbox', sizeBytes: 5_000_000 }] },
  ];
  const offerOf = (n: number) => ({
    offerId: crypto.randomUUID(),
    contractVersion: '1',
    departure: { entId: 'ent-a', uai: DEMO.uaiA },
    arrival: { uai: DEMO.uaiB },
    owner: { identityClaim: 'sub', identity: TEACHER.login, displayName: 'Marie Dupont' },
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    items: Array.from({ length: n }, (_, i) => ({ itemId: `bench-${i}`, title: `Élément ${i}`, ...kinds[i % kinds.length] })),
  });
  for (const n of [10, 100, 500]) {
    const pure: number[] = [];
    for (let r = 0; r < NEGOTIATION_ROUNDS; r++) {
      const offer = offerOf(n);
      pure.push(await ms(async () => negotiate({ offer: offer as never, capabilities: caps as never, converters, arrivalEntId: 'ent-b', now: new Date() })));
    }
    const http: number[] = [];
    for (let r = 0; r < NEGOTIATION_ROUNDS; r++) {
      const body = JSON.stringify(offerOf(n));
      http.push(await ms(async () => {
        const res = await fetch(`${urls.gatewayB}/portability/v1/offers`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
        const text = await res.text();
        if (res.status !== 200 && res.status !== 201) throw new Error(`offer of ${n} answered ${res.status}: ${text.slice(0, 300)}`);
      }));
    }
    const g = stats(http);
    record({ section: 'negotiation', name: `offer of ${n} items over HTTP (POST /portability/v1/offers)`, backend, unit: 'ms', gateway: g, baseline: stats(pure), baselineName: 'negotiate() alone, in process', load1: load1(), ...(n === 500 ? { target: '< 20 ms', holds: g.median < 20 } : {}) });
  }
}

async function concurrencySection(backend: Backend, h: StackHandle) {
  const { items: contents } = await h.atA.json<{ items: { id: string }[] }>('GET', '/api/contents');
  const itemIds = contents.filter((c) => c.id.includes('-extra-')).slice(0, 20).map((c) => c.id);
  let single: Stats | undefined;
  const phase = (count: number, label: string) =>
    runPhase({ label, count, env: h.session, atA: h.atA, itemIds, dbA: h.dbA, dbB: h.dbB, deadline: Date.now() + 30 * 60_000, requestTimeoutMs: 300_000, log });
  // The CPU each component spends in the counted phases: which component the cores went to, and
  // the most items per second this machine could move at that cost per item (all cores busy).
  const named = (): Record<number, string> => {
    const out: Record<number, string> = { [process.pid]: backend === 'embedded' ? 'driver (with the embedded S3)' : 'driver (this script)' };
    const sides: [string, string][] = [['gateway-a', 'gateway A (departure)'], ['gateway-b', 'gateway B (arrival)']];
    for (const [name, label] of sides) {
      const pid = h.session.stack.processes.get(name as 'gateway-a' | 'gateway-b')?.pid;
      if (pid) out[pid] = label;
    }
    return out;
  };
  const spent: Record<string, number> = {};
  const counted = async (count: number, label: string) => {
    const before = cpuByComponent(named());
    const result = await phase(count, label);
    for (const [k, v] of Object.entries(cpuSpent(before, cpuByComponent(named())))) spent[k] = (spent[k] ?? 0) + v;
    return result;
  };
  // One transfer first that is not counted: the stack's first transfer also pays for its
  // connections and its JIT, and would make the single-transfer baseline look slower.
  if (CONCURRENCY.includes(1)) printPhase(await phase(1, 'warm-up, not counted'), log);
  for (const count of CONCURRENCY) {
    // The single transfer is the baseline: its median over the rounds (it lasts about 2 s).
    for (const k of Object.keys(spent)) delete spent[k];
    const runs = count === 1 ? await sequential(ROUNDS, () => counted(1, '1 × 20')) : [await counted(count, `${count} × 20`)];
    for (const r of runs) printPhase(r, log);
    const errors = runs.reduce((n, r) => n + r.failed + r.duplicatedItems + r.misattributed + r.lost, 0);
    const measured = stats(runs.map((r) => r.throughput ?? 0));
    const r = runs[runs.length - 1];
    const itemsPerS = measured.median;
    if (count === 1) single = measured;
    const gain = single ? itemsPerS / single.median : undefined;
    const cpu = cpuUse(spent, runs.reduce((n, x) => n + x.itemsDone, 0), runs.reduce((n, x) => n + (x.wallMs ?? 0), 0), single?.median);
    if (cpu) log(`${count} × 20: CPU ${cpu.totalMsPerItem} ms per item (${Object.entries(cpu.msPerItem).map(([k, v]) => `${k} ${v}`).join(', ')}), ${cpu.coresUsed} of ${cpus().length} cores busy; at that cost this machine moves at most ${cpu.ceilingItemsPerS} items/s`);
    record({
      section: 'concurrency', name: `${count} transfer(s) × 20 items at once`, backend, unit: 'items/s', gateway: measured, load1: load1(),
      ...(count > 1 && gain !== undefined ? { ratio: gain, baselineName: '1 transfer alone (items/s, median of the rounds)', baseline: single } : {}),
      ...(count === 50 ? { target: '≥ 3× one transfer, 0 errors', holds: (gain ?? 0) >= 3 && errors === 0 } : {}),
      extra: { wallMs: r.wallMs, p50Ms: r.p50Ms, p95Ms: r.p95Ms, failed: r.failed, duplicated: r.duplicatedItems, lost: r.lost, misattributed: r.misattributed, errors, ...(cpu ? { cpu } : {}) },
    });
  }
}

/**
 * What the counted phases cost in CPU: milliseconds per item done for each component, the cores
 * they kept busy on average, and the ceiling that cost sets on this machine (every core busy:
 * cores × 1000 ÷ ms per item). Against one transfer alone, the ceiling is the largest gain any
 * concurrency could show here, whatever the gateway does. Undefined without /proc or items.
 */
export interface CpuUse {
  msPerItem: Record<string, number>;
  totalMsPerItem: number;
  coresUsed: number;
  ceilingItemsPerS: number;
  /** ceilingItemsPerS ÷ one transfer alone (items/s): the most any concurrency could gain here. */
  ceilingGain?: number;
}
function cpuUse(spent: Record<string, number>, items: number, wallMs: number, singleItemsPerS?: number): CpuUse | undefined {
  const total = Object.values(spent).reduce((n, v) => n + v, 0);
  if (items <= 0 || wallMs <= 0 || total <= 0) return undefined;
  const round = (x: number, digits: number) => +x.toFixed(digits);
  const totalMsPerItem = (total * 1000) / items;
  const ceiling = (cpus().length * 1000) / totalMsPerItem;
  const msPerItem = Object.fromEntries(Object.entries(spent).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round((v * 1000) / items, 1)]));
  return {
    msPerItem,
    totalMsPerItem: round(totalMsPerItem, 1),
    coresUsed: round(total / (wallMs / 1000), 2),
    ceilingItemsPerS: round(ceiling, 1),
    ...(singleItemsPerS ? { ceilingGain: round(ceiling / singleItemsPerS, 2) } : {}),
  };
}

function packagingSection() {
  const t0 = load1();
  const out = spawnSync(process.execPath, [join(ROOT, 'bench', 'cc-large.mjs'), '--files', process.env.BENCH_CC_FILES ?? '1000', '--mb', process.env.BENCH_CC_MB ?? '100'], { encoding: 'utf8', timeout: 20 * 60_000 });
  const text = `${out.stdout ?? ''}`;
  // The data line, then the table from its header to the first blank line.
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^operation\s/.test(l));
  const end = header < 0 ? -1 : lines.findIndex((l, i) => i > header && l.trim() === '');
  const table = [...lines.filter((l) => /^data:/.test(l)), ...(header < 0 ? [] : lines.slice(header, end < 0 ? undefined : end))];
  log(`packaging (cc-large.mjs):\n${text}`);
  rows.push({ section: 'packaging', name: 'Common Cartridge write / extract (bench/cc-large.mjs)', backend: 'none', unit: 'text', gateway: stats([0]), load1: t0, note: table.join('\n') });
  writeResults(false);
}

// --------------------------------------------------------------------------- main

function writeResults(final: boolean) {
  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  writeFileSync(RESULT_FILE, JSON.stringify({
    date: started.toISOString(),
    finished: final ? new Date().toISOString() : null,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '?', memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
    settings: { gatewayEnv: GATEWAY_ENV, sections: SECTIONS, rounds: ROUNDS, first: FIRST_GATEWAY ? 'gateway' : 'baseline', sizesMiB: SIZES_MB, storageMiB: STORAGE_MB, backends: BACKENDS, concurrency: CONCURRENCY },
    rows,
  }, null, 2));
}

const started = new Date();

async function main() {
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  log(`sections ${SECTIONS.join(', ')}; backends ${BACKENDS.join(', ')}; ${ROUNDS} alternated rounds; results → ${RESULT_FILE}`);
  let pg: ThrowawayPostgres | undefined;
  try {
    for (const backend of BACKENDS) {
      if (SECTIONS.includes('storage')) await storageSection(backend);
      if (SECTIONS.includes('e2e') || SECTIONS.includes('negotiation') || SECTIONS.includes('concurrency')) {
        pg ??= await startThrowawayPostgres();
        await e2eSection(backend, pg);
      }
    }
    if (SECTIONS.includes('packaging')) packagingSection();
  } finally {
    await pg?.stop().catch(() => undefined);
    writeResults(true);
  }
  log(`done: ${rows.length} rows in ${RESULT_FILE}; \`node dist/bench/report.js\` writes BENCHMARKS.md`);
}

const watchdog = setTimeout(() => {
  log('watchdog: 3 h, stopping');
  process.exit(3);
}, 3 * 3600_000);
watchdog.unref();

main().then(() => process.exit(0), (err) => {
  log(`bench aborted: ${(err as Error).stack ?? err}`);
  writeResults(true);
  process.exit(2);
});
