import { Inject, Injectable } from '@nestjs/common';
import type { Dnma } from '@ent/dnma';
import type { Database } from '@ent/persistence';
import { ObjectStore } from '@ent/storage';
import { DATABASE, DNMA, OBJECT_STORE } from '../infra/tokens';
import { JOB_KINDS } from '../transfers/states';
import { MetricsService } from './metrics.service';

/**
 * The gauges read from the outside world at each scrape: the job queue and the transfers in
 * Postgres, whether Postgres and S3 answer, the DNMA queues. Aggregates only (GROUP BY over the
 * jobs and transfers tables, the DNMA snapshot over its partial indexes): a scrape every 15 s
 * costs a few milliseconds.
 */
@Injectable()
export class MetricsCollector {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(DNMA) private readonly dnma: Dnma | null,
  ) {}

  async refresh(): Promise<void> {
    const [database, s3] = await Promise.all([this.readDatabase(), this.store.ping().catch(() => false)]);
    this.metrics.databaseUp.set(database ? 1 : 0);
    this.metrics.s3Up.set(s3 ? 1 : 0);
    await this.readDnma(database);
  }

  private async readDatabase(): Promise<boolean> {
    const m = this.metrics;
    try {
      const [jobs, ages, transfers] = await Promise.all([
        this.db.query<{ kind: string; state: string; n: number }>('SELECT kind, state, count(*)::int AS n FROM jobs GROUP BY kind, state'),
        // "Runnable" as the worker claims: due, and pending or held by an expired lease.
        this.db.query<{ kind: string; age: number | string }>(
          `SELECT kind, EXTRACT(EPOCH FROM (now() - min(run_at)))::float8 AS age FROM jobs
            WHERE run_at <= now() AND (state = 'PENDING' OR (state = 'RUNNING' AND locked_until < now()))
            GROUP BY kind`,
        ),
        this.db.query<{ role: string; state: string; n: number }>('SELECT role, state, count(*)::int AS n FROM transfers GROUP BY role, state'),
      ]);
      m.jobs.reset();
      for (const r of jobs.rows) m.jobs.set({ kind: r.kind, state: r.state }, Number(r.n));
      m.jobQueueAge.reset();
      for (const kind of Object.values(JOB_KINDS)) m.jobQueueAge.set({ kind }, 0);
      for (const r of ages.rows) m.jobQueueAge.set({ kind: r.kind }, Math.max(0, Number(r.age)));
      m.transfers.reset();
      for (const r of transfers.rows) m.transfers.set({ role: r.role, state: r.state }, Number(r.n));
      return true;
    } catch {
      // Unknown is not zero: the series disappear and database_up says why.
      m.jobs.reset();
      m.jobQueueAge.reset();
      m.transfers.reset();
      return false;
    }
  }

  private async readDnma(database: boolean): Promise<void> {
    const m = this.metrics;
    m.dnmaEnabled.set(this.dnma ? 1 : 0);
    m.dnmaQueue.reset();
    m.dnmaOldest.reset();
    if (!this.dnma || !database) return;
    const snapshot = await this.dnma.metrics.snapshot().catch(() => null);
    if (!snapshot) return;
    m.dnmaQueue.set({ queue: 'main' }, snapshot.queued);
    m.dnmaQueue.set({ queue: 'dead_letter' }, snapshot.deadLettered);
    m.dnmaOldest.set(snapshot.oldestWaitingSeconds ?? 0);
  }
}
