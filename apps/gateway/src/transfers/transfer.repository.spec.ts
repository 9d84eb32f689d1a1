import { migrate, openDatabase, type Database, type Queryable } from '@ent/persistence';
import type { ItemState } from './states';
import { isOwnerProofSpent, TransferRepository, type NewItem, type TransferItemInput } from './transfer.repository';
// views.ts reaches jose (ESM only, which this CommonJS test runner cannot load); nothing here verifies a token.
jest.mock('jose', () => ({ errors: {} }));
import { toTransferView } from './views';

describe('TransferRepository (PGlite)', () => {
  let db: Database;
  let repo: TransferRepository;
  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db);
    repo = new TransferRepository(db);
  });
  afterAll(() => db.close());

  it('writes a 500-item offer — the transfer, its history, its items and its jobs — in one statement, each column as given', async () => {
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000500';
    const statements: string[] = [];
    const items: TransferItemInput[] = Array.from({ length: 500 }, (_, i) => ({
      item_id: `item-${i}`, position: i, title: `Élément « ${i} »`, category: 'STOCKAGE_PARTAGE',
      state: i % 7 === 0 ? 'REFUSED' : 'OFFERED', decision: i % 7 === 0 ? 'REFUSED' : 'IMPORT',
      source_format: i % 7 === 0 ? null : 'binary', target_format: i % 7 === 0 ? null : 'binary', media_type: 'application/pdf',
      declared_size: 3_000_000_000 + i, metadata_format: i % 2 ? 'scolomfr-3.1' : null,
    }));
    await db.transaction(async (tx) => {
      const counting: Queryable = { query: (sql, params) => (statements.push(sql), tx.query(sql, params)) };
      expect(await repo.insertTransfer(counting, {
        id, role: 'ARRIVAL', state: 'OFFER_RECEIVED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000),
      }, undefined, items, [
        { kind: 'expire-arrival', payload: { transferId: id }, options: { key: `expire:${id}`, runAt: new Date('2031-01-02T03:04:05Z') } },
        { kind: 'owner-deadline', payload: { transferId: id, n: 'é"\\' }, options: { key: `owner-deadline:${id}`, maxAttempts: 3, group: 'g' } },
      ])).toBe(true);
    });
    expect(statements).toHaveLength(1);
    expect((await db.query(`SELECT kind, payload, run_at, max_attempts, group_key, state FROM jobs WHERE dedupe_key LIKE '%' || $1 ORDER BY kind`, [id])).rows).toEqual([
      { kind: 'expire-arrival', payload: { transferId: id }, run_at: new Date('2031-01-02T03:04:05Z'), max_attempts: null, group_key: null, state: 'PENDING' },
      { kind: 'owner-deadline', payload: { transferId: id, n: 'é"\\' }, run_at: expect.any(Date), max_attempts: 3, group_key: 'g', state: 'PENDING' },
    ]);
    const rows = (await db.query<Record<string, unknown>>(
      `SELECT transfer_id, role, item_id, position, title, state, decision, source_format, declared_size, metadata_format FROM transfer_items WHERE transfer_id = $1 ORDER BY position`,
      [id],
    )).rows;
    expect(rows).toHaveLength(500);
    expect(rows[0]).toEqual({ transfer_id: id, role: 'ARRIVAL', item_id: 'item-0', position: 0, title: 'Élément « 0 »', state: 'REFUSED', decision: 'REFUSED', source_format: null, declared_size: 3_000_000_000, metadata_format: null });
    expect(rows[499]).toEqual({ transfer_id: id, role: 'ARRIVAL', item_id: 'item-499', position: 499, title: 'Élément « 499 »', state: 'OFFERED', decision: 'IMPORT', source_format: 'binary', declared_size: 3_000_000_499, metadata_format: 'scolomfr-3.1' });
    expect((await db.query(`SELECT type FROM transfer_events WHERE transfer_id = $1`, [id])).rows).toEqual([{ type: 'TRANSFER_CREATED' }]);
  });

  it('adds items to transfers that exist in one statement, each column as given', async () => {
    const ids = ['6f1f8c2e-2b7b-4a3e-9d51-000000000510', '6f1f8c2e-2b7b-4a3e-9d51-000000000511'];
    const statements: string[] = [];
    await db.transaction(async (tx) => {
      for (const id of ids) {
        await repo.insertTransfer(tx, {
          id, role: 'ARRIVAL', state: 'OFFER_RECEIVED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
          departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
          expires_at: new Date(Date.now() + 3_600_000),
        });
      }
      const counting: Queryable = { query: (sql, params) => (statements.push(sql), tx.query(sql, params)) };
      const items: NewItem[] = Array.from({ length: 6 }, (_, i) => ({
        transfer_id: ids[i % 2], role: 'ARRIVAL', item_id: `item-${i}`, position: i, title: `Élément ${i}`, category: 'STOCKAGE_PARTAGE',
        state: 'OFFERED', media_type: 'application/pdf', declared_size: 10 + i,
      }));
      await repo.insertItems(counting, items);
    });
    expect(statements).toHaveLength(1);
    const rows = (await db.query<Record<string, unknown>>(
      `SELECT transfer_id, item_id, declared_size FROM transfer_items WHERE transfer_id = ANY($1::uuid[]) ORDER BY position`, [ids],
    )).rows;
    expect(rows.map((r) => [r.transfer_id, r.item_id, r.declared_size])).toEqual(Array.from({ length: 6 }, (_, i) => [ids[i % 2], `item-${i}`, 10 + i]));
  });

  it('writes nothing for an empty list, and rolls back with the transaction on a duplicate', async () => {
    await expect(repo.insertItems(db, [])).resolves.toBeUndefined();
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000501';
    const item = (itemId: string): NewItem => ({ transfer_id: id, role: 'ARRIVAL', item_id: itemId, position: 0, title: 't', category: 'STOCKAGE_PARTAGE', state: 'OFFERED' });
    await expect(db.transaction(async (tx) => {
      await repo.insertTransfer(tx, {
        id, role: 'ARRIVAL', state: 'OFFER_RECEIVED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000),
      });
      await repo.insertItems(tx, [item('a'), item('b'), item('a')]);
    })).rejects.toThrow();
    expect((await db.query('SELECT 1 FROM transfer_items WHERE transfer_id = $1', [id])).rowCount).toBe(0);
  });

  it('writes a transfer and its history in one statement, the events in the order given, the offer and answer kept as sent', async () => {
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000502';
    const statements: string[] = [];
    const offer = { offerId: id, items: [{ itemId: 'a', title: 'Cours « 1 » \u00e9\\ "x"' }] };
    const answer = { offerId: id, items: [{ itemId: 'a', decision: 'IMPORT' }] };
    await db.transaction(async (tx) => {
      const counting: Queryable = { query: (sql, params) => (statements.push(sql), tx.query(sql, params)) };
      expect(await repo.insertTransfer(counting, {
        id, role: 'ARRIVAL', state: 'ANSWERED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: offer as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000), answer: answer as never,
      }, [
        { type: 'TRANSFER_CREATED', from: null, to: 'OFFER_RECEIVED' },
        { type: 'OWNER_PROOF_ABSENT', from: null, to: null, data: { why: 'quote " and backslash \\ and brace }' } },
        { type: 'ANSWER_SENT', from: 'OFFER_RECEIVED', to: 'ANSWERED', data: { decisions: { a: 'IMPORT' } } },
      ])).toBe(true);
    });
    expect(statements).toHaveLength(1);
    const events = (await db.query(`SELECT type, from_state, to_state, data FROM transfer_events WHERE transfer_id = $1 ORDER BY seq`, [id])).rows;
    expect(events).toEqual([
      { type: 'TRANSFER_CREATED', from_state: null, to_state: 'OFFER_RECEIVED', data: {} },
      { type: 'OWNER_PROOF_ABSENT', from_state: null, to_state: null, data: { why: 'quote " and backslash \\ and brace }' } },
      { type: 'ANSWER_SENT', from_state: 'OFFER_RECEIVED', to_state: 'ANSWERED', data: { decisions: { a: 'IMPORT' } } },
    ]);
    const row = await repo.get(db, id, 'ARRIVAL');
    expect(row?.state).toBe('ANSWERED');
    expect(row?.offer).toEqual(offer);
    expect(row?.answer).toEqual(answer);
  });

  it('writes nothing, not even an event or an item, when the transfer already exists', async () => {
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000503';
    const t = {
      id, role: 'ARRIVAL' as const, state: 'ANSWERED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000),
    };
    const item = (itemId: string): TransferItemInput => ({ item_id: itemId, position: 0, title: 't', category: 'STOCKAGE_PARTAGE', state: 'OFFERED' });
    expect(await repo.insertTransfer(db, t, undefined, [item('a')])).toBe(true);
    expect(await repo.insertTransfer(db, t, [{ type: 'SECOND', from: null, to: null }], [item('b')], [
      { kind: 'expire-arrival', payload: { transferId: id }, options: { key: `replayed:${id}` } },
    ])).toBe(false);
    expect((await db.query(`SELECT type FROM transfer_events WHERE transfer_id = $1`, [id])).rows).toEqual([{ type: 'TRANSFER_CREATED' }]);
    expect((await db.query(`SELECT item_id FROM transfer_items WHERE transfer_id = $1`, [id])).rows).toEqual([{ item_id: 'a' }]);
    expect((await db.query(`SELECT 1 FROM jobs WHERE dedupe_key = $1`, [`replayed:${id}`])).rowCount).toBe(0);
  });

  it('refuses a second offer recording a verified owner proof already spent, writing none of it, and says why', async () => {
    const proof = { status: 'VERIFIED', jti: 'jti-spent-once', actor: 'gateway-a', verifiedAt: '2030-01-01T00:00:00Z', expiresAt: '2030-01-01T00:05:00Z' };
    const t = (id: string) => ({
      id, role: 'ARRIVAL' as const, state: 'ANSWERED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000), owner_proof: proof as never,
    });
    const first = '6f1f8c2e-2b7b-4a3e-9d51-000000000590';
    const second = '6f1f8c2e-2b7b-4a3e-9d51-000000000591';
    const item: TransferItemInput = { item_id: 'a', position: 0, title: 't', category: 'STOCKAGE_PARTAGE', state: 'OFFERED' };
    const job = (id: string) => [{ kind: 'expire-arrival', payload: { transferId: id }, options: { key: `expire:${id}` } }];
    expect(await repo.insertTransfer(db, t(first), undefined, [item], job(first))).toBe(true);
    const err = await repo.insertTransfer(db, t(second), undefined, [item], job(second)).catch((e: unknown) => e);
    expect(isOwnerProofSpent(err)).toBe(true);
    expect(isOwnerProofSpent(Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'transfers_pkey' }))).toBe(false);
    expect(isOwnerProofSpent(undefined)).toBe(false);
    for (const table of ['transfers WHERE id', 'transfer_items WHERE transfer_id', 'transfer_events WHERE transfer_id']) {
      expect([table, (await db.query(`SELECT 1 FROM ${table} = $1`, [second])).rowCount]).toEqual([table, 0]);
    }
    expect((await db.query(`SELECT 1 FROM jobs WHERE dedupe_key = $1`, [`expire:${second}`])).rowCount).toBe(0);
    // The same offer again (a replay) is not a second use of its proof: nothing written, no error.
    expect(await repo.insertTransfer(db, t(first), undefined, [item], job(first))).toBe(false);
  });
  it('reads a transfer without its documents, locked or not (every other column as get reads it, and whether the manifest was signed)', async () => {
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000520';
    await repo.insertTransfer(db, {
      id, role: 'ARRIVAL', state: 'ANSWERED', owner_identity: 'marie', owner_display_name: 'Marie', departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: { big: 'x'.repeat(10_000) } as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000), answer: { items: [] } as never, owner_proof: { status: 'ABSENT' } as never,
    });
    const whole = (await repo.get(db, id, 'ARRIVAL'))!;
    const { offer: _o, answer: _a, manifest_jws: _m, receipt_jws: _r, ...rest } = whole;
    expect(await db.transaction((tx) => repo.lock(tx, id, 'ARRIVAL'))).toEqual({ ...rest, manifest_signed: false });
    expect(await repo.head(db, id, 'ARRIVAL')).toEqual({ ...rest, manifest_signed: false });
    await db.query(`UPDATE transfers SET manifest_jws = 'a.b.c' WHERE id = $1`, [id]);
    expect((await repo.head(db, id, 'ARRIVAL'))?.manifest_signed).toBe(true);
    expect(await db.transaction((tx) => repo.lock(tx, '6f1f8c2e-2b7b-4a3e-9d51-000000000521', 'ARRIVAL'))).toBeUndefined();
  });

  it('reads what the answer decided for one item, and nothing for an item or transfer it does not know', async () => {
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000540';
    const decisions = Array.from({ length: 500 }, (_, i) => ({
      itemId: `item-${i}`, decision: i % 2 ? 'CONVERT' : 'IMPORT', converters: i % 2 ? ['imscc-1.3-to-1.1'] : [],
      ...(i === 7 ? { metadata: { format: 'schemaorg-jsonld', targetFormat: 'scolomfr-3.1', converters: ['schemaorg-to-scolomfr'] } } : {}),
    }));
    await repo.insertTransfer(db, {
      id, role: 'ARRIVAL', state: 'ANSWERED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000), answer: { offerId: id, items: decisions } as never,
    });
    expect(await repo.answerItem(db, id, 'ARRIVAL', 'item-7')).toEqual(decisions[7]);
    expect(await repo.answerItem(db, id, 'ARRIVAL', 'item-498')).toEqual(decisions[498]);
    expect(await repo.answerItem(db, id, 'ARRIVAL', 'item-500')).toBeUndefined();
    expect(await repo.answerItem(db, id, 'DEPARTURE', 'item-7')).toBeUndefined();
    const unanswered = '6f1f8c2e-2b7b-4a3e-9d51-000000000541';
    await repo.insertTransfer(db, {
      id: unanswered, role: 'ARRIVAL', state: 'OFFER_RECEIVED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000),
    });
    expect(await repo.answerItem(db, unanswered, 'ARRIVAL', 'item-7')).toBeUndefined();
  });

  it('tells whether any item is in, or outside, some states, without reading the items', async () => {
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000530';
    const item = (itemId: string, state: ItemState): TransferItemInput => ({ item_id: itemId, position: 0, title: 't', category: 'STOCKAGE_PARTAGE', state });
    await repo.insertTransfer(db, {
      id, role: 'ARRIVAL', state: 'FETCHING', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000),
    }, undefined, [item('a', 'FETCHED'), item('b', 'TO_FETCH'), item('c', 'REFUSED')]);
    expect(await repo.anyItemIn(db, id, 'ARRIVAL', ['TO_FETCH'])).toBe(true);
    expect(await repo.anyItemIn(db, id, 'ARRIVAL', ['IMPORTING', 'OFFERED'])).toBe(false);
    expect(await repo.anyItemIn(db, id, 'DEPARTURE', ['TO_FETCH'])).toBe(false);
    expect(await repo.anyItemOutside(db, id, 'ARRIVAL', ['FETCHED', 'REFUSED'])).toBe(true);
    expect(await repo.anyItemOutside(db, id, 'ARRIVAL', ['FETCHED', 'REFUSED', 'TO_FETCH'])).toBe(false);
  });

  it('changes a state and records its event in one statement, and records nothing when the state is not the expected one', async () => {
    const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000504';
    await repo.insertTransfer(db, {
      id, role: 'ARRIVAL', state: 'FETCHING', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000),
    });
    await repo.insertItems(db, [{ transfer_id: id, role: 'ARRIVAL', item_id: 'a', position: 0, title: 'A', category: 'RESOURCE', state: 'TO_FETCH',
      decision: 'IMPORT', source_format: 'pdf', target_format: 'pdf', media_type: 'application/pdf', declared_size: 3, metadata_format: null }] as NewItem[]);
    const statements: string[] = [];
    await db.transaction(async (tx) => {
      const counting: Queryable = { query: (sql, params) => (statements.push(sql), tx.query(sql, params)) };
      expect(await repo.transitionItem(counting, id, 'ARRIVAL', 'a', ['TO_FETCH'], 'FETCHED', 'ITEM_FETCHED', { size_bytes: 3, sha256: 'abc' }, { note: 'x' })).toBe(true);
      expect(await repo.transitionItem(counting, id, 'ARRIVAL', 'a', ['TO_FETCH'], 'FAILED', 'ITEM_EXPIRED')).toBe(false);
      const row = await repo.transition(counting, id, 'ARRIVAL', ['FETCHING'], 'AWAITING_OWNER', 'ALL_OBJECTS_FETCHED', { fetched: 1 }, { receipt_jws: 'r' });
      expect(row).toMatchObject({ state: 'AWAITING_OWNER', receipt_jws: 'r' });
    });
    expect(statements).toHaveLength(3);
    await expect(repo.transition(db, id, 'ARRIVAL', ['FETCHING'], 'FAILED', 'OFFER_EXPIRED')).rejects.toThrow(/AWAITING_OWNER/);
    const events = (await db.query(`SELECT item_id, type, from_state, to_state, data FROM transfer_events WHERE transfer_id = $1 ORDER BY seq`, [id])).rows;
    expect(events).toEqual([
      { item_id: null, type: 'TRANSFER_CREATED', from_state: null, to_state: 'FETCHING', data: {} },
      { item_id: 'a', type: 'ITEM_FETCHED', from_state: 'TO_FETCH', to_state: 'FETCHED', data: { note: 'x' } },
      { item_id: null, type: 'ALL_OBJECTS_FETCHED', from_state: 'FETCHING', to_state: 'AWAITING_OWNER', data: { fetched: 1 } },
    ]);
    expect((await repo.item(db, id, 'ARRIVAL', 'a'))).toMatchObject({ state: 'FETCHED', sha256: 'abc' });
  });

  describe('items always belong to a transfer (migration 015, ADR 022)', () => {
    const transfer = (id: string) => ({
      id, role: 'ARRIVAL' as const, state: 'OFFER_RECEIVED', owner_identity: 'marie', owner_display_name: null, departure_ent_id: 'ent-a',
      departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
      expires_at: new Date(Date.now() + 3_600_000),
    });
    const items = (id: string, n: number): NewItem[] => Array.from({ length: n }, (_, i) => ({
      transfer_id: id, role: 'ARRIVAL', item_id: `item-${i}`, position: i, title: `t${i}`, category: 'STOCKAGE_PARTAGE', state: 'OFFERED',
    }));
    const code = async (p: Promise<unknown>) => p.then(() => 'no error', (err: { code?: string }) => err.code);
    const countItems = async (id: string) => (await db.query('SELECT 1 FROM transfer_items WHERE transfer_id = $1', [id])).rowCount;

    it('checks the parent of 500 items once for the statement, not once per item', async () => {
      const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000600';
      await repo.insertTransfer(db, transfer(id));
      const list = items(id, 500);
      const plan = (await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, COSTS OFF) INSERT INTO transfer_items (transfer_id, role, item_id, position, title, category, state)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])`,
        [list.map((i) => i.transfer_id), list.map((i) => i.role), list.map((i) => i.item_id), list.map((i) => i.position),
          list.map((i) => i.title), list.map((i) => i.category), list.map((i) => i.state)],
      )).rows.map((r) => r['QUERY PLAN']);
      const triggers = plan.filter((line) => line.startsWith('Trigger'));
      // A foreign key shows as "Trigger for constraint …: calls=500".
      expect(triggers).toHaveLength(1);
      expect(triggers[0]).toMatch(/^Trigger transfer_items_parent_on_insert: time=[\d.]+ calls=1$/);
      expect(await countItems(id)).toBe(500);
    });

    it('refuses items of a transfer that does not exist, as a foreign key would (23503), and writes none', async () => {
      const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000601';
      expect(await code(repo.insertItems(db, items(id, 3)))).toBe('23503');
      expect(await countItems(id)).toBe(0);
      // One good parent does not cover another one missing in the same statement.
      const good = '6f1f8c2e-2b7b-4a3e-9d51-000000000602';
      await repo.insertTransfer(db, transfer(good));
      expect(await code(repo.insertItems(db, [...items(good, 2), ...items(id, 1)]))).toBe('23503');
      expect(await countItems(good)).toBe(0);
      // The same transfer id on the other side is another transfer.
      expect(await code(repo.insertItems(db, items(good, 1).map((i) => ({ ...i, role: 'DEPARTURE' as const }))))).toBe('23503');
      await repo.insertItems(db, items(good, 2));
      expect(await countItems(good)).toBe(2);
    });

    it('keeps a transfer with items from being deleted or re-keyed, and an item from moving to another transfer', async () => {
      const id = '6f1f8c2e-2b7b-4a3e-9d51-000000000603';
      const other = '6f1f8c2e-2b7b-4a3e-9d51-000000000604';
      await repo.insertTransfer(db, transfer(id));
      await repo.insertTransfer(db, transfer(other));
      await repo.insertItems(db, items(id, 2));
      expect(await code(db.query('DELETE FROM transfers WHERE id = $1', [id]))).toBe('23503');
      expect(await code(db.query(`UPDATE transfers SET id = '6f1f8c2e-2b7b-4a3e-9d51-000000000699' WHERE id = $1`, [id]))).toBe('23503');
      expect(await code(db.query(`UPDATE transfers SET role = 'DEPARTURE' WHERE id = $1`, [id]))).toBe('23503');
      expect(await code(db.query('UPDATE transfer_items SET transfer_id = $2 WHERE transfer_id = $1', [id, other]))).toBe('23503');
      expect(await countItems(id)).toBe(2);
      // Re-keying a transfer without items, and other updates of both tables, are not refused.
      expect(await code(db.query(`UPDATE transfers SET role = 'DEPARTURE' WHERE id = $1`, [other]))).toBe('no error');
      expect(await code(db.query(`UPDATE transfer_items SET state = 'FETCHED', transfer_id = transfer_id WHERE transfer_id = $1`, [id]))).toBe('no error');
      // What a deleted draft does (items first, then the transfer, in one transaction) still works.
      await db.transaction((tx) => repo.remove(tx, id, 'ARRIVAL'));
      expect((await db.query('SELECT 1 FROM transfers WHERE id = $1', [id])).rowCount).toBe(0);
    });
  });

  it('counts her transfers\' items in one statement, newest first, without reading any offer, and only hers', async () => {
    const id = (n: number) => `8b1f8c2e-2b7b-4a3e-9d51-${String(n).padStart(12, '0')}`;
    const items = (n: number, manual: number): TransferItemInput[] => Array.from({ length: n }, (_, i) => ({
      item_id: `item-${i}`, position: i, title: `Cours ${i}`, category: 'STOCKAGE_PARTAGE', state: i < manual ? 'AWAITING_MANUAL_DOWNLOAD' : 'IMPORTED',
    }));
    for (const [n, owner, count, manual] of [[1, 'claire', 3, 1], [2, 'claire', 0, 0], [3, 'paul', 2, 0]] as const) {
      await repo.insertTransfer(db, {
        id: id(n), role: 'ARRIVAL', state: 'DONE', owner_identity: owner, owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: { large: 'x'.repeat(1000) } as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000),
      }, undefined, items(count, manual));
      await db.query(`UPDATE transfers SET created_at = now() - ($2::int * interval '1 minute') WHERE id = $1`, [id(n), 10 - n]);
    }
    const statements: string[] = [];
    const counting = new TransferRepository({ ...db, kind: db.kind, query: (sql: string, params?: unknown[]) => (statements.push(sql), db.query(sql, params)) } as Database);
    const rows = await counting.summariesByOwner('ARRIVAL', 'claire');
    expect(statements).toHaveLength(1);
    expect(statements[0]).not.toMatch(/\boffer\b|\banswer\b|manifest_jws|SELECT \*/);
    expect(rows).toEqual([
      { id: id(2), state: 'DONE', created_at: expect.any(Date), departure_uai: '0750001A', arrival_uai: '0690002B', item_count: 0, awaiting_manual: 0 },
      { id: id(1), state: 'DONE', created_at: expect.any(Date), departure_uai: '0750001A', arrival_uai: '0690002B', item_count: 3, awaiting_manual: 1 },
    ]);
  });

  it('reads the items of many transfers in one statement, each in its order, and none of another role or transfer', async () => {
    const id = (n: number) => `9c2f8c2e-2b7b-4a3e-9d51-${String(n).padStart(12, '0')}`;
    const items = (n: number): TransferItemInput[] => Array.from({ length: n }, (_, i) => ({
      item_id: `item-${n - i}`, position: i, title: `Cours ${i}`, category: 'STOCKAGE_PARTAGE', state: 'IMPORTED',
    }));
    for (const [n, role, count] of [[1, 'ARRIVAL', 3], [2, 'ARRIVAL', 0], [3, 'ARRIVAL', 2], [1, 'DEPARTURE', 4]] as const) {
      await repo.insertTransfer(db, {
        id: id(n), role, state: 'DONE', owner_identity: 'lina', owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000),
      }, undefined, items(count));
    }
    const statements: string[] = [];
    const counting = new TransferRepository({ ...db, kind: db.kind, query: (sql: string, params?: unknown[]) => (statements.push(sql), db.query(sql, params)) } as Database);
    const byTransfer = await counting.itemsByTransfer(counting.db, [id(1), id(2)], 'ARRIVAL');
    expect(statements).toHaveLength(1);
    expect([...byTransfer.keys()]).toEqual([id(1), id(2)]);
    expect(byTransfer.get(id(1))!.map((i) => [i.item_id, i.position, i.role])).toEqual([['item-3', 0, 'ARRIVAL'], ['item-2', 1, 'ARRIVAL'], ['item-1', 2, 'ARRIVAL']]);
    expect(byTransfer.get(id(2))).toEqual([]);
    expect(await counting.itemsByTransfer(counting.db, [], 'ARRIVAL')).toEqual(new Map());
    expect(statements).toHaveLength(1);
  });

  it('lists her transfers for the API without their offer, manifest or receipt, saying whether a receipt was signed', async () => {
    const id = (n: number) => `ab3f8c2e-2b7b-4a3e-9d51-${String(n).padStart(12, '0')}`;
    const answer = { offerId: id(1), items: [{ itemId: 'item-0', decision: 'IMPORT', reasons: ['r'], losses: [] }] };
    for (const n of [1, 2]) {
      await repo.insertTransfer(db, {
        id: id(n), role: 'DEPARTURE', state: 'CLEANED', owner_identity: 'nora', owner_display_name: null, departure_ent_id: 'ent-a',
        departure_uai: '0750001A', arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: { large: 'x'.repeat(1000) } as never, offer_digest: 'd',
        expires_at: new Date(Date.now() + 3_600_000), answer: answer as never,
      } as never);
      await db.query(`UPDATE transfers SET created_at = now() - ($2::int * interval '1 minute'), manifest_jws = 'm.m.m', receipt_jws = $3 WHERE id = $1 AND role = 'DEPARTURE'`,
        [id(n), 10 - n, n === 1 ? 'r.r.r' : null]);
    }
    const statements: string[] = [];
    const counting = new TransferRepository({ ...db, kind: db.kind, query: (sql: string, params?: unknown[]) => (statements.push(sql), db.query(sql, params)) } as Database);
    const rows = await counting.listByOwner('DEPARTURE', 'nora');
    expect(statements).toHaveLength(1);
    expect(statements[0]).not.toMatch(/SELECT \*|\boffer\b,|manifest_jws,|\breceipt_jws,/);
    expect(rows.map((r) => [r.id, r.has_receipt, r.manifest_signed])).toEqual([[id(2), false, true], [id(1), true, true]]);
    for (const r of rows) {
      expect(r).not.toHaveProperty('offer');
      expect(r).not.toHaveProperty('manifest_jws');
      expect(r).not.toHaveProperty('receipt_jws');
      expect(r.answer).toEqual(answer);
    }
    const view = toTransferView(rows[1], []);
    expect(view).toMatchObject({ id: id(1), state: 'CLEANED', hasReceipt: true });
    expect(toTransferView(rows[0], []).hasReceipt).toBe(false);
  });
});
