import { Client } from 'pg';
import { startThrowawayPostgres, type ThrowawayPostgres } from './postgres';

// §4/§10: several replicas share one queue in Postgres; `FOR UPDATE SKIP LOCKED` is what lets
// two workers each take a different job without waiting on one another. This proves the
// throwaway server used by the concurrency suites is a real Postgres that does it.
describe('startThrowawayPostgres', () => {
  let pg: ThrowawayPostgres;
  const clients: Client[] = [];

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await pg?.stop();
  }, 60_000);

  async function connect(): Promise<Client> {
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    clients.push(c);
    return c;
  }

  it('serves a loopback URL that answers SELECT 1', async () => {
    expect(pg.url).toMatch(/^postgres(ql)?:\/\/[^@]+@127\.0\.0\.1:\d+\/\w+$/);
    const c = await connect();
    await expect(c.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    const { rows } = await c.query('SHOW server_version_num');
    expect(Number(rows[0].server_version_num)).toBeGreaterThanOrEqual(130000);
  });

  it('lets two connections lock different rows with FOR UPDATE SKIP LOCKED', async () => {
    const setup = await connect();
    await setup.query('CREATE TABLE jobs (id int PRIMARY KEY, taken_by text)');
    await setup.query('INSERT INTO jobs (id) SELECT generate_series(1, 4)');

    const a = await connect();
    const b = await connect();
    const take = `SELECT id FROM jobs WHERE taken_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`;
    await a.query('BEGIN');
    await b.query('BEGIN');
    const first = (await a.query(take)).rows[0].id;
    // b neither blocks on a's locked row nor takes it
    await b.query("SET LOCAL lock_timeout = '2s'");
    const second = (await b.query(take)).rows[0].id;
    expect([first, second]).toEqual([1, 2]);

    // without SKIP LOCKED, b would have to wait for a: prove the row really is locked
    await b.query('SAVEPOINT s');
    await expect(b.query(`SELECT id FROM jobs WHERE id = $1 FOR UPDATE NOWAIT`, [first])).rejects.toMatchObject({ code: '55P03' });
    await b.query('ROLLBACK TO SAVEPOINT s');

    await a.query(`UPDATE jobs SET taken_by = 'a' WHERE id = $1`, [first]);
    await b.query(`UPDATE jobs SET taken_by = 'b' WHERE id = $1`, [second]);
    await a.query('COMMIT');
    await b.query('COMMIT');
    const { rows } = await setup.query('SELECT id, taken_by FROM jobs ORDER BY id');
    expect(rows).toEqual([
      { id: 1, taken_by: 'a' },
      { id: 2, taken_by: 'b' },
      { id: 3, taken_by: null },
      { id: 4, taken_by: null },
    ]);
  });
});
