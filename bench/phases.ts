/**
 * One phase of transfers between the two simulated ENTs (launch N transfers of the same items,
 * log the owner in at the arrival, wait until both sides are final, then check from both
 * databases and from ENT B that every item arrived exactly once, at the right teacher).
 * Shared by `load-transfers.ts` and the benchmark suite (`suite.ts`).
 */
import { DEMO, StackSession, TeacherClient } from '../test/support/stack-session';
import {
  ARRIVAL_TERMINAL,
  BenchDb,
  connectorContents,
  DEPARTURE_TERMINAL,
  ItemOutcome,
  percentile,
  seconds,
  sleep,
  withTimeout,
} from './support';

const TEACHER = { login: 'marie.dupont', password: 'demo-marie' };
/** Other accounts that must never receive anything ("nobody else"). */
const OTHER_USERS = ['lucas.moreau', 'claire.bernard', 'paul.martin'];

export interface PhaseOptions {
  label: string;
  count: number;
  env: StackSession;
  atA: TeacherClient;
  itemIds: string[];
  dbA: BenchDb;
  dbB: BenchDb;
  deadline: number;
  requestTimeoutMs: number;
  log: (msg: string) => void;
}

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

export interface PhaseResult {
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

async function launch(atA: TeacherClient, itemIds: string[], index: number, REQUEST_TIMEOUT_MS: number): Promise<Launched> {
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

export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const { label, count, env, atA, itemIds, dbA, dbB, deadline, requestTimeoutMs: REQUEST_TIMEOUT_MS, log } = o;
  const urls = env.stack.urls;
  log(`${label}: launching ${count} transfer(s) of ${itemIds.length} items (create, analysis, start)…`);
  const t0 = Date.now();
  const launched = await Promise.all(Array.from({ length: count }, (_, i) => launch(atA, itemIds, i, REQUEST_TIMEOUT_MS)));
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

export function printPhase(r: PhaseResult, log: (msg: string) => void) {
  log(`=== ${r.label}: ${r.transfers} transfer(s) × ${r.items / r.transfers} items`);
  log(`  completed ${r.completed}   failed ${r.failed}   duplicated ${r.duplicatedItems} (ENT B contents per importKey > 1: ${r.duplicatedInEnt}; ITEM_IMPORTED events per item > 1: ${r.duplicatedEvents})`);
  log(`  lost ${r.lost}   delivered to another user ${r.misattributed}   items done ${r.itemsDone}/${r.items} (imported ${r.itemsImported}, manual ${r.itemsManual})`);
  log(`  wall time ${seconds(r.wallMs)}   throughput ${r.throughput ? `${r.throughput.toFixed(2)} items/s` : 'n/a'}   launch (create+analysis+start of all) ${seconds(r.launchMs)}`);
  log(`  per transfer (create → both sides final): p50 ${seconds(r.p50Ms)}  p95 ${seconds(r.p95Ms)};  create → arrival DONE: p50 ${seconds(r.arrivalP50Ms)}  p95 ${seconds(r.arrivalP95Ms)}`);
  for (const f of r.failures.slice(0, 10)) log(`  FAILED ${f.id}: ${f.why}`);
  if (r.failures.length > 10) log(`  … and ${r.failures.length - 10} more failures`);
}

