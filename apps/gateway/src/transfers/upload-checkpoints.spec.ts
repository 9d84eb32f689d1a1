import { migrate, openDatabase, type Database } from '@ent/persistence';
import type { ObjectStore, UploadCheckpoint } from '@ent/storage';
import type { Clock } from '@ent/common';
import { TransferRepository } from './transfer.repository';
import { UploadCheckpoints } from './upload-checkpoints';

const MIB = 1024 * 1024;
const ID = '6f1f8c2e-2b7b-4a3e-9d51-000000000016';

describe('UploadCheckpoints progress counters (PGlite)', () => {
  let db: Database;
  let now = new Date('2026-06-20T09:00:00Z');
  const clock: Clock = { now: () => now };
  let writes: string[];
  let checkpoints: UploadCheckpoints;
  const cp = (parts: number): UploadCheckpoint => ({
    uploadId: 'u1', partSize: 8 * MIB, bytes: parts * 8 * MIB,
    parts: Array.from({ length: parts }, (_, i) => ({ part: i + 1, etag: `e${i}`, size: 8 * MIB })),
  });
  const counters = async () => (await db.query<{ bytes_done: number; progress_since: Date | null; progress_since_bytes: number }>(
    `SELECT bytes_done, progress_since, progress_since_bytes FROM transfer_items WHERE transfer_id = $1 AND item_id = 'big'`, [ID])).rows[0];

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db);
    const repo = new TransferRepository(db, clock);
    await db.transaction(async (tx) => {
      await repo.insertTransfer(tx, {
        id: ID, role: 'DEPARTURE', state: 'STAGING', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000),
      });
      await repo.insertItems(tx, [{ transfer_id: ID, role: 'DEPARTURE', item_id: 'big', position: 0, title: 'Gros', category: 'STOCKAGE_PARTAGE', state: 'TO_STAGE', declared_size: 80 * MIB }]);
    });
    const counting = { query: (sql: string, params?: unknown[]) => (writes.push(sql), db.query(sql, params)), transaction: db.transaction.bind(db), close: db.close.bind(db) } as unknown as Database;
    checkpoints = new UploadCheckpoints(counting, {} as ObjectStore, clock);
  });
  afterAll(() => db.close());
  beforeEach(() => (writes = []));

  it('moves the counters once per recorded part, and starts the rate window at the first save of an attempt', async () => {
    const store = checkpoints.for(`departure/${ID}/big/content`, { transferId: ID, role: 'DEPARTURE', itemId: 'big' });
    await store.save(cp(0));
    now = new Date('2026-06-20T09:00:10Z');
    await store.save(cp(1));
    await store.save(cp(2));
    expect(await counters()).toMatchObject({ bytes_done: 16 * MIB, progress_since: new Date('2026-06-20T09:00:00Z'), progress_since_bytes: 0 });
    // Two statements per part (the checkpoint, the counters): never one per chunk.
    expect(writes.filter((w) => w.includes('transfer_items'))).toHaveLength(3);
  });

  it('survives a restart: a new attempt resumes from the recorded bytes and measures its rate from there', async () => {
    expect((await counters()).bytes_done).toBe(16 * MIB); // what a page shows after the restart
    now = new Date('2026-06-20T09:05:00Z');
    const resumed = checkpoints.for(`departure/${ID}/big/content`, { transferId: ID, role: 'DEPARTURE', itemId: 'big' });
    await resumed.save(cp(2)); // the resume records the parts already up
    await resumed.save(cp(3));
    expect(await counters()).toMatchObject({ bytes_done: 24 * MIB, progress_since: new Date('2026-06-20T09:05:00Z'), progress_since_bytes: 16 * MIB });
  });

  it('an upload without a progress target (metadata, index) touches no counter', async () => {
    await checkpoints.for(`departure/${ID}/big/metadata`).save(cp(5));
    expect((await counters()).bytes_done).toBe(24 * MIB);
    expect(writes.filter((w) => w.includes('transfer_items'))).toHaveLength(0);
  });
});
