import { openDatabase, Database } from './database';
import { migrate } from './migrations';
import { enqueueJob, JobWorker, PermanentJobError, RetryLaterError } from './jobs';

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
});
