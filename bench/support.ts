import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** Helpers of the load benchmarks: percentiles, bounded waits, read-only queries into a gateway's database. */

/** Nearest-rank percentile (p in 0..100) of a list of numbers; undefined for an empty list. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` (the promise keeps running; the caller counts it as failed). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const seconds = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

export const DEPARTURE_TERMINAL = ['CLEANED', 'FAILED', 'CANCELLED', 'EXPIRED'];
export const ARRIVAL_TERMINAL = ['DONE', 'PARTIAL', 'FAILED'];

export interface ItemOutcome {
  transferId: string;
  itemId: string;
  state: string;
  decision: string | null;
  lastError: string | null;
}

/** Read-only view of one gateway's database (its own connection; the gateways keep theirs). */
export class BenchDb {
  private constructor(private readonly client: Client) {}

  static async open(url: string): Promise<BenchDb> {
    const client = new Client({ connectionString: url, statement_timeout: 30_000, connectionTimeoutMillis: 10_000 });
    await client.connect();
    return new BenchDb(client);
  }

  async states(role: 'DEPARTURE' | 'ARRIVAL', ids: string[]): Promise<Map<string, string>> {
    const r = await this.client.query('SELECT id::text AS id, state FROM transfers WHERE role = $1 AND id = ANY($2::uuid[])', [role, ids]);
    return new Map(r.rows.map((row: { id: string; state: string }) => [row.id, row.state]));
  }

  /** When each transfer reached one of `states` (first time), from the append-only event table. */
  async reachedAt(role: 'DEPARTURE' | 'ARRIVAL', ids: string[], states: string[]): Promise<Map<string, number>> {
    const r = await this.client.query(
      `SELECT transfer_id::text AS id, min(at) AS at FROM transfer_events
        WHERE role = $1 AND transfer_id = ANY($2::uuid[]) AND item_id IS NULL AND to_state = ANY($3)
        GROUP BY transfer_id`,
      [role, ids, states],
    );
    return new Map(r.rows.map((row: { id: string; at: Date }) => [row.id, new Date(row.at).getTime()]));
  }

  async items(role: 'DEPARTURE' | 'ARRIVAL', ids: string[]): Promise<ItemOutcome[]> {
    const r = await this.client.query(
      `SELECT transfer_id::text AS "transferId", item_id AS "itemId", state, decision, last_error AS "lastError"
         FROM transfer_items WHERE role = $1 AND transfer_id = ANY($2::uuid[]) ORDER BY transfer_id, position`,
      [role, ids],
    );
    return r.rows;
  }

  /** Number of events of `type` per (transfer, item): an item imported twice has two ITEM_IMPORTED. */
  async itemEventCounts(role: 'DEPARTURE' | 'ARRIVAL', ids: string[], type: string): Promise<Map<string, number>> {
    const r = await this.client.query(
      `SELECT transfer_id::text AS id, item_id, count(*)::int AS n FROM transfer_events
        WHERE role = $1 AND transfer_id = ANY($2::uuid[]) AND type = $3 AND item_id IS NOT NULL
        GROUP BY transfer_id, item_id`,
      [role, ids, type],
    );
    return new Map(r.rows.map((row: { id: string; item_id: string; n: number }) => [`${row.id}:${row.item_id}`, row.n]));
  }

  /** Job outcomes by kind: how many, how many needed more than one attempt, how many failed for good. */
  async jobSummary(): Promise<{ kind: string; state: string; jobs: number; retried: number; attempts: number; maxAttempts: number }[]> {
    const r = await this.client.query(
      `SELECT kind, state, count(*)::int AS jobs, count(*) FILTER (WHERE attempts > 1)::int AS retried,
              coalesce(sum(attempts), 0)::int AS attempts, coalesce(max(attempts), 0)::int AS "maxAttempts"
         FROM jobs GROUP BY kind, state ORDER BY kind, state`,
    );
    return r.rows;
  }

  /** Last errors of jobs that were retried or failed (for the diagnosis), newest first. */
  async jobErrors(limit = 20): Promise<{ kind: string; state: string; attempts: number; dedupe_key: string; last_error: string }[]> {
    const r = await this.client.query(
      `SELECT kind, state, attempts, dedupe_key, last_error FROM jobs
        WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return r.rows;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** ENT-side contents as the connector lists them (the bench counts ENT B's per importKey). */
export interface ConnectorListedContent {
  id: string;
  importKey?: string;
  category: string;
}

export async function connectorContents(entUrl: string, token: string, userId: string): Promise<ConnectorListedContent[]> {
  const res = await fetch(`${entUrl}/connector/v1/users/${encodeURIComponent(userId)}/contents`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`connector ${entUrl} answered ${res.status} for ${userId}'s contents`);
  return ((await res.json()) as { items: ConnectorListedContent[] }).items;
}

/**
 * Warnings and errors of the stack's JSON log files (pino: level ≥ 40), grouped by
 * process, message and error text with numbers and ids blanked: what went wrong, how often.
 */
export function summariseLogs(logDir: string, top = 12): { process: string; level: number; msg: string; err: string; count: number }[] {
  const groups = new Map<string, { process: string; level: number; msg: string; err: string; count: number }>();
  let files: string[] = [];
  try {
    files = readdirSync(logDir).filter((f) => f.endsWith('.log'));
  } catch {
    return [];
  }
  const blank = (s: string) => s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>').replace(/\d+/g, 'N');
  for (const file of files) {
    const process = file.replace(/\.log$/, '');
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      let entry: { level?: number; msg?: string; err?: unknown; kind?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof entry.level !== 'number' || entry.level < 40) continue;
      const err = typeof entry.err === 'string' ? entry.err : entry.err && typeof entry.err === 'object' ? String((entry.err as { message?: unknown }).message ?? JSON.stringify(entry.err)) : '';
      const msg = `${entry.kind ? `${entry.kind}: ` : ''}${entry.msg ?? ''}`;
      const key = `${process}|${entry.level}|${blank(msg)}|${blank(err).slice(0, 300)}`;
      const g = groups.get(key) ?? { process, level: entry.level, msg, err: err.slice(0, 300), count: 0 };
      g.count++;
      groups.set(key, g);
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count).slice(0, top);
}

/**
 * CPU seconds used so far by each component of the stack on this machine, from /proc (Linux):
 * the gateways (all replicas), the simulated ENTs, Postgres (every server process), the S3
 * server (radosgw and its Ceph daemons), the IdP and this driver. Read before and after a
 * measure, it says which component the machine's cores went to, per item: what saturates first
 * and what to give more cores to. `named` gives some processes a name of their own (a gateway
 * by its side, say), before the patterns are tried. Processes that ended in between are not
 * counted; without /proc the result is empty.
 */
const CPU_COMPONENTS: [string, RegExp][] = [
  ['gateways', /apps\/gateway\/src\/main\.js/],
  ['simulated ENTs', /apps\/ent-sim\/src\/main\.js/],
  ['Postgres', /^postgres[: ]|\/postgres\s/],
  ['S3 (radosgw, Ceph)', /radosgw|ceph-(osd|mon|mgr)/],
  ['IdP', /apps\/idp-sim\/src\/main\.js/],
];
export function cpuByComponent(named: Record<number, string> = {}): Record<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((x) => /^\d+$/.test(x));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(f[11]) + Number(f[12])) / ticks;
      const name = named[Number(pid)] ?? (Number(pid) === process.pid ? 'driver (this script)' : CPU_COMPONENTS.find(([, rx]) => rx.test(cmd))?.[0]);
      if (name) out[name] = (out[name] ?? 0) + cpu;
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** CPU seconds per component between two readings of cpuByComponent. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.max(0, after[k] - (before[k] ?? 0))]));
}
