import { TERMINAL_STATES, type TransferRole } from './states';

/** What the gateway's own counters say about one item (ADR 016). */
export interface ItemCounters {
  itemId: string;
  state: string;
  /** Bytes up in our bucket, as recorded after the last finished part of the current attempt. */
  bytesDone: number;
  /** The item's size: measured once staged or announced by the manifest, else as declared by the ENT. */
  bytesTotal: number | null;
  /** When the current attempt began, and the bytes already up then (a resume starts above 0). */
  since: Date | null;
  sinceBytes: number;
}

export interface ItemProgress {
  itemId: string;
  state: string;
  bytesDone: number;
  bytesTotal: number | null;
  /** 0-100, null when the size is unknown and the item is still moving. */
  percent: number | null;
}

export interface TransferProgress {
  state: string;
  /** Nothing will change any more: a page may stop asking. */
  terminal: boolean;
  /** Items that went through (departure: staged or further; arrival: imported or kept for download), of those going. */
  items: { done: number; total: number };
  /** Bytes moved of the items going; total null when a size is unknown. */
  bytes: { done: number; total: number | null };
  percent: number;
  /** Time left at the rate measured since the moving items' attempts began; null when it cannot be said. */
  etaSeconds: number | null;
}

/** Items the other side refused, or she dropped, are not part of the journey. */
const LEFT_OUT = new Set(['REFUSED', 'DROPPED']);
/** Per role: item states whose bytes are all here. */
const BYTES_IN: Record<TransferRole, Set<string>> = {
  DEPARTURE: new Set(['STAGED', 'DELIVERED', 'CLEANED', 'IMPORTED', 'AWAITING_MANUAL_DOWNLOAD']),
  ARRIVAL: new Set(['FETCHED', 'IMPORTING', 'IMPORTED', 'AWAITING_MANUAL_DOWNLOAD']),
};
/** Per role: item states that count as done. */
const DONE: Record<TransferRole, Set<string>> = {
  DEPARTURE: BYTES_IN.DEPARTURE,
  ARRIVAL: new Set(['IMPORTED', 'AWAITING_MANUAL_DOWNLOAD']),
};
/** Item states whose counters are moving (a job is copying its bytes). */
const MOVING = new Set(['TO_STAGE', 'TO_FETCH']);
/** Arrival transfer states before the import: progress is the bytes pulled; after, the items imported. */
const ARRIVAL_PULLING = new Set(['OFFER_RECEIVED', 'ANSWERED', 'FETCHING']);
/** Transfer states where the journey is over, whatever became of each item. */
const FINISHED = new Set(['CLEANED', 'DONE', 'PARTIAL']);
/** Below this much measured time a rate is noise. */
const MIN_RATE_WINDOW_MS = 1_000;

function percentOf(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((100 * done) / total)) : 0;
}

/**
 * Progress of a transfer from the gateway's own counters (ADR 016): per item bytes done / total,
 * overall items and bytes, a percentage and the time left. Pure: the same rows and the same `now`
 * always give the same answer.
 */
export function transferProgress(role: TransferRole, state: string, counters: ItemCounters[], now: Date): TransferProgress & { perItem: ItemProgress[] } {
  const perItem: ItemProgress[] = counters.map((c) => {
    const whole = BYTES_IN[role].has(c.state);
    const bytesDone = whole && c.bytesTotal !== null ? c.bytesTotal : c.bytesTotal !== null ? Math.min(c.bytesDone, c.bytesTotal) : c.bytesDone;
    const percent = whole ? 100 : c.bytesTotal !== null ? percentOf(bytesDone, c.bytesTotal) : null;
    return { itemId: c.itemId, state: c.state, bytesDone, bytesTotal: c.bytesTotal, percent };
  });
  const going = perItem.filter((i) => !LEFT_OUT.has(i.state));
  const items = { done: going.filter((i) => DONE[role].has(i.state)).length, total: going.length };
  const sizesKnown = going.every((i) => i.bytesTotal !== null);
  const bytesDone = going.reduce((n, i) => n + i.bytesDone, 0);
  const bytes = { done: bytesDone, total: sizesKnown ? going.reduce((n, i) => n + (i.bytesTotal ?? 0), 0) : null };
  const terminal = TERMINAL_STATES[role].has(state);

  let percent: number;
  // Over: 100 %, even when some items did not make it (the items count says how many did).
  if (FINISHED.has(state)) percent = 100;
  else if (items.total === 0) percent = 0;
  else if (role === 'ARRIVAL' && !ARRIVAL_PULLING.has(state)) percent = percentOf(items.done, items.total);
  else if (bytes.total !== null && bytes.total > 0) percent = percentOf(bytes.done, bytes.total);
  else percent = percentOf(going.filter((i) => BYTES_IN[role].has(i.state)).length, items.total);

  return { state, terminal, items, bytes, percent, etaSeconds: terminal ? null : eta(counters, bytes, now), perItem };
}

/** Bytes left over the rate the moving items achieved since their attempts began. */
function eta(counters: ItemCounters[], bytes: { done: number; total: number | null }, now: Date): number | null {
  if (bytes.total === null) return null;
  const moving = counters.filter((c) => MOVING.has(c.state) && c.since !== null);
  if (moving.length === 0) return null;
  const since = Math.min(...moving.map((c) => c.since!.getTime()));
  const windowMs = now.getTime() - since;
  const moved = moving.reduce((n, c) => n + Math.max(0, Math.min(c.bytesDone, c.bytesTotal ?? c.bytesDone) - c.sinceBytes), 0);
  if (windowMs < MIN_RATE_WINDOW_MS || moved <= 0) return null;
  const left = Math.max(0, bytes.total - bytes.done);
  return Math.ceil(left / (moved / (windowMs / 1000)));
}
