import type { Queryable } from '@ent/persistence';
import { systemClock, type DnmaClock } from './runtime-types';

export interface DnmaMetricsSnapshot {
  /** Hits in the main queue now (waiting or being sent). */
  queued: number;
  /** Of which being sent right now. */
  inFlight: number;
  /** Hits in the dead-letter queue now, waiting for their replay. */
  deadLettered: number;
  /** Totals since the tables were created. */
  sent: number;
  replayed: number;
  dropped: number;
  /** Age of the oldest hit not yet sent (main or dead-letter queue), from its queuing; null when none waits. */
  oldestWaitingSeconds: number | null;
  totals: { enqueued: number; sent: number; deadLettered: number; replayed: number; dropped: number; purged: number };
}

/**
 * Queue metrics for the health endpoint. One statement: counts over the partial indexes of the
 * waiting hits (small unless Matomo is down) and the counters table — never a scan of the
 * sent history.
 */
export class DnmaMetrics {
  private readonly now: DnmaClock;
  constructor(
    private readonly db: Queryable,
    options: { now?: DnmaClock } = {},
  ) {
    this.now = options.now ?? systemClock;
  }

  async snapshot(): Promise<DnmaMetricsSnapshot> {
    const r = await this.db.query<{
      queued: number;
      in_flight: number;
      dead: number;
      oldest: Date | string | null;
      counters: Record<string, number | string> | string | null;
    }>(
      `SELECT
         (SELECT count(*) FROM dnma_hits WHERE state IN ('QUEUED', 'SENDING'))::int AS queued,
         (SELECT count(*) FROM dnma_hits WHERE state = 'SENDING')::int AS in_flight,
         (SELECT count(*) FROM dnma_hits WHERE state = 'DEAD')::int AS dead,
         (SELECT min(created_at) FROM dnma_hits WHERE state IN ('QUEUED', 'SENDING', 'DEAD')) AS oldest,
         (SELECT jsonb_object_agg(name, value) FROM dnma_counters) AS counters`,
    );
    const row = r.rows[0];
    const counters = (typeof row.counters === 'string' ? JSON.parse(row.counters) : row.counters ?? {}) as Record<string, number | string>;
    const c = (name: string) => Number(counters[name] ?? 0);
    const oldest = row.oldest === null ? null : new Date(row.oldest);
    const totals = {
      enqueued: c('enqueued'),
      sent: c('sent'),
      deadLettered: c('dead_lettered'),
      replayed: c('replayed'),
      dropped: c('dropped'),
      purged: c('purged'),
    };
    return {
      queued: Number(row.queued),
      inFlight: Number(row.in_flight),
      deadLettered: Number(row.dead),
      sent: totals.sent,
      replayed: totals.replayed,
      dropped: totals.dropped,
      oldestWaitingSeconds: oldest ? Math.max(0, Math.floor((this.now().getTime() - oldest.getTime()) / 1000)) : null,
      totals,
    };
  }
}

/**
 * The explicit retention: deletes SENT hits (and DROPPED records) last changed before `before`,
 * at most `limit` per call, and counts them in `purged`. Hits still waiting cannot be deleted
 * (a trigger refuses it). Returns how many were deleted.
 */
export async function purgeDnmaHits(db: Queryable, before: Date, options: { limit?: number; includeDropped?: boolean } = {}): Promise<number> {
  const states = options.includeDropped === false ? ['SENT'] : ['SENT', 'DROPPED'];
  const r = await db.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM dnma_hits WHERE id IN (
         SELECT id FROM dnma_hits WHERE state = ANY($2::text[]) AND updated_at < $1 ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id),
     c AS (UPDATE dnma_counters SET value = value + (SELECT count(*) FROM gone) WHERE name = 'purged')
     SELECT count(*)::int AS n FROM gone`,
    [before.toISOString(), states, options.limit ?? 10_000],
  );
  return Number(r.rows[0]?.n ?? 0);
}
