/**
 * Load test "nothing lost, nothing twice, nobody else" (docs/load-test.md).
 *
 * Boots the whole stack (idp-sim, two ent-sims seeded with ENT_SIM_EXTRA_ITEMS
 * synthetic contents, two gateways on a throwaway Postgres server, S3 from
 * S3_ENDPOINT or an in-process s3rver), then:
 *   1. times ONE transfer of BENCH_ITEMS items alone (the baseline; done
 *      BENCH_BASELINE_RUNS = 3 times in a row, the median is the reference);
 *   2. launches BENCH_TRANSFERS transfers of BENCH_ITEMS items at once
 *      (create, analysis, start) from one session of marie.dupont at A,
 *      logs her in at B, and waits until every arrival is DONE/PARTIAL/FAILED
 *      and every departure CLEANED/FAILED (bounded by BENCH_TIMEOUT_MS);
 *   3. reports completed / failed / duplicated, wall time, throughput,
 *      p50/p95 per-transfer duration and the ratio to the baseline.
 * Exit code 0 only if failed = 0 and duplicated = 0 (and nothing went to
 * another user). Everything listens on 127.0.0.1.
 *
 *   npm run build && npx tsc -p bench/tsconfig.bench.json && node dist/bench/load-transfers.js
 */
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatewayDatabases } from '../test/support/gateway-db';
import { startThrowawayPostgres, ThrowawayPostgres } from '../test/support/postgres';
import { bootStack, DEMO, StackSession, TeacherClient } from '../test/support/stack-session';
import { PhaseResult, printPhase, runPhase as runPhaseWith } from './phases';
import { BenchDb, percentile, seconds, summariseLogs, withTimeout } from './support';

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${name}: must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

const TRANSFERS = intEnv('BENCH_TRANSFERS', 50, 1, 500);
const ITEMS = intEnv('BENCH_ITEMS', 20, 1, 500);
const EXTRA_ITEMS = intEnv('BENCH_EXTRA_ITEMS', Math.max(20, ITEMS), ITEMS, 500);
const BASELINE_RUNS = intEnv('BENCH_BASELINE_RUNS', 3, 1, 20);
const TIMEOUT_MS = intEnv('BENCH_TIMEOUT_MS', 20 * 60_000, 10_000, 6 * 3600_000);
const JOB_POLL_MS = intEnv('BENCH_JOB_POLL_MS', 500, 10, 60_000); // the gateway's default
const REQUEST_TIMEOUT_MS = intEnv('BENCH_REQUEST_TIMEOUT_MS', 120_000, 1000, 3600_000);
const RESULT_FILE = process.env.BENCH_RESULT_FILE;
/** Diagnostic only: RATE_LIMIT_PEER_PER_MINUTE for both gateways (unset: the gateway's default, 600). */
const PEER_RATE_LIMIT = process.env.BENCH_PEER_RATE_LIMIT ? intEnv('BENCH_PEER_RATE_LIMIT', 600, 1, 10_000_000) : undefined;
const TEACHER = { login: 'marie.dupont', password: 'demo-marie' };

const log = (msg: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const runPhase = (label: string, count: number, env: StackSession, atA: TeacherClient, itemIds: string[], dbA: BenchDb, dbB: BenchDb, deadline: number) =>
  runPhaseWith({ label, count, env, atA, itemIds, dbA, dbB, deadline, requestTimeoutMs: REQUEST_TIMEOUT_MS, log });
const printPhase_ = (r: PhaseResult) => printPhase(r, log);

async function main(): Promise<number> {
  const started = Date.now();
  const deadline = started + TIMEOUT_MS;
  let pg: ThrowawayPostgres | undefined;
  let session: StackSession | undefined;
  let dbA: BenchDb | undefined;
  let dbB: BenchDb | undefined;
  let ok = false;
  // The script stops by itself whatever happens: a watchdog a little after the overall deadline.
  const watchdog = setTimeout(() => {
    log(`watchdog: still running ${seconds(TIMEOUT_MS + 180_000)} after start, killing the stack`);
    for (const child of session?.stack.processes.values() ?? []) child.kill('SIGKILL');
    process.exit(3);
  }, TIMEOUT_MS + 180_000);
  watchdog.unref();

  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${new Date().toISOString()}`);
  log(`plan: baseline 1 × ${ITEMS} items (${BASELINE_RUNS} runs, median), then ${TRANSFERS} × ${ITEMS} items concurrently; ENT_SIM_EXTRA_ITEMS=${EXTRA_ITEMS}, JOB_POLL_MS=${JOB_POLL_MS}, RATE_LIMIT_PEER_PER_MINUTE=${PEER_RATE_LIMIT ?? 'default (600)'}, overall timeout ${seconds(TIMEOUT_MS)}`);

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await dbA?.close();
    await dbB?.close();
    if (!ok) process.env.KEEP_STACK_DATA = '1'; // keep the logs for the diagnosis
    await session?.close().catch((err) => log(`stack close: ${(err as Error).message}`));
    await pg?.stop().catch((err) => log(`postgres stop: ${(err as Error).message}`));
  })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void stop().finally(() => process.exit(130));
    });
  }

  try {
    pg = await startThrowawayPostgres();
    const dbs = await createGatewayDatabases(pg, ['bench_gateway_a', 'bench_gateway_b']);
    log(`postgres: ${process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL server' : 'throwaway cluster'} ${new URL(pg.url).host}`);
    const entEnv = { ENT_SIM_EXTRA_ITEMS: String(EXTRA_ITEMS) };
    const gatewayEnv: Record<string, string> = PEER_RATE_LIMIT ? { RATE_LIMIT_PEER_PER_MINUTE: String(PEER_RATE_LIMIT) } : {};
    session = await bootStack('load-transfers', {
      databaseUrls: { a: dbs.bench_gateway_a, b: dbs.bench_gateway_b },
      jobPollMs: JOB_POLL_MS,
      env: { 'ent-sim-a': entEnv, 'ent-sim-b': entEnv, 'gateway-a': gatewayEnv, 'gateway-b': gatewayEnv },
    });
    const logDir = join(session.dataDir, 'logs');
    log(`s3: ${session.s3.kind === 's3rver' ? `in-process s3rver (S3_ENDPOINT not set; no signature checks) at ${session.s3.endPoint}` : `external S3 at ${session.s3.endPoint}`}`);
    log(`stack up: gateway A ${session.stack.urls.gatewayA}, gateway B ${session.stack.urls.gatewayB}; logs in ${logDir}`);
    dbA = await BenchDb.open(dbs.bench_gateway_a);
    dbB = await BenchDb.open(dbs.bench_gateway_b);

    const atA = await withTimeout(TeacherClient.login(session.stack.urls.gatewayA, TEACHER.login, TEACHER.password), REQUEST_TIMEOUT_MS, 'login at A');
    const { items: contents } = await atA.json<{ items: { id: string; category: string }[] }>('GET', '/api/contents');
    const itemIds = contents.filter((c) => c.id.includes('-extra-')).slice(0, ITEMS).map((c) => c.id);
    if (itemIds.length < ITEMS) throw new Error(`${TEACHER.login} has ${itemIds.length} synthetic contents at A, need ${ITEMS} (ENT_SIM_EXTRA_ITEMS)`);
    const mix: Record<string, number> = {};
    for (const c of contents.filter((x) => itemIds.includes(x.id))) mix[c.category] = (mix[c.category] ?? 0) + 1;
    log(`items: ${Object.entries(mix).map(([k, v]) => `${v} ${k}`).join(', ')}`);

    // The baseline: one transfer alone, BASELINE_RUNS times one after the other; the median is the reference.
    const baselines: PhaseResult[] = [];
    for (let k = 1; k <= BASELINE_RUNS; k++) {
      const b = await runPhase(`baseline ${k}/${BASELINE_RUNS}`, 1, session, atA, itemIds, dbA, dbB, deadline);
      printPhase_(b);
      baselines.push(b);
    }
    const baselineWalls = baselines.map((b) => b.wallMs).filter((w): w is number => w !== undefined);
    const baseline = {
      wallMs: baselineWalls.length === baselines.length ? percentile(baselineWalls, 50) : undefined,
      runsMs: baselines.map((b) => b.wallMs ?? null),
      failed: baselines.reduce((n, b) => n + b.failed, 0),
      duplicatedItems: baselines.reduce((n, b) => n + b.duplicatedItems, 0),
      misattributed: baselines.reduce((n, b) => n + b.misattributed, 0),
    };
    const load = await runPhase('concurrent', TRANSFERS, session, atA, itemIds, dbA, dbB, deadline);
    printPhase_(load);

    const ratio = load.wallMs && baseline.wallMs ? load.wallMs / baseline.wallMs : undefined;
    const failed = baseline.failed + load.failed;
    const duplicated = baseline.duplicatedItems + load.duplicatedItems;
    const misattributed = baseline.misattributed + load.misattributed;
    ok = failed === 0 && duplicated === 0 && misattributed === 0;

    const jobsA = await dbA.jobSummary();
    const jobsB = await dbB.jobSummary();
    const fmtJobs = (rows: Awaited<ReturnType<BenchDb['jobSummary']>>) =>
      rows.map((j) => `${j.kind}/${j.state} ${j.jobs}${j.retried ? ` (${j.retried} retried, ${j.attempts} attempts, at most ${j.maxAttempts} for one job)` : ''}`).join('; ');
    log(`jobs A: ${fmtJobs(jobsA)}`);
    log(`jobs B: ${fmtJobs(jobsB)}`);
    for (const [name, db] of [['A', dbA], ['B', dbB]] as const) {
      // Jobs still failing or failed for good keep their last error (a success clears it).
      for (const e of await db.jobErrors(10)) log(`  job error ${name} ${e.kind}/${e.state} ×${e.attempts} ${e.dedupe_key}: ${e.last_error.slice(0, 300)}`);
    }
    const warnings = summariseLogs(logDir);
    if (warnings.length) {
      log('warnings and errors in the stack logs (most frequent first):');
      for (const w of warnings) log(`  ${String(w.count).padStart(5)} × ${w.process} [${w.level}] ${w.msg}${w.err ? ` — ${w.err}` : ''}`);
    }

    log('=== RESULT');
    log(`  concurrent: ${load.transfers} transfers × ${ITEMS} items — completed ${load.completed}, failed ${load.failed}, duplicated ${load.duplicatedItems}, to another user ${load.misattributed}`);
    log(`  wall time ${seconds(load.wallMs)}, throughput ${load.throughput?.toFixed(2) ?? 'n/a'} items/s, per transfer p50 ${seconds(load.p50Ms)} / p95 ${seconds(load.p95Ms)}`);
    log(`  baseline (1 transfer alone, median of ${BASELINE_RUNS}: ${baseline.runsMs.map((ms) => seconds(ms ?? undefined)).join(', ')}): ${seconds(baseline.wallMs)}; ratio concurrent wall / single = ${ratio?.toFixed(1) ?? 'n/a'} (${TRANSFERS}× the work)`);
    log(`  ${ok ? 'PASS' : 'FAIL'}: failed = ${failed}, duplicated = ${duplicated}${misattributed ? `, delivered to another user = ${misattributed}` : ''}`);
    if (!ok) log(`  logs kept in ${logDir}`);

    const result = {
      date: new Date(started).toISOString(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
      s3: session.s3.kind,
      settings: { transfers: TRANSFERS, items: ITEMS, extraItems: EXTRA_ITEMS, jobPollMs: JOB_POLL_MS, peerRateLimit: PEER_RATE_LIMIT ?? null, timeoutMs: TIMEOUT_MS },
      baseline: { ...baseline, runs: baselines },
      concurrent: load,
      ratio,
      jobs: { a: jobsA, b: jobsB },
      pass: ok,
    };
    if (RESULT_FILE) writeFileSync(RESULT_FILE, JSON.stringify(result, null, 2));
    return ok ? 0 : 1;
  } catch (err) {
    log(`bench aborted: ${(err as Error).stack ?? String(err)}`);
    if (session) log(`logs kept in ${join(session.dataDir, 'logs')}`);
    return 2;
  } finally {
    await stop();
    clearTimeout(watchdog);
    log(`total run time ${seconds(Date.now() - started)}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
