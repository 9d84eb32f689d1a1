import { randomUUID } from 'node:crypto';
import { Database, isDatabaseUnavailable, Queryable } from './database';

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
  /**
   * Jobs of one group (the peer a fetch pulls from) run at most `groupLimit` at a time across
   * every worker, so one slow or hostile peer cannot take all the slots of its kind.
   */
  group?: string;
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
    `INSERT INTO jobs (kind, dedupe_key, payload, run_at, max_attempts, group_key)
     VALUES ($1, $2, $3, COALESCE($4::timestamptz, now()), $5::int, $6)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [kind, options.key, JSON.stringify(payload), options.runAt?.toISOString() ?? null, options.maxAttempts ?? null, options.group ?? null],
  );
  return r.rowCount > 0;
}

/**
 * Marks a job that has not started as done, because its work was done in the meantime by the
 * caller (a request that removed at once what the job would have removed later). False when the
 * job is not waiting any more: a worker holds it, or it ended, and it records its own outcome.
 */
export async function completePendingJob(tx: Queryable, key: string, by: string): Promise<boolean> {
  const r = await tx.query(
    `UPDATE jobs SET state = 'DONE', completed_by = $2, last_error = NULL, updated_at = now()
     WHERE dedupe_key = $1 AND state = 'PENDING'`,
    [key, by],
  );
  return r.rowCount > 0;
}

/**
 * Deletes the finished jobs (DONE or FAILED) last changed more than `olderThanMs` ago, in batches,
 * and returns how many went. Every transfer adds to the queue (a few jobs per item) and nothing
 * else ever removed a row: the table, and every scan of it (the metrics' counts at each scrape),
 * grew with each summer, and the payloads kept what they carry (a proof of her identity, her name
 * for a copy of her data) for ever. Handlers check the current state before acting (ADR 003), so a
 * key enqueued again once its job is gone does no work twice.
 */
export async function purgeFinishedJobs(db: Queryable, olderThanMs: number, batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await db.query(
      `DELETE FROM jobs WHERE id IN (
         SELECT id FROM jobs
          WHERE state IN ('DONE', 'FAILED') AND updated_at < now() - ($1::bigint * interval '1 millisecond')
          LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
      [olderThanMs, batch],
    );
    total += r.rowCount;
    if (r.rowCount < batch) return total;
  }
}

/** Runs `purgeFinishedJobs` now and then every `everyMs` while started (one timer, never overlapping). */
export class FinishedJobsPurge {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly o: { olderThanMs: number; everyMs: number; onPurged?: (n: number) => void; onError?: (err: unknown) => void },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.o.everyMs);
    this.timer.unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One purge; a purge still running when the next is due is not started twice. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      try {
        const n = await purgeFinishedJobs(this.db, this.o.olderThanMs);
        if (n > 0) this.o.onPurged?.(n);
      } catch (err) {
        this.o.onError?.(err);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}

/** A job to enqueue: its kind, its payload and how it is keyed and scheduled. */
export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  options: EnqueueOptions;
}

/**
 * The insert `enqueueJobs` runs, with its parameters numbered from `firstParam`, for a caller that
 * writes its jobs inside a larger statement (a data-modifying CTE) under the same outbox rule.
 * `onlyWith` names a relation of that statement: the jobs are written once per row it has, so a
 * relation of one row (the row just inserted) writes them and an empty one writes nothing.
 */
export function jobsInsert(jobs: NewJob[], firstParam = 1, onlyWith?: string): { sql: string; params: unknown[] } {
  const p = (n: number) => `$${firstParam + n}`;
  return {
    sql: `INSERT INTO jobs (kind, dedupe_key, payload, run_at, max_attempts, group_key)
     SELECT j.kind, j.dedupe_key, j.payload, COALESCE(j.run_at, now()), j.max_attempts, j.group_key
     FROM ${onlyWith ? `${onlyWith}, ` : ''}unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::jsonb[], ${p(3)}::timestamptz[], ${p(4)}::int[], ${p(5)}::text[])
       AS j(kind, dedupe_key, payload, run_at, max_attempts, group_key)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    params: [jobs.map((j) => j.kind), jobs.map((j) => j.options.key), jobs.map((j) => JSON.stringify(j.payload)),
      jobs.map((j) => j.options.runAt?.toISOString() ?? null), jobs.map((j) => j.options.maxAttempts ?? null), jobs.map((j) => j.options.group ?? null)],
  };
}

/** Several jobs in one statement (same outbox rule as enqueueJob); returns how many were new. */
export async function enqueueJobs(tx: Queryable, jobs: NewJob[]): Promise<number> {
  if (jobs.length === 0) return 0;
  const { sql, params } = jobsInsert(jobs);
  const r = await tx.query(sql, params);
  return r.rowCount;
}

/** Oldest runnable jobs of each kind a claim considers (see JobWorker.claim). */
const CANDIDATES_PER_KIND = 8;

export type JobHandler = (job: JobRow<any>) => Promise<void>;
/** Runs once when a job fails for good, so the domain records the failure (never silently dropped). */
export type GiveUpHandler = (job: JobRow<any>, error: string, cause?: unknown) => Promise<void>;

export interface JobWorkerOptions {
  pollIntervalMs?: number;
  /**
   * A job whose worker died is taken again once its lease has run out. A live worker renews
   * the lease of its running jobs every leaseMs/3, so a long job is never taken twice.
   */
  leaseMs?: number;
  /**
   * Jobs of one kind this worker runs at a time, unless `concurrencyByKind` names the kind. Every
   * kind has its own slots: slow fetches can never starve imports, receipts or clean-up.
   */
  concurrency?: number;
  concurrencyByKind?: Record<string, number>;
  /** Running jobs of one group (see EnqueueOptions.group) across all workers; 0 = no limit. */
  groupLimit?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Attempts before a job fails for good, unless it was enqueued with its own. */
  maxAttempts?: number;
  onError?: (job: JobRow, err: unknown, final: boolean) => void;
  /**
   * The database could not be reached (claiming, or recording a job's outcome): the worker waits
   * and tries again with backoff (from `pollIntervalMs` up to `backoffMaxMs`, at most 5 s), never
   * counting it as an attempt of the job. Default: nothing.
   */
  onDatabaseUnavailable?: (err: unknown) => void;
  /**
   * Domain time (ADR 011): when a job is due (`run_at`) and when a retry comes back. Leases stay
   * on the database's own now(): they guard against dead processes, which is real time.
   */
  now?: () => Date;
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
  private readonly runningByKind = new Map<string, number>();
  private stopped = true;
  private wakeRequested = false;
  private readonly opts: Required<Omit<JobWorkerOptions, 'onError' | 'onDatabaseUnavailable'>> & Pick<JobWorkerOptions, 'onError' | 'onDatabaseUnavailable'>;
  /** Consecutive claims that met an unreachable database (0 = healthy): the next poll backs off. */
  private unavailableStreak = 0;
  /** Claims made by this worker: each claim locks its job with its own token. */
  private claims = 0;
  private readonly now: () => Date;

  private get running(): number {
    let n = 0;
    for (const v of this.runningByKind.values()) n += v;
    return n;
  }

  constructor(
    private readonly db: Database,
    options: JobWorkerOptions = {},
  ) {
    this.opts = {
      pollIntervalMs: options.pollIntervalMs ?? 500,
      leaseMs: options.leaseMs ?? 60_000,
      concurrency: options.concurrency ?? 2,
      concurrencyByKind: options.concurrencyByKind ?? {},
      groupLimit: options.groupLimit ?? 0,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 5 * 60_000,
      maxAttempts: options.maxAttempts ?? 10,
      onError: options.onError,
      onDatabaseUnavailable: options.onDatabaseUnavailable,
      now: options.now ?? (() => new Date()),
    };
    this.now = this.opts.now;
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
      // Kinds the last claim saw other jobs waiting in (undefined before the first claim).
      let waiting: Set<string> | undefined;
      while (!this.stopped) {
        // A kind the last claim saw nothing in would come back empty: one statement for nothing
        // per job while another kind's slots are full and its backlog long (issue 17). A kind
        // whose slots were full then was not looked at, and a job finishing there ticks again.
        const kinds = this.kindsWithFreeSlots().filter((k) => waiting === undefined || waiting.has(k));
        if (kinds.length === 0) break;
        const token = `${this.workerId}#${++this.claims}`;
        const { job, waitingKinds } = await this.claim(kinds, token);
        if (!job) break;
        this.runningByKind.set(job.kind, (this.runningByKind.get(job.kind) ?? 0) + 1);
        this.unavailableStreak = 0;
        // run() never rejects (its outcome is recorded, or retried until it can be).
        void this.run(job, token).finally(() => {
          this.runningByKind.set(job.kind, (this.runningByKind.get(job.kind) ?? 1) - 1);
          this.schedule(0);
        });
        // Slots only fill up here, and a finished job schedules a claim of its own.
        waiting = new Set(waitingKinds);
      }
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        this.unavailableStreak++;
        this.opts.onDatabaseUnavailable?.(err);
        this.schedule(this.unavailableDelay());
        return;
      }
      this.opts.onError?.({ id: -1, kind: 'claim', dedupe_key: '', payload: {}, attempts: 0, max_attempts: 0 }, err, false);
    }
    this.schedule(this.wakeRequested ? 0 : this.opts.pollIntervalMs);
  }

  /** Next poll while the database is unreachable: doubling from the poll interval, at most 5 s. */
  private unavailableDelay(): number {
    const ceiling = Math.min(this.opts.backoffMaxMs, 5_000);
    return Math.min(ceiling, Math.max(this.opts.pollIntervalMs, 100) * 2 ** Math.min(this.unavailableStreak - 1, 10));
  }

  /**
   * Records a job's outcome; while the database is unreachable, tries again with backoff (the
   * job keeps its slot here, and its lease lapses so that another replica may take it over if
   * this process dies meanwhile). Gives up only when the worker stops: the lease then hands the
   * job to the next worker.
   */
  private async record(write: () => Promise<unknown>): Promise<boolean> {
    for (let streak = 1; ; streak++) {
      try {
        await write();
        return true;
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        this.opts.onDatabaseUnavailable?.(err);
        if (this.stopped) return false;
        const delay = Math.min(Math.min(this.opts.backoffMaxMs, 5_000), Math.max(this.opts.pollIntervalMs, 100) * 2 ** Math.min(streak - 1, 10));
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Slots this worker has per kind; read by the operator view and the tests. */
  slotsOf(kind: string): number {
    return this.opts.concurrencyByKind[kind] ?? this.opts.concurrency;
  }

  private kindsWithFreeSlots(): string[] {
    return [...this.handlers.keys()].filter((k) => (this.runningByKind.get(k) ?? 0) < this.slotsOf(k));
  }

  /**
   * One statement claims the oldest runnable job among the kinds that have a free slot here,
   * skipping groups that already run `groupLimit` jobs anywhere (live lease). Two workers
   * claiming at the same instant can each see the same count, so the group limit may be passed
   * by at most one job per worker: a bound on a peer's share, not a lock.
   *
   * Its cost does not grow with the backlog of other kinds (issue 17): the groups at their limit
   * are counted once, then each kind with a free slot gives its few oldest candidates from its own
   * index (jobs_claim_idx), and the oldest of those that no other worker holds is taken. Several
   * candidates per kind, so that workers of other replicas claiming at the same instant each get
   * one instead of finding the first one locked and waiting for the next poll. The candidates are
   * then tried in order, each by its primary key, until one is locked: joined to the jobs table
   * instead, Postgres hashed every runnable job (a scan of the whole backlog at every claim) as
   * soon as its statistics said the table was small, which a young or just-filled table does.
   */
  private async claim(kinds: string[], token: string): Promise<{ job?: JobRow; waitingKinds: string[] }> {
    const r = await this.db.query<JobRow & { waiting_kinds: string[] }>(
      `WITH busy AS MATERIALIZED (
         SELECT g.group_key FROM jobs g
         WHERE $4::int > 0 AND g.state = 'RUNNING' AND g.locked_until >= now() AND g.group_key IS NOT NULL
         GROUP BY g.group_key HAVING count(*) >= $4::int
       ), candidates AS MATERIALIZED (
         SELECT k.kind, c.id, c.run_at FROM unnest($3::text[]) AS k(kind)
         CROSS JOIN LATERAL (
           SELECT j.id, j.run_at FROM jobs j
           WHERE j.kind = k.kind AND j.run_at <= $5::timestamptz
             AND (j.state = 'PENDING' OR (j.state = 'RUNNING' AND j.locked_until < now()))
             AND (j.group_key IS NULL OR j.group_key NOT IN (SELECT b.group_key FROM busy b))
           ORDER BY j.run_at, j.id
           LIMIT $6::int) c
       )
       UPDATE jobs SET state = 'RUNNING', attempts = attempts + 1, locked_by = $1,
              locked_until = now() + ($2::int * interval '1 millisecond'), updated_at = now()
       WHERE id = (
         SELECT l.id FROM (SELECT c.id, c.run_at FROM candidates c ORDER BY c.run_at, c.id) c
         CROSS JOIN LATERAL (
           SELECT j.id FROM jobs j
           WHERE j.id = c.id AND (j.state = 'PENDING' OR (j.state = 'RUNNING' AND j.locked_until < now()))
           FOR UPDATE SKIP LOCKED) l
         ORDER BY c.run_at, c.id
         LIMIT 1)
       RETURNING id, kind, dedupe_key, payload, attempts, max_attempts,
         ARRAY(SELECT DISTINCT c.kind FROM candidates c WHERE c.id <> jobs.id) AS waiting_kinds`,
      [token, this.opts.leaseMs, kinds, this.opts.groupLimit, this.now().toISOString(), CANDIDATES_PER_KIND],
      // The most frequent statement of a busy gateway, and its planning cost as much as running it
      // (ADR 023): planned once per connection.
      { prepare: 'ent_jobs_claim' },
    );
    const row = r.rows[0];
    if (!row) return { waitingKinds: [] };
    // Candidates held by other workers count too: a claim too many, never one too few.
    const { waiting_kinds, ...job } = row;
    return { job, waitingKinds: waiting_kinds };
  }

  private async run(job: JobRow, token: string): Promise<void> {
    try {
      await this.runAndRecord(job, token);
    } catch (err) {
      // Only a statement that is itself wrong gets here (never the database's absence): the
      // lease hands the job to the next claim.
      this.opts.onError?.(job, err, false);
    }
  }

  /**
   * `token` is the claim's own lock (`locked_by`): outcome writes match that claim, not only this
   * worker, so a write retried after an outage can never settle a later claim of the same job.
   */
  private async runAndRecord(job: JobRow, token: string): Promise<void> {
    const handler = this.handlers.get(job.kind)!;
    const heartbeat = setInterval(() => {
      void this.db
        .query(
          `UPDATE jobs SET locked_until = now() + ($3::int * interval '1 millisecond') WHERE id = $1 AND locked_by = $2 AND state = 'RUNNING'`,
          [job.id, token, this.opts.leaseMs],
        )
        .catch(() => undefined);
    }, Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    let outcome: unknown = undefined;
    let failed = false;
    try {
      await handler.handle(job);
    } catch (err) {
      failed = true;
      outcome = err;
    } finally {
      clearInterval(heartbeat);
    }
    if (!failed) {
      await this.record(() =>
        this.db.query(
          `UPDATE jobs SET state = 'DONE', locked_by = NULL, locked_until = NULL, last_error = NULL, completed_by = $3, updated_at = now()
           WHERE id = $1 AND locked_by = $2`,
          [job.id, token, this.workerId],
        ),
      );
      return;
    }
    const err = outcome;
    if (err instanceof RetryLaterError || isDatabaseUnavailable(err)) {
      // Not the job's fault: back in the queue without spending an attempt. A database that went
      // away under the handler comes back soon; its transaction was rolled back and the handler
      // is idempotent, so running it again duplicates nothing.
      const retry = err instanceof RetryLaterError ? err : undefined;
      if (!retry) this.opts.onDatabaseUnavailable?.(err);
      const wait = retry?.delayMs ?? this.opts.backoffBaseMs;
      // Spread the returns over 25% of the wait so that jobs refused together do not come back together.
      const delay = Math.round(wait * (1 + Math.random() * 0.25));
      const message = retry ? retry.message : 'database unavailable';
      await this.record(() =>
        this.db.query(
          `UPDATE jobs SET state = 'PENDING', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, last_error = $3,
                  run_at = $4::timestamptz + ($5::int * interval '1 millisecond'), updated_at = now()
           WHERE id = $1 AND locked_by = $2`,
          [job.id, token, message.slice(0, 2000), this.now().toISOString(), delay],
        ),
      );
      return;
    }
    const permanent = err instanceof PermanentJobError;
    const final = permanent || job.attempts >= (job.max_attempts ?? this.opts.maxAttempts);
    const message = err instanceof Error ? err.message : String(err);
    // Exponential backoff with full jitter (a random wait up to the ceiling), at least the base.
    const ceiling = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (job.attempts - 1));
    const delay = Math.max(this.opts.backoffBaseMs, Math.round(Math.random() * ceiling));
    const recorded = await this.record(() =>
      this.db.query(
        `UPDATE jobs SET state = $3, locked_by = NULL, locked_until = NULL, last_error = $4,
                run_at = $5::timestamptz + ($6::int * interval '1 millisecond'), updated_at = now()
         WHERE id = $1 AND locked_by = $2`,
        [job.id, token, final ? 'FAILED' : 'PENDING', message.slice(0, 2000), this.now().toISOString(), delay],
      ),
    );
    this.opts.onError?.(job, err, final);
    if (recorded && final && handler.giveUp) {
      await this.record(() => handler.giveUp!(job, message, err)).catch((e) => this.opts.onError?.(job, e, true));
    }
  }
}
