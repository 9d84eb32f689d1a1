import { migrate, openDatabase, type Database } from '@ent/persistence';
import { startThrowawayPostgres, type ThrowawayPostgres } from './support/postgres';

jest.setTimeout(60_000);

// Migration 016 (ADR 024): the offer, the answer and the events' data are compressed with lz4 where
// the server has it (Debian's postgresql-15 has), pglz elsewhere (PGlite), and both read alike.
describe('large JSON values compressed with lz4 where the server has it (migration 016)', () => {
  const columns = async (db: Database) =>
    (await db.query<{ col: string; compression: string }>(
      `SELECT c.relname || '.' || a.attname AS col, a.attcompression::text AS compression
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE (c.relname, a.attname) IN (('transfers', 'offer'), ('transfers', 'answer'), ('transfer_events', 'data'))
        ORDER BY 1`,
    )).rows;
  // Large enough to be compressed (over 2 kB), like the offer of a few dozen items.
  const offer = { items: Array.from({ length: 200 }, (_, i) => ({ itemId: `item-${i}`, title: `Élément ${i}`, category: 'STOCKAGE_PARTAGE' })) };
  const writeAndRead = async (db: Database, id: string) => {
    await db.query(
      `INSERT INTO transfers (id, role, state, owner_identity, departure_ent_id, departure_uai, arrival_ent_id, arrival_uai, offer, offer_digest, answer, expires_at)
       VALUES ($1, 'ARRIVAL', 'ANSWERED', 'marie', 'ent-a', '0750001A', 'ent-b', '0690002B', $2, 'd', $2, now() + interval '1 day')`,
      [id, JSON.stringify(offer)],
    );
    return (await db.query<{ offer: unknown; answer: unknown; method: string | null }>(
      `SELECT offer, answer, pg_column_compression(offer) AS method FROM transfers WHERE id = $1`, [id],
    )).rows[0];
  };

  describe('on a Postgres server', () => {
    let pg: ThrowawayPostgres;
    let db: Database;
    beforeAll(async () => {
      pg = await startThrowawayPostgres();
      db = await openDatabase({ url: pg.url });
      await migrate(db);
    }, 120_000);
    afterAll(async () => {
      await db?.close();
      await pg?.stop();
    }, 60_000);

    it('sets lz4 on the three columns, and an offer written now is stored with it and read back as written', async () => {
      expect(await columns(db)).toEqual([
        { col: 'transfer_events.data', compression: 'l' },
        { col: 'transfers.answer', compression: 'l' },
        { col: 'transfers.offer', compression: 'l' },
      ]);
      const row = await writeAndRead(db, '6f1f8c2e-2b7b-4a3e-9d51-000000001601');
      expect(row).toEqual({ offer, answer: offer, method: 'lz4' });
    });
  });

  describe('on PGlite (built without lz4)', () => {
    let db: Database;
    beforeAll(async () => {
      db = await openDatabase({});
      await migrate(db);
    });
    afterAll(() => db?.close());

    it('migrates without it and keeps pglz', async () => {
      expect((await columns(db)).map((c) => c.compression)).toEqual(['', '', '']);
      const row = await writeAndRead(db, '6f1f8c2e-2b7b-4a3e-9d51-000000001602');
      expect(row).toEqual({ offer, answer: offer, method: 'pglz' });
    });
  });
});
