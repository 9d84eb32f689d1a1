import { migrate, openDatabase, type Database } from '@ent/persistence';
// The service's module graph reaches jose (ESM only, which this CommonJS test runner cannot load);
// nothing here verifies a token.
jest.mock('jose', () => ({ errors: {} }));
import { ArrivalService } from './arrival.service';
import { TransferRepository, type TransferItemInput } from './transfer.repository';

/**
 * The owner appears at the arrival (she logs in, or her ENT says so): the transfers waiting for
 * her move, however many older transfers she has. Before, the arrival read her 200 newest
 * transfers whole (offers and answers included, parsed at every login) and looked for those
 * among them: an older one waiting for her account was never taken up again.
 */
describe('ArrivalService.onOwnerEvent (PGlite)', () => {
  let db: Database;
  let repo: TransferRepository;
  let service: ArrivalService;
  let wakes = 0;
  const owner = 'sophie.martin';

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db);
    repo = new TransferRepository(db);
    const unused = undefined as never;
    service = new ArrivalService(
      repo, unused, unused, unused, unused, unused, { wake: () => void wakes++ } as never, unused, unused, unused, unused, unused,
      { convertersEnabled: [] } as never, { now: () => new Date() } as never,
    );
  });
  afterAll(() => db.close());

  const transferId = (n: number) => `7a1f8c2e-2b7b-4a3e-9d51-${String(n).padStart(12, '0')}`;
  const insert = async (n: number, state: string, seen: boolean, items: TransferItemInput[] = []) => {
    await repo.insertTransfer(db, {
      id: transferId(n), role: 'ARRIVAL', state, owner_identity: owner, owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000),
    }, undefined, items);
    // Oldest first, one minute apart: the order the arrival lists her transfers in.
    await db.query(`UPDATE transfers SET created_at = now() - ($2::int * interval '1 minute'), owner_seen_at = CASE WHEN $3::boolean THEN now() END WHERE id = $1`,
      [transferId(n), 1000 - n, seen]);
  };
  const item = (i: number): TransferItemInput => ({
    item_id: `item-${i}`, position: i, title: `Cours ${i}`, category: 'STOCKAGE_PARTAGE', state: 'FETCHED', decision: 'IMPORT',
    source_format: 'binary', target_format: 'binary', media_type: 'application/pdf', declared_size: 10,
  });

  it('takes up a transfer that waited for her account behind 200 newer ones, and the unseen one at her login', async () => {
    await insert(0, 'AWAITING_ACCOUNT', true, [item(0), item(1)]);
    for (let n = 1; n <= 200; n++) await insert(n, 'DONE', true);
    // Her ENT says her account now exists: the oldest transfer imports its two items.
    expect(await service.onOwnerEvent(owner, 'ENT_ACCOUNT')).toBe(1);
    expect((await repo.head(db, transferId(0), 'ARRIVAL'))?.state).toBe('IMPORTING');
    const jobs = (await db.query<{ payload: { itemId: string } }>(`SELECT payload FROM jobs WHERE payload->>'transferId' = $1 ORDER BY payload->>'itemId'`, [transferId(0)])).rows;
    expect(jobs.map((j) => j.payload.itemId)).toEqual(['item-0', 'item-1']);
    expect(wakes).toBe(1);
    // A newer transfer she has not seen yet, waiting for her: her login marks it seen and starts it.
    await insert(201, 'AWAITING_OWNER', false, [item(0)]);
    expect(await service.onOwnerEvent(owner, 'GATEWAY_LOGIN')).toBe(1);
    expect((await repo.head(db, transferId(201), 'ARRIVAL'))?.state).toBe('IMPORTING');
    // Nothing is left waiting for her: the same event again moves nothing.
    expect(await service.onOwnerEvent(owner, 'GATEWAY_LOGIN')).toBe(0);
    expect(await service.onOwnerEvent(owner, 'ENT_ACCOUNT')).toBe(0);
  });
});
