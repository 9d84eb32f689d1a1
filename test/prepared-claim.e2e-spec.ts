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

  // Issue 17: a claim at 50 transfers × 20 items read 355 buffers on average. Once the table's
  // statistics (or its small size when the plan was made) said the jobs were few, Postgres joined
  // the candidates to the jobs table by hashing every runnable job: the whole backlog at every claim.
  it('reads the backlog only through its few candidates, whatever the statistics say', async () => {
    const db = await database();
    await db.query(`INSERT INTO jobs (kind, dedupe_key, payload, run_at) SELECT 'k', 'backlog-' || g, '{}', now() - interval '1 minute' + g * interval '1 ms' FROM generate_series(1, 2000) g`);
    for (const analyzed of [false, true]) {
      if (analyzed) await db.query('ANALYZE jobs');
      let claim: { sql: string; params: unknown[] } | undefined;
      const watching: Database = Object.assign(Object.create(db) as Database, {
        query: (sql: string, params?: unknown[], options?: { prepare?: string }) => {
          if (options?.prepare === 'ent_jobs_claim' && !claim) claim = { sql, params: params ?? [] };
          return db.query(sql, params, options);
        },
      });
      const worker = new JobWorker(watching, { pollIntervalMs: 20 });
      workers.push(worker);
      worker.register('k', async () => undefined);
      worker.register('other', async () => undefined);
      worker.start();
      for (let i = 0; i < 500 && !claim; i++) await new Promise((r) => setTimeout(r, 10));
      await worker.stop();
      // The same statement with the same parameters, run under EXPLAIN ANALYZE and rolled back.
      let plan: [{ Plan: PlanNode }] | undefined;
      const rollback = new Error('rolled back on purpose');
      await expect(db.transaction(async (tx) => {
        plan = (await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${claim!.sql}`, claim!.params)).rows[0]['QUERY PLAN'];
        throw rollback;
      })).rejects.toBe(rollback);
      const reads: string[] = [];
      const walk = (n: PlanNode) => {
        if (n['Relation Name'] === 'jobs') reads.push(`${n['Node Type']}${n['Index Name'] ? ` on ${n['Index Name']}` : ''}: ${n['Actual Rows']} rows × ${n['Actual Loops']}`);
        (n.Plans ?? []).forEach(walk);
      };
      walk(plan![0].Plan);
      // Each read of the table returns a handful of rows per loop: the candidates of a kind (8 at
      // most), one job by its key; never the 2,000 waiting.
      expect([analyzed, reads.filter((r) => Number(/: (\d+) rows/.exec(r)![1]) > 8)]).toEqual([analyzed, []]);
      expect(reads.length).toBeGreaterThan(0);
    }
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}
