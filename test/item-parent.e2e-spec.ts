import { Client } from 'pg';
import { migrate, openDatabase, type Database } from '@ent/persistence';
import { isOwnerProofSpent, TransferRepository } from '../apps/gateway/src/transfers/transfer.repository';
import { startThrowawayPostgres, type ThrowawayPostgres } from './support/postgres';

jest.setTimeout(60_000);

// ADR 022 (migration 015): the parent of transfer items is checked once per statement instead of
// by a foreign key, once per row. A foreign key also holds under concurrency: a transfer being
// deleted and items being added to it never both commit. These races need a real server (PGlite
// runs one transaction at a time).
describe('transfers and their items under concurrent transactions (Postgres server)', () => {
  let pg: ThrowawayPostgres;
  let db: Database;
  const clients: Client[] = [];

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    db = await openDatabase({ url: pg.url });
    await migrate(db);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db?.close();
    await pg?.stop();
  }, 60_000);

  const pids = new WeakMap<Client, number>();
  async function connect(): Promise<Client> {
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    clients.push(c);
    // Asked now: once the connection waits on a lock, a query sent on it waits behind.
    pids.set(c, (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    return c;
  }

  const insertTransfer = (c: Database, id: string) => c.query(
    `INSERT INTO transfers (id, role, state, owner_identity, departure_ent_id, departure_uai, arrival_ent_id, arrival_uai, offer, offer_digest, expires_at)
     VALUES ($1, 'ARRIVAL', 'ANSWERED', 'marie', 'ent-a', '0750001A', 'ent-b', '0690002B', '{}', 'd', now() + interval '1 day')`, [id]);
  const insertItems = (c: Client, id: string, n: number) => c.query(
    `INSERT INTO transfer_items (transfer_id, role, item_id, position, title, category, state)
     SELECT $1, 'ARRIVAL', 'item-' || g, g, 't', 'STOCKAGE_PARTAGE', 'OFFERED' FROM generate_series(1, $2::int) g`, [id, n]);
  const countItems = async (id: string) => (await db.query('SELECT 1 FROM transfer_items WHERE transfer_id = $1', [id])).rowCount;
  const outcome = (p: Promise<unknown>) => p.then(() => 'committed', (err: { code?: string }) => err.code ?? String(err));

  /** Resolves once `pid` waits on a lock (the other transaction holds the row). */
  async function waitsOnLock(pid: number) {
    for (let i = 0; i < 500; i++) {
      const r = await db.query<{ w: string | null }>('SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1', [pid]);
      if (r.rows[0]?.w === 'Lock') return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`backend ${pid} never waited on a lock`);
  }
  const pidOf = (c: Client) => pids.get(c)!;

  it('items added while the transfer is being deleted: the deletion waits, then fails (23503)', async () => {
    const id = '7a1f8c2e-2b7b-4a3e-9d51-000000000001';
    await insertTransfer(db, id);
    const adder = await connect();
    const deleter = await connect();
    await adder.query('BEGIN');
    await insertItems(adder, id, 3);
    const deleting = outcome(deleter.query('DELETE FROM transfers WHERE id = $1', [id]));
    await waitsOnLock(pidOf(deleter));
    await adder.query('COMMIT');
    expect(await deleting).toBe('23503');
    expect((await db.query('SELECT 1 FROM transfers WHERE id = $1', [id])).rowCount).toBe(1);
    expect(await countItems(id)).toBe(3);
  });

  /** Another transaction deletes the transfer and holds its lock; items are added meanwhile; the deletion ends with `end`. */
  async function addWhileDeleting(id: string, n: number, end: 'COMMIT' | 'ROLLBACK') {
    await insertTransfer(db, id);
    const adder = await connect();
    const deleter = await connect();
    await deleter.query('BEGIN');
    await deleter.query('DELETE FROM transfers WHERE id = $1', [id]);
    const adding = outcome(insertItems(adder, id, n));
    await waitsOnLock(pidOf(adder));
    await deleter.query(end);
    return adding;
  }

  it('items added to a transfer another transaction is deleting: the insert waits, then fails (23503)', async () => {
    const id = '7a1f8c2e-2b7b-4a3e-9d51-000000000002';
    expect(await addWhileDeleting(id, 3, 'COMMIT')).toBe('23503');
    expect(await countItems(id)).toBe(0);
  });

  it('a deletion that rolls back lets the waiting insert through', async () => {
    const id = '7a1f8c2e-2b7b-4a3e-9d51-000000000003';
    expect(await addWhileDeleting(id, 2, 'ROLLBACK')).toBe('committed');
    expect(await countItems(id)).toBe(2);
  });

  it('two transactions adding items to the same transfer do not wait on each other', async () => {
    const id = '7a1f8c2e-2b7b-4a3e-9d51-000000000004';
    await insertTransfer(db, id);
    const a = await connect();
    const b = await connect();
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query(`INSERT INTO transfer_items (transfer_id, role, item_id, position, title, category, state) VALUES ($1, 'ARRIVAL', 'a', 0, 't', 'c', 'OFFERED')`, [id]);
    // KEY SHARE locks share: b's insert returns while a still holds its lock.
    await b.query(`INSERT INTO transfer_items (transfer_id, role, item_id, position, title, category, state) VALUES ($1, 'ARRIVAL', 'b', 1, 't', 'c', 'OFFERED')`, [id]);
    await a.query('COMMIT');
    await b.query('COMMIT');
    expect(await countItems(id)).toBe(2);
  });

  // Issue 17: an offer is written by one statement, without a transaction of its own. A verified
  // owner proof is good for one offer (ADR 010): two offers spending the same proof at once leave
  // exactly one written, and the other fails in a way the arrival recognises (it then receives
  // that offer with the proof refused as a replay), having written nothing.
  it('two offers spending one owner proof at the same time: one is written, the other is told the proof is spent', async () => {
    const repo = new TransferRepository(db);
    for (let round = 0; round < 10; round++) {
      const proof = { status: 'VERIFIED', jti: `race-${round}`, actor: 'gateway-a', verifiedAt: '2030-01-01T00:00:00Z', expiresAt: '2030-01-01T00:05:00Z' };
      const ids = [0, 1].map((n) => `7a0c3f7e-0000-4000-8000-0000000${round}${n}`.padEnd(36, '0').slice(0, 36));
      const offer = (id: string) => repo.insertTransfer(db, {
        id, role: 'ARRIVAL', state: 'ANSWERED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000), owner_proof: proof as never,
      }, undefined, Array.from({ length: 50 }, (_, i) => ({ item_id: `i${i}`, position: i, title: 't', category: 'STOCKAGE_PARTAGE', state: 'OFFERED' })),
      [{ kind: 'expire-arrival', payload: { transferId: id }, options: { key: `expire:${id}` } }]);
      const outcomes = await Promise.allSettled(ids.map(offer));
      const written = outcomes.filter((o) => o.status === 'fulfilled' && o.value === true);
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(written).toHaveLength(1);
      expect(refused.map(isOwnerProofSpent)).toEqual([true]);
      const loser = ids[outcomes.findIndex((o) => o.status === 'rejected')];
      const left = await db.query(
        `SELECT (SELECT count(*) FROM transfers WHERE id = $1)::int + (SELECT count(*) FROM transfer_items WHERE transfer_id = $1)::int
              + (SELECT count(*) FROM transfer_events WHERE transfer_id = $1)::int + (SELECT count(*) FROM jobs WHERE dedupe_key = 'expire:' || $1)::int AS n`,
        [loser],
      );
      expect(left.rows[0]).toEqual({ n: 0 });
    }
  });
});
