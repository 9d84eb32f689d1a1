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
import {
  ARRIVAL_TERMINAL,
  BenchDb,
  connectorContents,
  DEPARTURE_TERMINAL,
  ItemOutcome,
  percentile,
  seconds,
  sleep,
  summariseLogs,
  withTimeout,
} from './support';

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
/** Other accounts that must never receive anything ("nobody else"). */
const OTHER_USERS = ['lucas.moreau', 'claire.bernard', 'paul.martin'];

const log = (msg: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Launched {
  index: number;
  t0: number;
  id?: string;
  error?: string;
}

interface TransferOutcome {
  id: string;
  departure?: string;
  arrival?: string;
  durationMs?: number;
  arrivalDoneMs?: number;
  ok: boolean;
  why?: string;
}

interface PhaseResult {
  label: string;
  transfers: number;
  items: number;
  completed: number;
  failed: number;
  duplicatedItems: number;
  duplicatedInEnt: number;
  duplicatedEvents: number;
  misattributed: number;
  lost: number;
  itemsDone: number;
  itemsImported: number;
  itemsManual: number;
  wallMs?: number;
  throughput?: number;
  p50Ms?: number;
  p95Ms?: number;
  arrivalP50Ms?: number;
  arrivalP95Ms?: number;
  launchMs: number;
  timedOut: boolean;
  failures: { id: string; why: string }[];
}

async function launch(atA: TeacherClient, itemIds: string[], index: number): Promise<Launched> {
  const l: Launched = { index, t0: Date.now() };
  try {
    const draft = await withTimeout(atA.json<{ id: string }>('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds }), REQUEST_TIMEOUT_MS, 'create');
    l.id = draft.id;
    const analysed = await withTimeout(atA.json<{ state: string }>('POST', `/api/transfers/${draft.id}/analysis`), REQUEST_TIMEOUT_MS, 'analysis');
    if (analysed.state !== 'ANSWERED') throw new Error(`analysis left the transfer ${analysed.state}`);
    const started = await withTimeout(atA.json<{ state: string }>('POST', `/api/transfers/${draft.id}/start`), REQUEST_TIMEOUT_MS, 'start');
    if (!['STAGING', 'DELIVERED', 'RECEIPTED', 'CLEANED'].includes(started.state)) throw new Error(`start left the transfer ${started.state}`);
  } catch (err) {
    l.error = (err as Error).message.slice(0, 500);
  }
  return l;
}

async function runPhase(
  label: string,
  count: number,
  env: StackSession,
  atA: TeacherClient,
  itemIds: string[],
  dbA: BenchDb,
  dbB: BenchDb,
  deadline: number,
): Promise<PhaseResult> {
  const urls = env.stack.urls;
  log(`${label}: launching ${count} transfer(s) of ${itemIds.length} items (create, analysis, start)…`);
  const t0 = Date.now();
  const launched = await Promise.all(Array.from({ length: count }, (_, i) => launch(atA, itemIds, i)));
  const launchMs = Date.now() - t0;
  const launchErrors = launched.filter((l) => l.error);
  log(`${label}: ${count - launchErrors.length}/${count} started in ${seconds(launchMs)}${launchErrors.length ? `; ${launchErrors.length} failed to start, e.g. ${launchErrors[0].error}` : ''}`);

  // The owner logs into the arrival ENT: this is what triggers the automatic import (§8.3).
  await withTimeout(TeacherClient.login(urls.gatewayB, TEACHER.login, TEACHER.password), REQUEST_TIMEOUT_MS, 'login at B');
  log(`${label}: ${TEACHER.login} logged in at B`);

  const ids = launched.filter((l) => l.id).map((l) => l.id!);
  let timedOut = false;
  let lastReport = 0;
  let dep = new Map<string, string>();
  let arr = new Map<string, string>();
  for (;;) {
    dep = await dbA.states('DEPARTURE', ids);
    arr = await dbB.states('ARRIVAL', ids);
    const pending = ids.filter((id) => !DEPARTURE_TERMINAL.includes(dep.get(id) ?? '') || (!ARRIVAL_TERMINAL.includes(arr.get(id) ?? '') && dep.get(id) !== 'FAILED'));
    if (pending.length === 0) break;
    if (Date.now() > deadline) {
      timedOut = true;
      log(`${label}: overall deadline reached with ${pending.length} transfer(s) unfinished`);
      break;
    }
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      const tally = (m: Map<string, string>) => {
        const c: Record<string, number> = {};
        for (const id of ids) c[m.get(id) ?? '—'] = (c[m.get(id) ?? '—'] ?? 0) + 1;
        return Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');
      };
      log(`${label}: +${seconds(Date.now() - t0)} departure [${tally(dep)}] arrival [${tally(arr)}]`);
    }
    await sleep(1000);
  }

  // --- outcomes, from the gateways' databases and from ENT B itself
  const depEnd = await dbA.reachedAt('DEPARTURE', ids, DEPARTURE_TERMINAL);
  const arrEnd = await dbB.reachedAt('ARRIVAL', ids, ARRIVAL_TERMINAL);
  const arrivalItems = await dbB.items('ARRIVAL', ids);
  const importedEvents = await dbB.itemEventCounts('ARRIVAL', ids, 'ITEM_IMPORTED');
  const idSet = new Set(ids);
  const transferOf = (importKey: string | undefined) => (importKey ? importKey.slice(0, 36) : '');
  const entB = (await connectorContents(urls.entB, DEMO.connectorTokenB, TEACHER.login)).filter((c) => idSet.has(transferOf(c.importKey)));
  const perKey = new Map<string, number>();
  for (const c of entB) perKey.set(c.importKey!, (perKey.get(c.importKey!) ?? 0) + 1);
  let misattributed = 0;
  for (const user of OTHER_USERS) {
    for (const ent of [{ url: urls.entB, token: DEMO.connectorTokenB }, { url: urls.entA, token: DEMO.connectorTokenA }]) {
      misattributed += (await connectorContents(ent.url, ent.token, user)).filter((c) => idSet.has(transferOf(c.importKey))).length;
    }
  }

  const itemsByTransfer = new Map<string, ItemOutcome[]>();
  for (const i of arrivalItems) itemsByTransfer.set(i.transferId, [...(itemsByTransfer.get(i.transferId) ?? []), i]);
  const dupKeys = new Set<string>();
  let duplicatedInEnt = 0;
  let duplicatedEvents = 0;
  for (const [key, n] of perKey) if (n > 1) { duplicatedInEnt++; dupKeys.add(key); }
  for (const [key, n] of importedEvents) if (n > 1) { duplicatedEvents++; dupKeys.add(key); }

  let lost = 0;
  let itemsImported = 0;
  let itemsManual = 0;
  const outcomes: TransferOutcome[] = [];
  for (const l of launched) {
    if (!l.id || l.error) {
      outcomes.push({ id: l.id ?? `#${l.index}`, ok: false, why: `did not start: ${l.error}` });
      continue;
    }
    const id = l.id;
    const o: TransferOutcome = { id, departure: dep.get(id), arrival: arr.get(id), ok: true };
    const end = Math.max(depEnd.get(id) ?? 0, arrEnd.get(id) ?? 0);
    if (depEnd.has(id) && (arrEnd.has(id) || o.departure === 'FAILED')) o.durationMs = end - l.t0;
    if (arrEnd.has(id)) o.arrivalDoneMs = arrEnd.get(id)! - l.t0;
    const problems: string[] = [];
    if (o.departure !== 'CLEANED') problems.push(`departure ${o.departure ?? 'missing'}`);
    if (o.arrival !== 'DONE') problems.push(`arrival ${o.arrival ?? 'missing'}`);
    const items = itemsByTransfer.get(id) ?? [];
    if (items.length !== itemIds.length) problems.push(`arrival holds ${items.length} items, expected ${itemIds.length}`);
    for (const i of items) {
      const key = `${id}:${i.itemId}`;
      const inEnt = perKey.get(key) ?? 0;
      if (i.decision === 'IMPORT') {
        if (i.state === 'IMPORTED' && inEnt >= 1) itemsImported++;
        else problems.push(`${i.itemId} ${i.state}${i.lastError ? ` (${i.lastError.slice(0, 200)})` : ''}`);
        if (inEnt === 0) lost++;
      } else if (i.decision === 'MANUAL') {
        if (i.state === 'AWAITING_MANUAL_DOWNLOAD') itemsManual++;
        else problems.push(`${i.itemId} ${i.state}${i.lastError ? ` (${i.lastError.slice(0, 200)})` : ''}`);
        if (inEnt > 0) problems.push(`${i.itemId} is MANUAL but was imported`);
      } else {
        problems.push(`${i.itemId} decided ${i.decision}`);
      }
      if (dupKeys.has(key)) problems.push(`${i.itemId} imported ${Math.max(inEnt, importedEvents.get(key) ?? 0)} times`);
    }
    if (problems.length) {
      o.ok = false;
      o.why = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; … ${problems.length - 5} more` : '');
    }
    outcomes.push(o);
  }

  const durations = outcomes.filter((o) => o.durationMs !== undefined).map((o) => o.durationMs!);
  const arrivalDurations = outcomes.filter((o) => o.arrivalDoneMs !== undefined).map((o) => o.arrivalDoneMs!);
  const lastEnd = Math.max(0, ...ids.map((id) => Math.max(depEnd.get(id) ?? 0, arrEnd.get(id) ?? 0)));
  const allEnded = !timedOut && outcomes.every((o) => o.durationMs !== undefined);
  const wallMs = allEnded && lastEnd > 0 ? lastEnd - t0 : undefined;
  const itemsDone = itemsImported + itemsManual;
  const failed = outcomes.filter((o) => !o.ok);
  return {
    label,
    transfers: count,
    items: count * itemIds.length,
    completed: outcomes.length - failed.length,
    failed: failed.length,
    duplicatedItems: dupKeys.size,
    duplicatedInEnt,
    duplicatedEvents,
    misattributed,
    lost,
    itemsDone,
    itemsImported,
    itemsManual,
    wallMs,
    throughput: wallMs ? itemsDone / (wallMs / 1000) : undefined,
    p50Ms: percentile(durations, 50),
    p95Ms: percentile(durations, 95),
    arrivalP50Ms: percentile(arrivalDurations, 50),
    arrivalP95Ms: percentile(arrivalDurations, 95),
    launchMs,
    timedOut,
    failures: failed.map((o) => ({ id: o.id, why: o.why ?? 'unknown' })),
  };
}

function printPhase(r: PhaseResult) {
  log(`=== ${r.label}: ${r.transfers} transfer(s) × ${r.items / r.transfers} items`);
  log(`  completed ${r.completed}   failed ${r.failed}   duplicated ${r.duplicatedItems} (ENT B contents per importKey > 1: ${r.duplicatedInEnt}; ITEM_IMPORTED events per item > 1: ${r.duplicatedEvents})`);
  log(`  lost ${r.lost}   delivered to another user ${r.misattributed}   items done ${r.itemsDone}/${r.items} (imported ${r.itemsImported}, manual ${r.itemsManual})`);
  log(`  wall time ${seconds(r.wallMs)}   throughput ${r.throughput ? `${r.throughput.toFixed(2)} items/s` : 'n/a'}   launch (create+analysis+start of all) ${seconds(r.launchMs)}`);
  log(`  per transfer (create → both sides final): p50 ${seconds(r.p50Ms)}  p95 ${seconds(r.p95Ms)};  create → arrival DONE: p50 ${seconds(r.arrivalP50Ms)}  p95 ${seconds(r.arrivalP95Ms)}`);
  for (const f of r.failures.slice(0, 10)) log(`  FAILED ${f.id}: ${f.why}`);
  if (r.failures.length > 10) log(`  … and ${r.failures.length - 10} more failures`);
}

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
      printPhase(b);
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
    printPhase(load);

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
