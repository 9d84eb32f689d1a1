import { enqueueJob, JobWorker, migrate, openDatabase, type Database } from '@ent/persistence';
import { startThrowawayPostgres, type ThrowawayPostgres } from './support/postgres';

jest.setTimeout(60_000);

// ADR 023: the job claim, a busy gateway's most frequent statement, runs as a named prepared
// statement on a Postgres server (planned once per connection), unless the operator turned them
// off for a pooler that cannot carry them (DATABASE_PREPARED_STATEMENTS=false).
describe('the job claim as a prepared statement (Postgres server)', () => {
  let pg: ThrowawayPostgres;
  const open: Database[] = [];
  const workers: JobWorker[] = [];

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(open.map((db) => db.close()));
    await pg?.stop();
  }, 60_000);

  /** One connection, so that what the worker prepared is visible to the next query. */
  async function database(preparedStatements?: boolean) {
    const db = await openDatabase({ url: pg.url, poolSize: 1, ...(preparedStatements === undefined ? {} : { preparedStatements }) });
    open.push(db);
    await migrate(db);
    return db;
  }

  async function runOneJob(db: Database, key: string) {
    await db.transaction((tx) => enqueueJob(tx, 'k', {}, { key }));
    let ran = 0;
    const worker = new JobWorker(db, { pollIntervalMs: 20 });
    workers.push(worker);
    worker.register('k', async () => {
      ran++;
    });
    worker.start();
    for (let i = 0; i < 500 && (await db.query(`SELECT 1 FROM jobs WHERE dedupe_key = $1 AND state = 'DONE'`, [key])).rowCount === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await worker.stop();
    return ran;
  }

  const prepared = async (db: Database) =>
    (await db.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements')).rows;

  it('is prepared once on the connection and reused by every later claim', async () => {
    const db = await database();
    expect(await runOneJob(db, 'first')).toBe(1);
    const after = await prepared(db);
    expect(after.map((p) => p.name)).toEqual(['ent_jobs_claim']);
    expect(after[0].statement).toMatch(/^WITH busy AS MATERIALIZED/);
    const calls = async () => (await db.query<{ n: string }>(`SELECT generic_plans + custom_plans AS n FROM pg_prepared_statements WHERE name = 'ent_jobs_claim'`)).rows[0].n;
    const before = Number(await calls());
    expect(await runOneJob(db, 'second')).toBe(1);
    expect(Number(await calls())).toBeGreaterThan(before);
    expect((await prepared(db)).map((p) => p.name)).toEqual(['ent_jobs_claim']);
  });

  it('is sent unprepared when prepared statements are off', async () => {
    const db = await database(false);
    expect(await runOneJob(db, 'third')).toBe(1);
    expect(await prepared(db)).toEqual([]);
  });
});
