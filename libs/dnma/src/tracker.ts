import type { Queryable } from '@ent/persistence';
import type { DnmaConfig } from './config';
import { buildHit, type BuildHitOptions, type DnmaDropReason, type DnmaFix, type DnmaPageView } from './hit';
import { SILENT_LOGGER, systemClock, type DnmaClock, type DnmaLogger, type DnmaRuntimeOptions } from './runtime-types';

export type TrackResult =
  | { status: 'queued'; id: number; fixes: DnmaFix[] }
  | { status: 'dropped'; id: number; reason: DnmaDropReason; fixes: DnmaFix[] }
  /** The database refused the insert; logged. The page is not affected. */
  | { status: 'error'; error: string };

export interface DnmaTrackerOptions extends DnmaRuntimeOptions, BuildHitOptions {
  /** Called after a hit is queued, e.g. `() => sender.wake()` to send it now rather than at the next poll. */
  onQueued?: () => void;
}

/**
 * Turns a page view into a hit and puts it in the main queue (Postgres). Never calls Matomo,
 * never throws: a page is never slowed down or broken by the measurement.
 */
export class DnmaTracker {
  private readonly now: DnmaClock;
  private readonly logger: DnmaLogger;

  constructor(
    private readonly db: Queryable,
    private readonly config: DnmaConfig,
    private readonly options: DnmaTrackerOptions = {},
  ) {
    this.now = options.now ?? systemClock;
    this.logger = options.logger ?? SILENT_LOGGER;
  }

  async track(pageView: DnmaPageView): Promise<TrackResult> {
    const pageId = String(pageView?.pageId ?? '').slice(0, 64);
    try {
      const built = buildHit(pageView, this.config, { rand: this.options.rand });
      const at = this.now().toISOString();
      if ('dropped' in built) {
        const reason = built.dropped;
        const history = [{ at, event: 'DROPPED', reason: reason.code, field: reason.field, fixes: built.fixes }];
        const r = await this.db.query<{ id: number }>(
          `WITH ins AS (
             INSERT INTO dnma_hits (state, page_id, query, cdt, created_at, available_at, drop_reason, history, updated_at)
             VALUES ('DROPPED', $1, NULL, NULL, $2, $2, $3, $4::jsonb, $2)
             RETURNING id),
           c AS (UPDATE dnma_counters SET value = value + 1 WHERE name = 'dropped')
           SELECT id FROM ins`,
          [pageId || '(none)', at, `${reason.code} (${reason.field}): ${reason.message}`, JSON.stringify(history)],
        );
        this.logger.warn({ pageId, hitId: r.rows[0].id, reason: reason.code, field: reason.field, detail: reason.message, fixes: built.fixes }, 'DNMA hit dropped');
        return { status: 'dropped', id: r.rows[0].id, reason, fixes: built.fixes };
      }
      const { hit, fixes } = built;
      const history = [{ at, event: 'QUEUED', ...(fixes.length ? { fixes } : {}) }];
      const r = await this.db.query<{ id: number }>(
        `WITH ins AS (
           INSERT INTO dnma_hits (state, page_id, query, cdt, created_at, available_at, history, updated_at)
           VALUES ('QUEUED', $1, $2, $3, $4, $4, $5::jsonb, $4)
           RETURNING id),
         c AS (UPDATE dnma_counters SET value = value + 1 WHERE name = 'enqueued')
         SELECT id FROM ins`,
        [hit.pageId, hit.query, hit.cdt, at, JSON.stringify(history)],
      );
      const id = r.rows[0].id;
      if (fixes.length) this.logger.warn({ pageId, hitId: id, fixes }, 'DNMA hit fixed before queuing');
      this.options.onQueued?.();
      return { status: 'queued', id, fixes };
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      this.logger.error({ pageId, err: error }, 'DNMA hit could not be queued');
      return { status: 'error', error };
    }
  }
}
