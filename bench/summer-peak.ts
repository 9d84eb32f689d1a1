/**
 * Rehearsal of the summer peak (issue #17): many teachers' transfers at once through TWO
 * replicas per ENT sharing one Postgres server each, as production runs them.
 *
 * Boots the stack (idp-sim, two ENTs seeded with 500 synthetic contents per teacher, gateway A
 * and B on a throwaway Postgres 15 server, S3 from S3_ENDPOINT or the embedded s3rver), starts
 * a second replica of each gateway on the same database, then launches PEAK_TRANSFERS
 * transfers of 20 items in waves of PEAK_WAVE every PEAK_WAVE_SECONDS (each wave is one
 * moment of the summer when that many teachers press "send"), and while they run samples every
 * 5 s: items done, the age of the oldest job waiting per gateway, jobs per replica. At the end it
 * checks every item (bench/phases.ts: completed, failed, duplicated, lost, to another user),
 * measures the databases' growth per transfer and per item, and the CPU each component of the
 * stack used per item during the waves (from /proc: what saturates first).
 *
 *   npm run build && npx tsc -p bench/tsconfig.bench.json && node dist/bench/summer-peak.js
 *
 * PEAK_TRANSFERS (200), PEAK_WAVE (25), PEAK_WAVE_SECONDS (10), PEAK_RESULT_FILE
 * (bench/results/summer-peak.json). The items are the simulated ENT's synthetic ones (PDFs of a
 * few KB to a few hundred KB, Common Cartridge courses, mailboxes): the rehearsal measures the
 * per-transfer and per-item cost of the flow (jobs, database, peers); the per-byte cost of large
 * items is in BENCHMARKS.md, and docs/capacity.md combines the two.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { stackSpecs } from '../scripts/local-stack';
import { createGatewayDatabases } from '../test/support/gateway-db';
import { freePort } from '../test/support/ports';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../test/support/postgres';
import { bootStack, TeacherClient, waitUntil, type StackSession } from '../test/support/stack-session';
import { printPhase, runPhase, type PhaseResult } from './phases';
import { BenchDb, cpuByComponent, percentile, seconds, sleep } from './support';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const TRANSFERS = num('PEAK_TRANSFERS', 200);
const WAVE = num('PEAK_WAVE', 25);
const WAVE_SECONDS = num('PEAK_WAVE_SECONDS', 10);
const ROOT = resolve(__dirname, '..', '..');
const RESULT_FILE = process.env.PEAK_RESULT_FILE ?? join(ROOT, 'bench', 'results', 'summer-peak.json');
const log = (msg: string) => process.stdout.write(`[peak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Sample {
  t: number;
  load1: number;
  itemsDoneB: number;
  transfersFinal: number;
  oldestWaitingJobSecondsA: number;
  oldestWaitingJobSecondsB: number;
  waitingJobsA: number;
  waitingJobsB: number;
  runningJobsA: number;
  runningJobsB: number;
}

async function queueState(c: Client): Promise<{ oldest: number; waiting: number; running: number }> {
  const r = await c.query(
    `SELECT coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'PENDING' AND run_at <= now())), 0)::float AS oldest,
            count(*) FILTER (WHERE state = 'PENDING' AND run_at <= now())::int AS waiting,
            count(*) FILTER (WHERE state = 'RUNNING')::int AS running
       FROM jobs`,
  );
  return r.rows[0];
}

async function dbSize(c: Client): Promise<number> {
  return Number((await c.query('SELECT pg_database_size(current_database())::bigint AS n')).rows[0].n);
}

async function tableSizes(c: Client): Promise<Record<string, number>> {
  const r = await c.query(`SELECT relname, pg_total_relation_size(oid)::bigint AS n FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 8`);
  return Object.fromEntries(r.rows.map((x: { relname: string; n: string }) => [x.relname, Number(x.n)]));
}

async function main(): Promise<number> {
  const started = Date.now();
  let pg: ThrowawayPostgres | undefined;
  let session: StackSession | undefined;
  const replicas: ChildProcess[] = [];
  const clients: Client[] = [];
  const dbs: BenchDb[] = [];
  try {
    log(`machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()[0].toFixed(1)}; plan ${TRANSFERS} transfers × 20 items in waves of ${WAVE} every ${WAVE_SECONDS} s, two replicas per ENT`);
    pg = await startThrowawayPostgres();
    const urls = await createGatewayDatabases(pg, ['peak_a', 'peak_b']);
    // 500 synthetic contents for the teacher, in sets of 20 (the same mix in each set): each wave
    // sends its own set. A content on its way cannot be put into another transfer (it would be
    // imported twice), so a wave launched while an earlier one is still delivering needs other
    // contents, as a real teacher's next transfer would.
    const entEnv = { ENT_SIM_EXTRA_ITEMS: '500' };
    session = await bootStack('summer-peak', { databaseUrls: { a: urls.peak_a, b: urls.peak_b }, jobPollMs: 500, env: { 'ent-sim-a': entEnv, 'ent-sim-b': entEnv } });
    log(`stack up (S3: ${session.s3.kind === 'external' ? session.s3.endPoint : 'embedded s3rver'}); starting the second replicas`);
    for (const spec of stackSpecs(session.stack.options).filter((s) => s.name === 'gateway-a' || s.name === 'gateway-b')) {
      const port = await freePort();
      const child = spawn(process.execPath, [resolve(ROOT, spec.script)], { env: { PATH: process.env.PATH ?? '', ...spec.env, GATEWAY_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = createWriteStream(join(session.dataDir, 'logs', `${spec.name}-replica-2.log`));
      child.stdout!.pipe(out);
      child.stderr!.pipe(out);
      replicas.push(child);
      await waitUntil(`${spec.name} replica 2`, async () => (await fetch(`http://127.0.0.1:${port}/.well-known/ent-portability`)).ok, 180_000);
    }
    const cA = new Client({ connectionString: urls.peak_a });
    const cB = new Client({ connectionString: urls.peak_b });
    await cA.connect();
    await cB.connect();
    clients.push(cA, cB);
    const dbA = await BenchDb.open(urls.peak_a);
    const dbB = await BenchDb.open(urls.peak_b);
    dbs.push(dbA, dbB);
    const before = { a: await dbSize(cA), b: await dbSize(cB) };

    const atA = await TeacherClient.login(session.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const { items: contents } = await atA.json<{ items: { id: string }[] }>('GET', '/api/contents');
    const extras = contents.filter((c) => c.id.includes('-extra-')).map((c) => c.id);
    const sets = Array.from({ length: Math.floor(extras.length / 20) }, (_, k) => extras.slice(20 * k, 20 * k + 20));
    const waves = Math.ceil(TRANSFERS / WAVE);
    if (waves > sets.length) log(`warning: ${waves} waves but ${sets.length} sets of 20 contents: waves ${sets.length + 1} and later reuse a set, and are refused while it is still on its way`);

    // The sampler: throughput over time and the age of the oldest job waiting for a slot.
    const samples: Sample[] = [];
    let sampling = true;
    const t0 = Date.now();
    const cpuBefore = cpuByComponent();
    const sampler = (async () => {
      while (sampling) {
        const [qa, qb] = [await queueState(cA), await queueState(cB)];
        const done = await cB.query(`SELECT count(*)::int AS n FROM transfer_items WHERE role = 'ARRIVAL' AND state IN ('IMPORTED', 'AWAITING_MANUAL_DOWNLOAD')`);
        const final = await cA.query(`SELECT count(*)::int AS n FROM transfers WHERE role = 'DEPARTURE' AND state IN ('CLEANED', 'FAILED')`);
        samples.push({
          t: Date.now() - t0, load1: +loadavg()[0].toFixed(2), itemsDoneB: done.rows[0].n, transfersFinal: final.rows[0].n,
          oldestWaitingJobSecondsA: +qa.oldest.toFixed(1), oldestWaitingJobSecondsB: +qb.oldest.toFixed(1),
          waitingJobsA: qa.waiting, waitingJobsB: qb.waiting, runningJobsA: qa.running, runningJobsB: qb.running,
        });
        await sleep(5000);
      }
    })().catch((err) => log(`sampler stopped: ${(err as Error).message}`));

    // Waves: each one a phase of WAVE transfers launched at once; the phases overlap.
    const phases: Promise<PhaseResult>[] = [];
    for (let launched = 0, w = 0; launched < TRANSFERS; launched += WAVE, w++) {
      const count = Math.min(WAVE, TRANSFERS - launched);
      phases.push(runPhase({ label: `wave ${w + 1}`, count, env: session, atA, itemIds: sets[w % sets.length], dbA, dbB, deadline: Date.now() + 90 * 60_000, requestTimeoutMs: 600_000, log }));
      if (launched + WAVE < TRANSFERS) await sleep(WAVE_SECONDS * 1000);
    }
    const results = await Promise.all(phases);
    sampling = false;
    await sampler;
    const wallMs = Date.now() - t0;
    const cpuAfter = cpuByComponent();
    for (const r of results) printPhase(r, log);

    const after = { a: await dbSize(cA), b: await dbSize(cB) };
    const items = results.reduce((n, r) => n + r.items, 0);
    const durations = results.flatMap((r) => [r.p50Ms, r.p95Ms]).filter((x): x is number => x !== undefined);
    const perTransfer = await cA.query(`SELECT extract(epoch FROM max(at) - min(at)) * 1000 AS ms FROM transfer_events WHERE role = 'DEPARTURE' GROUP BY transfer_id`);
    const transferMs = perTransfer.rows.map((x: { ms: number }) => Number(x.ms));
    const replicaShare = await cB.query(`SELECT completed_by AS replica, count(*)::int AS jobs FROM jobs WHERE completed_by IS NOT NULL GROUP BY completed_by ORDER BY 2 DESC`).catch(() => ({ rows: [] }));
    const summary = {
      date: new Date(started).toISOString(),
      machine: { cores: cpus().length, memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
      s3: session.s3.kind,
      plan: { transfers: TRANSFERS, itemsPerTransfer: 20, wave: WAVE, waveSeconds: WAVE_SECONDS, replicasPerEnt: 2 },
      wallMs,
      items,
      itemsPerSecond: items / (wallMs / 1000),
      completed: results.reduce((n, r) => n + r.completed, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
      duplicated: results.reduce((n, r) => n + r.duplicatedItems, 0),
      lost: results.reduce((n, r) => n + r.lost, 0),
      misattributed: results.reduce((n, r) => n + r.misattributed, 0),
      transferP50Ms: percentile(transferMs, 50),
      transferP95Ms: percentile(transferMs, 95),
      wavesP95Ms: Math.max(0, ...durations),
      maxOldestWaitingJobSeconds: { a: Math.max(0, ...samples.map((s) => s.oldestWaitingJobSecondsA)), b: Math.max(0, ...samples.map((s) => s.oldestWaitingJobSecondsB)) },
      dbGrowthBytes: { a: after.a - before.a, b: after.b - before.b },
      dbGrowthPerTransferBytes: { a: (after.a - before.a) / TRANSFERS, b: (after.b - before.b) / TRANSFERS },
      dbGrowthPerItemBytes: { a: (after.a - before.a) / items, b: (after.b - before.b) / items },
      tables: { a: await tableSizes(cA), b: await tableSizes(cB) },
      jobsByReplicaB: replicaShare.rows,
      // CPU seconds per component during the waves, per item, and in cores (of cpus().length).
      cpu: Object.fromEntries(Object.keys(cpuAfter).map((k) => {
        const sec = cpuAfter[k] - (cpuBefore[k] ?? 0);
        return [k, { seconds: +sec.toFixed(1), msPerItem: +((sec * 1000) / Math.max(1, items)).toFixed(1), cores: +(sec / (wallMs / 1000)).toFixed(2) }];
      })),
      samples,
    };
    mkdirSync(dirname(RESULT_FILE), { recursive: true });
    writeFileSync(RESULT_FILE, JSON.stringify(summary, null, 2));
    log('=== REHEARSAL');
    log(`  ${TRANSFERS} transfers × 20 items (${items} items) through 2 replicas per ENT in ${seconds(wallMs)}: ${summary.itemsPerSecond.toFixed(2)} items/s, ${(TRANSFERS / (wallMs / 3_600_000)).toFixed(0)} transfers/h`);
    log(`  completed ${summary.completed}, failed ${summary.failed}, duplicated ${summary.duplicated}, lost ${summary.lost}, to another user ${summary.misattributed}`);
    log(`  per transfer (first to last departure event): p50 ${seconds(summary.transferP50Ms)}, p95 ${seconds(summary.transferP95Ms)}`);
    log(`  oldest job waiting for a slot: A ${summary.maxOldestWaitingJobSeconds.a} s, B ${summary.maxOldestWaitingJobSeconds.b} s (at worst)`);
    log(`  CPU during the waves (ms per item, cores): ${Object.entries(summary.cpu).sort((x, y) => y[1].seconds - x[1].seconds).map(([k, v]) => `${k} ${v.msPerItem} ms, ${v.cores}`).join('; ')}`);
    log(`  database growth: A ${(summary.dbGrowthPerTransferBytes.a / 1024).toFixed(1)} KiB/transfer (${(summary.dbGrowthPerItemBytes.a / 1024).toFixed(2)} KiB/item), B ${(summary.dbGrowthPerTransferBytes.b / 1024).toFixed(1)} KiB/transfer (${(summary.dbGrowthPerItemBytes.b / 1024).toFixed(2)} KiB/item)`);
    log('  throughput over time (t, items done at B, transfers final at A, oldest waiting job A/B, load):');
    for (const s of samples.filter((_, i) => i % 2 === 0)) log(`    +${(s.t / 1000).toFixed(0).padStart(4)} s  ${String(s.itemsDoneB).padStart(6)} items  ${String(s.transfersFinal).padStart(4)} transfers  queue ${s.oldestWaitingJobSecondsA}/${s.oldestWaitingJobSecondsB} s  load ${s.load1}`);
    log(`  result: ${RESULT_FILE}`);
    return summary.failed + summary.duplicated + summary.lost + summary.misattributed === 0 ? 0 : 1;
  } finally {
    for (const c of clients) await c.end().catch(() => undefined);
    for (const d of dbs) await d.close();
    for (const r of replicas) r.kill('SIGTERM');
    await session?.close().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    log(`total ${seconds(Date.now() - started)}`);
  }
}

const watchdog = setTimeout(() => process.exit(3), 2 * 3600_000);
watchdog.unref();
main().then((code) => process.exit(code), (err) => {
  log(`rehearsal aborted: ${(err as Error).stack ?? err}`);
  process.exit(2);
});
