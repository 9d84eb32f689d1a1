/**
 * Benchmark: peak RSS of the departure gateway while it builds « une copie de mes données »
 * (ADR 017: connector export → yazl → S3 multipart, one source at a time) for a small copy (the
 * seeded contents) and a large one (the same plus one large file), against the raw streaming
 * baseline measured in the same run on the same process: serving that very archive back
 * (S3 → HTTP, no zip, no hashing). Flat memory means: the build's peak does not grow with the
 * copy's size and stays near the baseline's.
 *
 *   npm run build && tsc -p bench/tsconfig.bench.json && node dist/bench/data-copy-memory.js [--mb 256,1024] [--verify]
 *
 * `--mb 4096 --verify` proves ZIP64 (an entry and an archive past 4 GiB, tested by Info-ZIP's
 * `unzip -t`; ENT_SIM_LARGE_ITEM_BYTES allows up to 4 GiB; radosgw then needs CEPH_MEMSTORE_BYTES=6442450944).
 *
 * Needs a real S3 (source the s3.env of ../shared/tools/s3-radosgw/up.sh; its memstore must hold
 * twice the largest size: CEPH_MEMSTORE_BYTES=4294967296 for 1 GiB) and Linux ≥ 4.0 (VmHWM reset through /proc/PID/clear_refs). Not run by
 * the test command.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGatewayDatabases } from '../test/support/gateway-db';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../test/support/postgres';
import { bootStack, StackSession, TeacherClient, waitUntil } from '../test/support/stack-session';

const MIB = 1024 * 1024;
/** --verify: keep the downloaded archive on disk and have Info-ZIP test it (ZIP64 past 4 GiB). */
const VERIFY = process.argv.includes('--verify');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function currentRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

async function send(client: TeacherClient, method: string, path: string, form?: URLSearchParams): Promise<Response> {
  const url = `${client.baseUrl}${path}`;
  const res = await fetch(url, {
    method,
    redirect: 'manual',
    headers: { cookie: client.jar.header(url), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: form?.toString(),
  });
  client.jar.storeFrom(url, res);
  return res;
}

interface Round {
  label: string;
  archiveMiB: number;
  /** Peak RSS minus the RSS when the peak was reset: what the work itself added. */
  buildPeakMiB: number;
  buildSeconds: number;
  rawPeakMiB: number;
  buildAbsMiB: number;
  rawAbsMiB: number;
  /** With --verify: what `unzip -t` and `zipinfo` said of the downloaded archive. */
  verified?: string;
  rawSeconds: number;
  idleMiB: number;
}

async function measure(pg: ThrowawayPostgres, label: string, largeBytes: number): Promise<Round> {
  const owner = 'marie.dupont';
  let env: StackSession | undefined;
  try {
    // A Postgres server, as in production: PGlite would put the database in the gateway's own RSS.
    const tag = `copybench_${largeBytes ? 'l' : 's'}_${Date.now().toString(36)}`;
    const dbs = await createGatewayDatabases(pg, [`${tag}_a`, `${tag}_b`]);
    env = await bootStack(`copybench${largeBytes ? 'l' : 's'}`, {
      databaseUrls: { a: dbs[`${tag}_a`], b: dbs[`${tag}_b`] },
      env: largeBytes ? { 'ent-sim-a': { ENT_SIM_LARGE_ITEM_BYTES: String(largeBytes), ENT_SIM_LARGE_ITEM_OWNERS: owner } } : {},
    });
    const pid = env.stack.processes.get('gateway-a')!.pid!;
    const marie = await TeacherClient.login(env.stack.urls.gatewayA, owner, 'demo-marie');
    const page = await (await send(marie, 'GET', '/mes-donnees')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
    const idleMiB = currentRssMiB(pid);

    resetPeakRss(pid);
    const buildFrom = currentRssMiB(pid);
    const started = Date.now();
    const created = await send(marie, 'POST', '/mes-donnees/copies', new URLSearchParams({ _csrf: csrf, scope: 'all' }));
    const copyPath = new URL(created.headers.get('location')!, marie.baseUrl).pathname;
    await waitUntil('the copy', async () => {
      const text = await (await send(marie, 'GET', copyPath)).text();
      if (/data-state="FAILED"/.test(text)) throw new Error('copy failed');
      return /data-state="READY"/.test(text);
    }, 60 * 60_000);
    const buildSeconds = (Date.now() - started) / 1000;
    const buildAbsMiB = peakRssMiB(pid);
    const buildPeakMiB = buildAbsMiB - buildFrom;

    // Baseline: the same bytes streamed raw through the same process (S3 → HTTP).
    resetPeakRss(pid);
    const rawFrom = currentRssMiB(pid);
    const t0 = Date.now();
    const res = await send(marie, 'GET', `${copyPath}/archive`);
    const dir = mkdtempSync(join(tmpdir(), 'copybench-'));
    const file = join(dir, 'copie.zip');
    let bytes = 0;
    let verified: string | undefined;
    try {
      await pipeline(Readable.fromWeb(res.body as never), async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          if (VERIFY) yield chunk;
        }
      }, VERIFY ? createWriteStream(file) : async function (source: AsyncIterable<Buffer>) { for await (const _ of source); });
      if (VERIFY) {
        // Info-ZIP reads ZIP64 (archives and entries past 4 GiB) and checks every entry's CRC.
        const test = spawnSync('unzip', ['-tqq', file], { encoding: 'utf8' });
        const info = spawnSync('zipinfo', ['-v', file], { encoding: 'utf8', maxBuffer: 64 * MIB });
        const zip64 = /PKWARE 64-bit sizes/.test(info.stdout); // the ZIP64 extra field of an entry
        verified = `unzip -t: ${test.status === 0 ? 'no errors' : `FAILED (${(test.stdout + test.stderr).slice(0, 200)})`}; ZIP64 records: ${zip64 ? 'yes' : 'no'}`;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const rawSeconds = (Date.now() - t0) / 1000;
    const rawAbsMiB = peakRssMiB(pid);
    const rawPeakMiB = rawAbsMiB - rawFrom;
    return { label, archiveMiB: bytes / MIB, buildPeakMiB, buildSeconds, rawPeakMiB, rawSeconds, idleMiB, buildAbsMiB, rawAbsMiB, verified };
  } finally {
    await env?.close();
  }
}

async function main(): Promise<void> {
  const sizes = arg('--mb', '256,1024').split(',').map(Number);
  const pg = await startThrowawayPostgres();
  let rounds: Round[];
  try {
    rounds = [await measure(pg, 'small (seeded contents)', 0)];
    for (const mb of sizes) rounds.push(await measure(pg, `large (+ ${mb} MiB file)`, mb * MIB));
  } finally {
    await pg.stop();
  }
  const f = (n: number) => n.toFixed(1);
  console.log('\n| copy | archive MiB | RSS before MiB | build: peak RSS MiB (growth) | raw stream: peak RSS MiB (growth) | build ÷ raw (peak) | build s | raw s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rounds) {
    console.log(`| ${r.label} | ${f(r.archiveMiB)} | ${f(r.idleMiB)} | ${f(r.buildAbsMiB)} (+${f(r.buildPeakMiB)}) | ${f(r.rawAbsMiB)} (+${f(r.rawPeakMiB)}) | ${(r.buildAbsMiB / r.rawAbsMiB).toFixed(2)} | ${f(r.buildSeconds)} | ${f(r.rawSeconds)} |`);
  }
  for (const r of rounds) if (r.verified) console.log(`${r.label}: ${r.verified}`);
  const small = rounds[0];
  for (const large of rounds.slice(1)) {
    console.log(`${large.label}: archive ${(large.archiveMiB / small.archiveMiB).toFixed(0)}× the small one; build peak RSS ${(large.buildAbsMiB / small.buildAbsMiB).toFixed(2)}× the small one's`);
  }
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
