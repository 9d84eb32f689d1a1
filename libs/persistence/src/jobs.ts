import { randomUUID } from 'node:crypto';
import { Database, Queryable } from './database';

export interface JobRow<P = Record<string, unknown>> {
  id: number;
  kind: string;
  dedupe_key: string;
  payload: P;
  attempts: number;
  max_attempts: number | null;
}

export interface EnqueueOptions {
  /** Jobs are deduplicated on this key: enqueuing twice is a no-op (retries never duplicate work). */
  key: string;
  runAt?: Date;
  maxAttempts?: number;
}

/** A failure that retrying cannot fix (a 4xx from a peer, a checksum the source insists on). */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/**
 * "Not now": the other side asked us to come back later (429 + Retry-After).
 * The job is rescheduled without spending one of its attempts.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/**
 * Enqueues in the caller's transaction, so a state change and the work it
 * implies commit together or not at all (transactional outbox).
 */
export async function enqueueJob(
  tx: Queryable,
  kind: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions,
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO jobs (kind, dedupe_key, payload, run_at, max_attempts)
     VALUES ($1, $2, $3, COALESCE($4::timestamptz, now()), $5::int)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [kind, options.key, JSON.stringify(payload), options.runAt?.toISOString() ?? null, options.maxAttempts ?? null],
  );
  return r.rowCount > 0;
}

export type JobHandler = (job: JobRow<any>) => Promise<void>;
/** Runs once when a job fails for good, so the domain records the failure (never silently dropped). */
export type GiveUpHandler = (job: JobRow<any>, error: string) => Promise<void>;

export interface JobWorkerOptions {
  pollIntervalMs?: number;
  /**
   * A job whose worker died is taken again once its lease has run out. A live worker renews
   * the lease of its running jobs every leaseMs/3, so a long job is never taken twice.
   */
  leaseMs?: number;
  concurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Attempts before a job fails for good, unless it was enqueued with its own. */
  maxAttempts?: number;
  onError?: (job: JobRow, err: unknown, final: boolean) => void;
}

/**
 * Polls the jobs table with `FOR UPDATE SKIP LOCKED`, so any number of
 * workers across replicas share the work and a given job runs in one place at
 * a time. Handlers are idempotent: a crash after the work but before `DONE`
 * makes the job run again, which must change nothing.
 */
export class JobWorker {
  readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly handlers = new Map<string, { handle: JobHandler; giveUp?: GiveUpHandler }>();
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private stopped = true;
  private wakeRequested = false;
  private readonly opts: Required<Omit<JobWorkerOptions, 'onError'>> & Pick<JobWorkerOptions, 'onError'>;

  constructor(
    private readonly db: Database,
    options: JobWorkerOptions = {},
  ) {
    this.opts = {
      pollIntervalMs: options.pollIntervalMs ?? 500,
      leaseMs: options.leaseMs ?? 60_000,
      concurrency: options.concurrency ?? 2,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 5 * 60_000,
      maxAttempts: options.maxAttempts ?? 10,
      onError: options.onError,
    };
  }

  register(kind: string, handle: JobHandler, giveUp?: GiveUpHandler): void {
    this.handlers.set(kind, { handle, giveUp });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /** Called after a local enqueue so the work starts now instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    this.wakeRequested = true;
    this.schedule(0);
  }

  private schedule(delay: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    this.wakeRequested = false;
    try {
      while (!this.stopped && this.running < this.opts.concurrency) {
        const job = await this.claim();
        if (!job) break;
        this.running++;
        void this.run(job).finally(() => {
          this.running--;
          this.schedule(0);
        });
      }
    } catch (err) {
      this.opts.onError?.({ id: -1, kind: 'claim', dedupe_key: '', payload: {}, attempts: 0, max_attempts: 0 }, err, false);
    }
    this.schedule(this.wakeRequested ? 0 : this.opts.pollIntervalMs);
  }

  private async claim(): Promise<JobRow | undefined> {
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return undefined;
    const r = await this.db.query<JobRow>(
      `UPDATE jobs SET state = 'RUNNING', attempts = attempts + 1, locked_by = $1,
              locked_until = now() + ($2::int * interval '1 millisecond'), updated_at = now()
       WHERE id = (
         SELECT id FROM jobs
         WHERE kind = ANY($3::text[]) AND run_at <= now()
           AND (state = 'PENDING' OR (state = 'RUNNING' AND locked_until < now()))
         ORDER BY run_at, id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING id, kind, dedupe_key, payload, attempts, max_attempts`,
      [this.workerId, this.opts.leaseMs, kinds],
    );
    return r.rows[0];
  }

  private async run(job: JobRow): Promise<void> {
    const handler = this.handlers.get(job.kind)!;
    const heartbeat = setInterval(() => {
      void this.db
        .query(
          `UPDATE jobs SET locked_until = now() + ($3::int * interval '1 millisecond') WHERE id = $1 AND locked_by = $2 AND state = 'RUNNING'`,
          [job.id, this.workerId, this.opts.leaseMs],
        )
        .catch(() => undefined);
    }, Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    try {
      await handler.handle(job);
      await this.db.query(
        `UPDATE jobs SET state = 'DONE', locked_by = NULL, locked_until = NULL, last_error = NULL, completed_by = $2, updated_at = now()
         WHERE id = $1 AND locked_by = $2`,
        [job.id, this.workerId],
      );
    } catch (err) {
      if (err instanceof RetryLaterError) {
        // Spread the returns over 25% of the wait so that jobs refused together do not come back together.
        const delay = Math.round(err.delayMs * (1 + Math.random() * 0.25));
        await this.db.query(
          `UPDATE jobs SET state = 'PENDING', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, last_error = $3,
                  run_at = now() + ($4::int * interval '1 millisecond'), updated_at = now()
           WHERE id = $1 AND locked_by = $2`,
          [job.id, this.workerId, err.message.slice(0, 2000), delay],
        );
        return;
      }
      const permanent = err instanceof PermanentJobError;
      const final = permanent || job.attempts >= (job.max_attempts ?? this.opts.maxAttempts);
      const message = err instanceof Error ? err.message : String(err);
      // Exponential backoff with full jitter (a random wait up to the ceiling), at least the base.
      const ceiling = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (job.attempts - 1));
      const delay = Math.max(this.opts.backoffBaseMs, Math.round(Math.random() * ceiling));
      await this.db.query(
        `UPDATE jobs SET state = $3, locked_by = NULL, locked_until = NULL, last_error = $4,
                run_at = now() + ($5::int * interval '1 millisecond'), updated_at = now()
         WHERE id = $1 AND locked_by = $2`,
        [job.id, this.workerId, final ? 'FAILED' : 'PENDING', message.slice(0, 2000), delay],
      );
      this.opts.onError?.(job, err, final);
      if (final && handler.giveUp) {
        await handler.giveUp(job, message).catch((e) => this.opts.onError?.(job, e, true));
      }
    } finally {
      clearInterval(heartbeat);
    }
  }
}
