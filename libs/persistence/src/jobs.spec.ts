import { openDatabase, Database, DatabaseUnavailableError, isDatabaseUnavailable, type QueryOptions } from './database';
import { migrate } from './migrations';
import { completePendingJob, enqueueJob, enqueueJobs, FinishedJobsPurge, JobWorker, PermanentJobError, purgeFinishedJobs, RetryLaterError } from './jobs';

async function waitFor(cond: () => Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}

describe('job queue (PGlite)', () => {
  let db: Database;
  let worker: JobWorker;
  beforeEach(async () => {
    db = await openDatabase({});
    await migrate(db);
  });
  afterEach(async () => {
    await worker?.stop();
    await db.close();
  });

  it('enqueues many jobs in one statement, each with its own options, deduplicated on the key', async () => {
    const runAt = new Date('2031-05-06T07:08:09.000Z');
    const statements: string[] = [];
    await db.transaction(async (tx) => {
      const counting = { query: (sql: string, params?: unknown[]) => (statements.push(sql), tx.query(sql, params)) };
      expect(await enqueueJob(tx, 'k', { n: 0 }, { key: 'dup' })).toBe(true);
      statements.length = 0;
      expect(await enqueueJobs(counting as never, [
        { kind: 'k', payload: { n: 1, s: 'quote " \\ }' }, options: { key: 'x1', runAt, maxAttempts: 3, group: 'peer:ent-a' } },
        { kind: 'other', payload: {}, options: { key: 'x2' } },
        { kind: 'k', payload: { n: 2 }, options: { key: 'dup' } },
      ])).toBe(2);
      expect(await enqueueJobs(counting as never, [])).toBe(0);
    });
    expect(statements).toHaveLength(1);
    const rows = (await db.query<Record<string, unknown>>(
      `SELECT kind, dedupe_key, payload, run_at, max_attempts, group_key, run_at <= now() AS due FROM jobs ORDER BY dedupe_key`,
    )).rows;
    expect(rows.map((r) => [r.kind, r.dedupe_key, r.payload, r.max_attempts, r.group_key])).toEqual([
      ['k', 'dup', { n: 0 }, null, null],
      ['k', 'x1', { n: 1, s: 'quote " \\ }' }, 3, 'peer:ent-a'],
      ['other', 'x2', {}, null, null],
    ]);
    expect(new Date(rows[1].run_at as string).toISOString()).toBe(runAt.toISOString());
    expect(rows[2].due).toBe(true);
  });

  it('claims the job of an open lane even behind hundreds waiting on a saturated group, and the oldest first', async () => {
    await db.transaction(async (tx) => {
      await enqueueJobs(tx, Array.from({ length: 300 }, (_, n) => ({ kind: 'fetch', payload: { n }, options: { key: `busy-${n}`, group: 'peer:busy' } })));
      await enqueueJob(tx, 'fetch', { n: 'open' }, { key: 'open-1', group: 'peer:open' });
      await enqueueJob(tx, 'import', { n: 'import' }, { key: 'import-1' });
    });
    // peer:busy already runs its two jobs (live leases) on another replica.
    await db.query(`UPDATE jobs SET state = 'RUNNING', locked_by = 'other', locked_until = now() + interval '1 minute' WHERE dedupe_key IN ('busy-0', 'busy-1')`);
    type Claimed = { job?: { dedupe_key: string }; waitingKinds: string[] };
    const claimed = (w: JobWorker, kinds: string[]) => (w as unknown as { claim(k: string[], t: string): Promise<Claimed> }).claim(kinds, 't');
    const claim = async (w: JobWorker, kinds: string[]) => (await claimed(w, kinds)).job;
    worker = new JobWorker(db, { groupLimit: 2 });
    // The oldest open candidate first: the open peer's fetch was enqueued before the import,
    // which the claim saw waiting too; the import was the last candidate.
    expect(await claimed(worker, ['fetch', 'import'])).toEqual({ job: expect.objectContaining({ dedupe_key: 'open-1' }), waitingKinds: ['import'] });
    expect(await claimed(worker, ['fetch', 'import'])).toEqual({ job: expect.objectContaining({ dedupe_key: 'import-1' }), waitingKinds: [] });
    // Now the open peer runs one job and the busy one two: nothing else may start.
    expect(await claim(worker, ['fetch', 'import'])).toBeUndefined();
    // Its lease lapses (the replica died): the group has a free slot again, its oldest waiting job goes.
    await db.query(`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE dedupe_key = 'busy-1'`);
    expect((await claim(worker, ['fetch']))?.dedupe_key).toBe('busy-1');
  });

  it('reads about as much to claim with 5,000 jobs waiting in each kind as with 1,000 (issue 17)', async () => {
    // What one claim reads (buffers, from the plan the database executes) when `waiting` fetches
    // sit behind a fetch slot count that is full here (fetch is not among the kinds claimed) and
    // `waiting` imports of the kind being claimed wait too: a summer backlog.
    const readsToClaimImport = async (waiting: number, tag: string): Promise<number> => {
      await db.transaction(async (tx) => {
        await enqueueJobs(tx, Array.from({ length: waiting }, (_, n) => ({ kind: `${tag}:fetch`, payload: { n }, options: { key: `${tag}-fetch-${n}`, group: 'peer:a' } })));
        await enqueueJob(tx, `${tag}:import`, {}, { key: `${tag}-import`, runAt: new Date(Date.now() - 60_000) });
        await enqueueJobs(tx, Array.from({ length: waiting }, (_, n) => ({ kind: `${tag}:import`, payload: { n }, options: { key: `${tag}-later-${n}` } })));
      });
      let sql = '';
      let params: unknown[] = [];
      const recorder = { query: async (s: string, p: unknown[] = []) => { sql = s; params = p; return { rows: [], rowCount: 0 }; } } as unknown as Database;
      await (new JobWorker(recorder, { groupLimit: 8 }) as unknown as { claim(k: string[], t: string): Promise<unknown> }).claim([`${tag}:import`, `${tag}:receipt`, `${tag}:expire`], 't');
      expect(sql).toMatch(/^\s*(WITH|UPDATE)/);
      let blocks = -1;
      const rollback = new Error('rollback');
      await db.transaction(async (tx) => {
        const plan = (await tx.query<Record<string, unknown>>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params)).rows[0];
        const top = (Object.values(plan)[0] as [{ Plan: Record<string, number> }])[0].Plan;
        expect(top['Actual Rows']).toBe(1);
        blocks = top['Shared Hit Blocks'] + top['Shared Read Blocks'] + (top['Local Hit Blocks'] ?? 0) + (top['Local Read Blocks'] ?? 0);
        throw rollback;
      }).catch((e) => { if (e !== rollback) throw e; });
      // The claim did find the oldest import (and the rollback left it waiting).
      expect((await db.query<{ state: string }>(`SELECT state FROM jobs WHERE dedupe_key = $1`, [`${tag}-import`])).rows[0].state).toBe('PENDING');
      return blocks;
    };
    const some = await readsToClaimImport(1000, 'some');
    const many = await readsToClaimImport(5000, 'many');
    expect(some).toBeGreaterThan(0);
    // Walking the fetches in run_at order, or sorting every waiting import, reads tens of blocks
    // more for every thousand jobs waiting; a claim by kind reads the same few
    // index pages and its candidates' rows, one more index level at most.
    expect(many - some).toBeLessThan(20);
  });

  it('deduplicates on the key and runs a job once', async () => {
    const seen: unknown[] = [];
    await db.transaction(async (tx) => {
      expect(await enqueueJob(tx, 'k', { n: 1 }, { key: 'a' })).toBe(true);
      expect(await enqueueJob(tx, 'k', { n: 2 }, { key: 'a' })).toBe(false);
    });
    worker = new JobWorker(db, { pollIntervalMs: 10 });
    worker.register('k', async (job) => {
      seen.push(job.payload);
    });
    worker.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('completes a job that has not started (its work was done meanwhile), never one a worker holds', async () => {
    await db.transaction(async (tx) => {
      await enqueueJob(tx, 'k', {}, { key: 'waiting', runAt: new Date(Date.now() + 60_000) });
      await enqueueJob(tx, 'k', {}, { key: 'held' });
    });
    await db.query(`UPDATE jobs SET state = 'RUNNING', locked_by = 'w1', locked_until = now() + interval '1 hour' WHERE dedupe_key = 'held'`);
    expect(await completePendingJob(db, 'waiting', 'request')).toBe(true);
    expect(await completePendingJob(db, 'waiting', 'request')).toBe(false);
    expect(await completePendingJob(db, 'held', 'request')).toBe(false);
    expect(await completePendingJob(db, 'unknown', 'request')).toBe(false);
    const rows = (await db.query<{ dedupe_key: string; state: string; completed_by: string | null }>(
      `SELECT dedupe_key, state, completed_by FROM jobs ORDER BY dedupe_key`)).rows;
    expect(rows).toEqual([
      { dedupe_key: 'held', state: 'RUNNING', completed_by: null },
      { dedupe_key: 'waiting', state: 'DONE', completed_by: 'request' },
    ]);
    // A worker never runs the completed one.
    const ran: string[] = [];
    worker = new JobWorker(db, { pollIntervalMs: 10, now: () => new Date(Date.now() + 120_000) });
    worker.register('k', async (job) => void ran.push(job.dedupe_key));
    worker.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toEqual([]);
  });

  it('purges the jobs finished longer ago than the retention, in batches, and nothing waiting or running', async () => {
    const rows: [string, string, number][] = [
      ['done-old-1', 'DONE', 40], ['done-old-2', 'DONE', 31], ['done-old-3', 'DONE', 90], ['failed-old', 'FAILED', 45],
      ['done-young', 'DONE', 29], ['failed-young', 'FAILED', 1],
      ['pending-old', 'PENDING', 200], ['running-old', 'RUNNING', 200],
    ];
    await db.transaction(async (tx) => {
      for (const [key, state, days] of rows) {
        await enqueueJob(tx, 'k', { ownerName: 'Marie Dupont' }, { key });
        await tx.query(`UPDATE jobs SET state = $2, updated_at = now() - ($3::int * interval '1 day') WHERE dedupe_key = $1`, [key, state, days]);
      }
    });
    const thirtyDays = 30 * 86_400_000;
    const statements: string[] = [];
    const counting = { query: (sql: string, params?: unknown[]) => (statements.push(sql), db.query(sql, params)) };
    expect(await purgeFinishedJobs(counting as never, thirtyDays, 2)).toBe(4);
    expect(statements).toHaveLength(3); // 2 + 2 + 0: batches until one comes back short
    const left = (await db.query<{ dedupe_key: string }>(`SELECT dedupe_key FROM jobs ORDER BY dedupe_key`)).rows.map((r) => r.dedupe_key);
    expect(left).toEqual(['done-young', 'failed-young', 'pending-old', 'running-old']);
    // Its key is free again; a job enqueued under it is a new one.
    expect(await enqueueJob(db, 'k', {}, { key: 'done-old-1' })).toBe(true);

    // The periodic purge: at start, then every interval; it says how many went.
    await db.query(`UPDATE jobs SET updated_at = now() - interval '31 days' WHERE dedupe_key = 'done-young'`);
    const purged: number[] = [];
    const purge = new FinishedJobsPurge(db, { olderThanMs: thirtyDays, everyMs: 50, onPurged: (n) => purged.push(n) });
    purge.start();
    await waitFor(async () => purged.length === 1);
    await db.query(`UPDATE jobs SET updated_at = now() - interval '31 days' WHERE dedupe_key = 'failed-young'`);
    await waitFor(async () => purged.length === 2);
    await purge.stop();
    expect(purged).toEqual([1, 1]);
    expect((await db.query(`SELECT 1 FROM jobs WHERE dedupe_key IN ('done-young', 'failed-young')`)).rowCount).toBe(0);
  });

  it('retries a failing job with backoff, then succeeds', async () => {
    let calls = 0;
    await db.transaction((tx) => enqueueJob(tx, 'flaky', {}, { key: 'f' }));
    worker = new JobWorker(db, { pollIntervalMs: 10, backoffBaseMs: 10, backoffMaxMs: 20 });
    worker.register('flaky', async () => {
      calls++;
      if (calls < 3) throw new Error('boom');
    });
    worker.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
    const row = (await db.query<{ attempts: number }>('SELECT attempts FROM jobs')).rows[0];
    expect(row.attempts).toBe(3);
  });

  it('stops at a permanent error and calls the give-up handler once', async () => {
    const gaveUp: string[] = [];
    await db.transaction((tx) => enqueueJob(tx, 'bad', {}, { key: 'b' }));
    worker = new JobWorker(db, { pollIntervalMs: 10 });
    worker.register(
      'bad',
      async () => {
        throw new PermanentJobError('refused by peer');
      },
      async (_job, error) => {
        gaveUp.push(error);
      },
    );
    worker.start();
    await waitFor(async () => gaveUp.length === 1);
    const row = (await db.query<{ state: string; attempts: number }>('SELECT state, attempts FROM jobs')).rows[0];
    expect(row).toEqual({ state: 'FAILED', attempts: 1 });
  });

  it('reschedules on RetryLaterError without spending an attempt', async () => {
    let calls = 0;
    await db.transaction((tx) => enqueueJob(tx, 'busy', {}, { key: 'busy', maxAttempts: 2 }));
    worker = new JobWorker(db, { pollIntervalMs: 10 });
    worker.register('busy', async () => {
      calls++;
      if (calls <= 4) throw new RetryLaterError('429 from the peer', 20);
    });
    worker.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
    // Four refusals with only two attempts allowed: none of them counted.
    expect(calls).toBe(5);
    expect((await db.query<{ attempts: number }>('SELECT attempts FROM jobs')).rows[0].attempts).toBe(1);
  });

  it('takes back a job whose lease ran out (a worker died)', async () => {
    await db.transaction((tx) => enqueueJob(tx, 'k', {}, { key: 'lease' }));
    await db.query(
      `UPDATE jobs SET state = 'RUNNING', locked_by = 'dead', locked_until = now() - interval '1 second', attempts = 1`,
    );
    worker = new JobWorker(db, { pollIntervalMs: 10 });
    let ran = 0;
    worker.register('k', async () => {
      ran++;
    });
    worker.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
    expect(ran).toBe(1);
  });

  it('renews the lease of a long job, so no other worker takes it meanwhile', async () => {
    await db.transaction((tx) => enqueueJob(tx, 'slow', {}, { key: 'slow' }));
    worker = new JobWorker(db, { pollIntervalMs: 10, leaseMs: 150 });
    const other = new JobWorker(db, { pollIntervalMs: 10, leaseMs: 150 });
    let runs = 0;
    const slow = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 600));
    };
    worker.register('slow', slow);
    other.register('slow', slow);
    worker.start();
    await waitFor(async () => runs === 1);
    other.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
    await other.stop();
    expect(runs).toBe(1);
  });

  it('gives every kind its own slots: jobs that hang never starve another kind', async () => {
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    let slowStarted = 0;
    await db.transaction(async (tx) => {
      for (const n of [1, 2, 3]) await enqueueJob(tx, 'slow', {}, { key: `slow-${n}` });
    });
    worker = new JobWorker(db, { pollIntervalMs: 10, concurrency: 2 });
    worker.register('slow', async () => {
      slowStarted++;
      await hung;
    });
    worker.register('fast', async () => undefined);
    worker.start();
    await waitFor(async () => slowStarted === 2);
    await db.transaction((tx) => enqueueJob(tx, 'fast', {}, { key: 'fast' }));
    // Both slots of 'slow' are held by jobs that never end, yet 'fast' runs.
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE kind = 'fast' AND state = 'DONE'`)).rowCount === 1);
    expect(slowStarted).toBe(2);
    release();
  });

  it('honours a per-kind slot count', async () => {
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    let started = 0;
    await db.transaction(async (tx) => {
      for (const n of [1, 2, 3, 4, 5]) await enqueueJob(tx, 'wide', {}, { key: `wide-${n}` });
    });
    worker = new JobWorker(db, { pollIntervalMs: 10, concurrency: 1, concurrencyByKind: { wide: 4 } });
    worker.register('wide', async () => {
      started++;
      await hung;
    });
    worker.start();
    await waitFor(async () => started === 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(started).toBe(4);
    expect(worker.slotsOf('wide')).toBe(4);
    expect(worker.slotsOf('other')).toBe(1);
    release();
  });

  it('does not claim again when its claim saw no other job waiting (no empty claim after the last job)', async () => {
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    let started = 0;
    let claims = 0;
    const counting: Database = {
      kind: db.kind,
      query: (sql, params, options) => {
        if (sql.startsWith('WITH busy AS MATERIALIZED')) claims++;
        return db.query(sql, params, options);
      },
      transaction: (fn) => db.transaction(fn),
      close: () => db.close(),
    };
    await db.transaction(async (tx) => {
      for (const n of [1, 2, 3]) await enqueueJob(tx, 'wide', {}, { key: `three-${n}` });
    });
    // A poll far away: every claim below comes from the first tick.
    worker = new JobWorker(counting, { pollIntervalMs: 60_000, concurrency: 1, concurrencyByKind: { wide: 4 } });
    worker.register('wide', async () => {
      started++;
      await hung;
    });
    worker.start();
    try {
      await waitFor(async () => started === 3);
      await new Promise((r) => setTimeout(r, 100));
      // Three jobs, three claims: the third saw no other candidate, so there was no fourth (empty) one.
      expect(claims).toBe(3);
    } finally {
      release(); // else the worker cannot stop and the suite hangs
    }
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 3);
  });

  it('does not claim for a kind that had nothing waiting once the kind it took from is full (issue 17)', async () => {
    // Before, a claim that saw another job waiting looped whenever any kind still had a free slot:
    // with the fetch slots full, it claimed again for the imports, which had nothing, at every job.
    let claims = 0;
    let empty = 0;
    const counting: Database = {
      kind: db.kind,
      query: async <T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions) => {
        const r = await db.query<T>(sql, params, options);
        if (sql.startsWith('WITH busy AS MATERIALIZED')) {
          claims++;
          if (r.rowCount === 0) empty++;
        }
        return r;
      },
      transaction: (fn) => db.transaction(fn),
      close: () => db.close(),
    };
    await db.transaction(async (tx) => {
      for (const n of [1, 2, 3]) await enqueueJob(tx, 'narrow', {}, { key: `narrow-${n}` });
    });
    // A poll far away: every claim below comes from the first tick or from a finished job.
    worker = new JobWorker(counting, { pollIntervalMs: 60_000, concurrency: 2, concurrencyByKind: { narrow: 1 } });
    worker.register('narrow', async () => undefined);
    worker.register('idle', async () => undefined);
    worker.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 3);
    await new Promise((r) => setTimeout(r, 100));
    // One claim per job, and the one a finished job makes, which finds nothing after the last.
    expect({ claims, empty }).toEqual({ claims: 4, empty: 1 });
  });

  it('runs at most groupLimit jobs of one group, leaving the other slots to other groups', async () => {
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    await db.transaction(async (tx) => {
      for (const n of [1, 2, 3]) await enqueueJob(tx, 'fetch', { peer: 'slow-peer' }, { key: `s-${n}`, group: 'peer:slow-peer' });
      await enqueueJob(tx, 'fetch', { peer: 'good-peer' }, { key: 'g-1', group: 'peer:good-peer' });
    });
    worker = new JobWorker(db, { pollIntervalMs: 10, concurrency: 4, groupLimit: 2 });
    worker.register('fetch', async (job) => {
      started.push(job.payload.peer);
      if (job.payload.peer === 'slow-peer') await hung;
    });
    worker.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE dedupe_key = 'g-1' AND state = 'DONE'`)).rowCount === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(started.filter((p) => p === 'slow-peer')).toHaveLength(2);
    release();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 4);
  });

  it('keeps the event table append-only', async () => {
    await db.query(
      `INSERT INTO transfer_events (transfer_id, role, type) VALUES ('00000000-0000-4000-8000-000000000001', 'DEPARTURE', 'X')`,
    );
    await expect(db.query('DELETE FROM transfer_events')).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE transfer_events SET type = 'Y'`)).rejects.toThrow(/append-only/);
  });

  it('applies migrations once', async () => {
    expect(await migrate(db)).toEqual([]);
  });

  it('takes a job when the injected clock reaches its run_at, not when the database time does', async () => {
    const day = 24 * 3600 * 1000;
    let now = new Date(Date.now() + 30 * day);
    const ran: string[] = [];
    await db.transaction((tx) => enqueueJob(tx, 'deadline', {}, { key: 'deadline-1', runAt: new Date(Date.now() + 60 * day) }));
    worker = new JobWorker(db, { pollIntervalMs: 10, now: () => now });
    worker.register('deadline', async (job) => {
      ran.push(job.dedupe_key);
    });
    worker.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toEqual([]);
    now = new Date(Date.now() + 61 * day);
    await waitFor(async () => ran.length === 1);
    expect(ran).toEqual(['deadline-1']);
  });

  it('schedules a retry from the injected clock', async () => {
    const day = 24 * 3600 * 1000;
    const now = new Date(Date.now() + 90 * day);
    await db.transaction((tx) => enqueueJob(tx, 'flaky', {}, { key: 'flaky-1' }));
    worker = new JobWorker(db, { pollIntervalMs: 10, backoffBaseMs: 60_000, backoffMaxMs: 60_000, now: () => now });
    worker.register('flaky', async () => {
      throw new Error('down');
    });
    worker.start();
    await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE attempts = 1 AND state = 'PENDING'`)).rowCount === 1);
    const row = (await db.query<{ run_at: Date }>(`SELECT run_at FROM jobs WHERE dedupe_key = 'flaky-1'`)).rows[0];
    expect(new Date(row.run_at).getTime()).toBeGreaterThanOrEqual(now.getTime() + 60_000);
  });

  describe('when the database goes away (issue 14, finding 4)', () => {
    /** The same database, but every statement fails as a cut connection while `down` is set. */
    function failingOver(real: Database) {
      const state = { down: false, refused: 0 };
      const guard = () => {
        if (state.down) {
          state.refused++;
          throw new DatabaseUnavailableError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
        }
      };
      const db: Database = {
        kind: real.kind,
        query: async (sql, params) => {
          guard();
          return real.query(sql, params);
        },
        transaction: async (fn) => {
          guard();
          return real.transaction(fn);
        },
        close: () => real.close(),
      };
      return { db, state };
    }

    it('waits while claiming fails, without reporting job failures, and resumes when it is back', async () => {
      const { db: flaky, state } = failingOver(db);
      await db.transaction((tx) => enqueueJob(tx, 'k', {}, { key: 'after-outage' }));
      const failures: unknown[] = [];
      let unavailable = 0;
      state.down = true;
      worker = new JobWorker(flaky, { pollIntervalMs: 10, onError: (_j, e) => failures.push(e), onDatabaseUnavailable: () => unavailable++ });
      let ran = 0;
      worker.register('k', async () => {
        ran++;
      });
      worker.start();
      await waitFor(async () => state.refused >= 3);
      expect(ran).toBe(0);
      state.down = false;
      await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
      expect(ran).toBe(1);
      expect(failures).toEqual([]);
      expect(unavailable).toBeGreaterThanOrEqual(3);
    });

    it('puts a job whose handler met the outage back in the queue without spending an attempt', async () => {
      const { db: flaky, state } = failingOver(db);
      await db.transaction((tx) => enqueueJob(tx, 'k', {}, { key: 'one-attempt', maxAttempts: 1 }));
      const gaveUp: string[] = [];
      worker = new JobWorker(flaky, { pollIntervalMs: 10, backoffBaseMs: 10 });
      let calls = 0;
      worker.register(
        'k',
        async () => {
          calls++;
          // The handler's own statements fail: the database is away for its first two runs.
          if (calls <= 2) throw new DatabaseUnavailableError(new Error('Connection terminated unexpectedly'));
        },
        async (_job, error) => {
          gaveUp.push(error);
        },
      );
      worker.start();
      await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
      expect(calls).toBe(3);
      expect(gaveUp).toEqual([]);
      expect((await db.query<{ attempts: number }>('SELECT attempts FROM jobs')).rows[0].attempts).toBe(1);
      expect(state.refused).toBe(0);
    });

    it('records the outcome of a job that finished during the outage once the database is back, never rejecting', async () => {
      const { db: flaky, state } = failingOver(db);
      await db.transaction((tx) => enqueueJob(tx, 'k', {}, { key: 'finish-in-outage' }));
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown) => unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      try {
        worker = new JobWorker(flaky, { pollIntervalMs: 10, leaseMs: 60_000 });
        let calls = 0;
        worker.register('k', async () => {
          calls++;
          state.down = true; // the server stops while the handler works: DONE cannot be written now
        });
        worker.start();
        await waitFor(async () => state.refused >= 3);
        expect((await db.query<{ state: string }>('SELECT state FROM jobs')).rows[0].state).toBe('RUNNING');
        state.down = false;
        await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state = 'DONE'`)).rowCount === 1);
        expect(calls).toBe(1);
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('tells an unreachable server from a wrong statement', () => {
      const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
      for (const e of [
        pgError('ECONNREFUSED'),
        pgError('57P01', 'terminating connection due to administrator command'),
        pgError('57P03', 'the database system is starting up'),
        pgError('08006'),
        new Error('Connection terminated unexpectedly'),
        new Error('timeout exceeded when trying to connect'),
        new DatabaseUnavailableError(new Error('x')),
        new Error('wrapped', { cause: pgError('ECONNRESET') }),
      ]) {
        expect(isDatabaseUnavailable(e)).toBe(true);
      }
      for (const e of [pgError('23505', 'duplicate key'), pgError('42P01', 'relation does not exist'), new Error('boom'), undefined, 'text']) {
        expect(isDatabaseUnavailable(e)).toBe(false);
      }
    });
  });
});
