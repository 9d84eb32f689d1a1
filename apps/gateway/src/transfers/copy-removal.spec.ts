import { migrate, openDatabase, type Database, type JobRow } from '@ent/persistence';
// The services' module graph reaches jose (ESM only, which this CommonJS test runner cannot load);
// nothing here verifies a token.
jest.mock('jose', () => ({ errors: {} }));
import type { ObjectStore } from '@ent/storage';
import { ArrivalService } from './arrival.service';
import { COPY_REMOVAL_DELAY_MS, COPY_REMOVAL_MAX_ATTEMPTS, type CopyRemovalPayload } from './copy-removal';
import { DepartureService } from './departure.service';
import { TransferRepository, type TransferItemInput } from './transfer.repository';
import { UploadCheckpoints } from './upload-checkpoints';

/**
 * A transfer's copies in S3 go when she erases or cancels, when the offer expires. The state
 * change commits first; S3 is not in the transaction. Before, an S3 error (or a crash) at that
 * moment left the copies for ever: the request answered 500 though the transfer already said
 * ERASED, and the job retried found the state changed and removed nothing. Now the decision
 * enqueues a removal job in its own transaction, and the caller's immediate removal marks it done.
 */
describe('copies removed whatever fails when they are to go (PGlite)', () => {
  let db: Database;
  let repo: TransferRepository;
  const now = new Date('2027-07-10T08:00:00Z');
  const clock = { now: () => now };
  const owner = 'marie.dupont';
  const user = { identity: owner, sub: owner, displayName: 'Marie Dupont', profiles: ['National_ens'], uais: ['0690002B'] };

  /** An S3 that holds keys in memory and refuses deletes while `down`. */
  class Store {
    keys = new Set<string>();
    down = false;
    async removePrefix(prefix: string): Promise<number> {
      if (this.down) throw new Error('S3 unavailable: 503 on DeleteObjects');
      const gone = [...this.keys].filter((k) => k.startsWith(prefix));
      gone.forEach((k) => this.keys.delete(k));
      return gone.length;
    }
    under(prefix: string) {
      return [...this.keys].filter((k) => k.startsWith(prefix));
    }
  }
  let store: Store;
  let arrival: ArrivalService;
  let departure: DepartureService;

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db);
    repo = new TransferRepository(db);
  });
  beforeEach(() => {
    store = new Store();
    const checkpoints = new UploadCheckpoints(db, store as unknown as ObjectStore, clock);
    const unused = undefined as never;
    const wake = { wake: () => undefined } as never;
    arrival = new ArrivalService(
      repo, unused, unused, unused, unused, unused, wake, checkpoints, unused, unused, unused, store as unknown as ObjectStore,
      { convertersEnabled: [] } as never, clock,
    );
    departure = new DepartureService(repo, unused, unused, unused, unused, wake, checkpoints, unused, unused, store as unknown as ObjectStore, {} as never, clock);
  });
  afterAll(() => db.close());

  let n = 0;
  const insert = async (role: 'ARRIVAL' | 'DEPARTURE', state: string) => {
    const id = `5c0e7a44-91d2-4f1e-8a7b-${String(++n).padStart(12, '0')}`;
    const item: TransferItemInput = {
      item_id: 'cours-1', position: 0, title: 'Cours 1', category: 'STOCKAGE_PARTAGE', state: role === 'ARRIVAL' ? 'AWAITING_MANUAL_DOWNLOAD' : 'STAGED',
      decision: 'MANUAL', source_format: 'binary', target_format: 'binary', media_type: 'application/pdf', declared_size: 10,
    };
    await repo.insertTransfer(db, {
      id, role, state, owner_identity: owner, owner_display_name: null, departure_ent_id: 'ent-a', departure_uai: '0750001A',
      arrival_ent_id: 'ent-b', arrival_uai: '0690002B', offer: {} as never, offer_digest: 'd', expires_at: new Date(now.getTime() - 1000),
    }, undefined, [item]);
    const side = role === 'ARRIVAL' ? 'arrival' : 'departure';
    store.keys.add(`${side}/${id}/cours-1/content`);
    store.keys.add(`${side}/${id}/cours-1/metadata`);
    store.keys.add(`${side}/other-transfer/cours-1/content`);
    return id;
  };
  const removalJob = async (id: string) =>
    (await db.query<JobRow<CopyRemovalPayload> & { state: string; run_at: Date; completed_by: string | null; max_attempts: number }>(
      `SELECT id, kind, dedupe_key, payload, attempts, max_attempts, state, run_at, completed_by FROM jobs WHERE payload->>'transferId' = $1 AND kind LIKE '%remove-%'`, [id])).rows;
  const deletions = async (id: string, role: string, type: string) =>
    (await db.query<{ data: { reason: string; removed: number } }>(`SELECT data FROM transfer_events WHERE transfer_id = $1 AND role = $2 AND type = $3 ORDER BY seq`, [id, role, type])).rows.map((r) => r.data);

  it('she erases while S3 refuses deletes: she is answered, and the job removes her copies once S3 is back', async () => {
    const id = await insert('ARRIVAL', 'DONE');
    store.down = true;
    const erased = await arrival.erase(user as never, id);
    expect(erased.state).toBe('ERASED');
    expect(store.under(`arrival/${id}/`)).toHaveLength(2);
    const [job] = await removalJob(id);
    expect(job).toMatchObject({ kind: 'arrival.remove-received', state: 'PENDING', completed_by: null, payload: { transferId: id, reason: 'erased-by-owner' } });
    expect(new Date(job.run_at).getTime()).toBe(now.getTime() + COPY_REMOVAL_DELAY_MS);
    expect(job.max_attempts).toBe(COPY_REMOVAL_MAX_ATTEMPTS);
    expect(await deletions(id, 'ARRIVAL', 'RECEIVED_COPIES_DELETED')).toEqual([]);

    // Its job, while S3 still refuses, fails (and is retried with backoff); then S3 answers.
    await expect(arrival.removeReceivedJob(job)).rejects.toThrow(/S3 unavailable/);
    store.down = false;
    await arrival.removeReceivedJob(job);
    expect(store.under(`arrival/${id}/`)).toEqual([]);
    expect(store.under('arrival/other-transfer/')).toHaveLength(1);
    expect(await deletions(id, 'ARRIVAL', 'RECEIVED_COPIES_DELETED')).toEqual([{ removed: 2, reason: 'erased-by-owner' }]);
  });

  it('removes at once when S3 answers, and marks the job done so that it never runs', async () => {
    const id = await insert('ARRIVAL', 'PARTIAL');
    await arrival.erase(user as never, id);
    expect(store.under(`arrival/${id}/`)).toEqual([]);
    expect(await removalJob(id)).toEqual([expect.objectContaining({ state: 'DONE', completed_by: 'caller' })]);
    expect(await deletions(id, 'ARRIVAL', 'RECEIVED_COPIES_DELETED')).toEqual([{ removed: 2, reason: 'erased-by-owner' }]);
  });

  it('the owner never came and S3 refused at that moment: the retried deadline job finds the state changed, the removal job still removes', async () => {
    const id = await insert('ARRIVAL', 'AWAITING_OWNER');
    store.down = true;
    const deadline = { id: 1, kind: 'arrival.owner-deadline', dedupe_key: `owner-deadline:${id}`, payload: { transferId: id }, attempts: 1, max_attempts: null };
    await arrival.ownerDeadline(deadline);
    await arrival.ownerDeadline({ ...deadline, attempts: 2 });
    expect((await repo.head(db, id, 'ARRIVAL'))?.state).toBe('EXPIRED');
    expect(store.under(`arrival/${id}/`)).toHaveLength(2);
    store.down = false;
    const [job] = await removalJob(id);
    expect(job).toMatchObject({ state: 'PENDING', payload: { reason: 'owner-never-came' } });
    await arrival.removeReceivedJob(job);
    expect(store.under(`arrival/${id}/`)).toEqual([]);
  });

  it("the departure's offer expires while S3 refuses: the staged copies still go, by their job", async () => {
    const id = await insert('DEPARTURE', 'DELIVERED');
    store.down = true;
    const expiry = { id: 2, kind: 'departure.expire', dedupe_key: `expire:${id}`, payload: { transferId: id }, attempts: 1, max_attempts: null };
    await departure.expire(expiry);
    // Retried, it finds the transfer expired and does nothing more: the removal is its job's.
    await departure.expire({ ...expiry, attempts: 2 });
    expect((await repo.head(db, id, 'DEPARTURE'))?.state).toBe('EXPIRED');
    expect(store.under(`departure/${id}/`)).toHaveLength(2);
    const [job] = await removalJob(id);
    expect(job).toMatchObject({ kind: 'departure.remove-staged', state: 'PENDING', payload: { transferId: id, reason: 'expired' } });
    store.down = false;
    await departure.removeStagedJob(job);
    expect(store.under(`departure/${id}/`)).toEqual([]);
    expect(await deletions(id, 'DEPARTURE', 'STAGED_OBJECTS_DELETED')).toEqual([{ removed: 2, reason: 'expired' }]);
  });

  it('a removal job that a worker already holds records the removal itself, never twice', async () => {
    const id = await insert('ARRIVAL', 'DONE');
    store.down = true;
    await arrival.erase(user as never, id);
    const [job] = await removalJob(id);
    // A worker took the job (its delay passed) while the request was still trying.
    await db.query(`UPDATE jobs SET state = 'RUNNING', locked_by = 'w' WHERE id = $1`, [job.id]);
    store.down = false;
    await arrival.removeReceivedJob(job);
    await (arrival as unknown as { removeCopies(p: CopyRemovalPayload, key: string): Promise<void> }).removeCopies(job.payload, job.dedupe_key);
    expect(await deletions(id, 'ARRIVAL', 'RECEIVED_COPIES_DELETED')).toEqual([{ removed: 2, reason: 'erased-by-owner' }]);
  });

  it('an object fetched after its offer expired goes with the rest, even when S3 refused at that moment', async () => {
    const id = await insert('ARRIVAL', 'FETCHING');
    await db.query(`UPDATE transfer_items SET state = 'TO_FETCH' WHERE transfer_id = $1 AND role = 'ARRIVAL'`, [id]);
    const key = `arrival/${id}/cours-1/content`;
    store.keys.delete(key);
    // The offer expires while the object is on its way; S3 then refuses deletes, as it did for the expiry's removal.
    const fetching = Object.assign(store, {
      async putResumable(k: string) {
        store.keys.add(k);
        await db.query(`UPDATE transfers SET state = 'FAILED' WHERE id = $1 AND role = 'ARRIVAL'`, [id]);
        store.down = true;
        return { resumedFrom: 0, sizeBytes: 10, sha256: 'a'.repeat(64) };
      },
      async remove(k: string) {
        if (store.down) throw new Error('S3 unavailable: 503 on DeleteObject');
        store.keys.delete(k);
      },
    });
    const ok = async () => undefined;
    const service = new ArrivalService(
      repo, undefined as never, { byEntId: (entId: string) => ({ entId }) } as never, undefined as never, undefined as never, undefined as never,
      { wake: () => undefined } as never, new UploadCheckpoints(db, fetching as unknown as ObjectStore, clock),
      { fetchedBytes: ok, fetchEnded: ok, outboundError: ok } as never, undefined as never,
      { slowedUntil: ok, succeeded: ok, failed: ok } as never, fetching as unknown as ObjectStore, { convertersEnabled: [], fetchMaxBytesPerSecond: 0 } as never, clock,
    );
    const payload = { transferId: id, itemId: 'cours-1', role: 'content' as const, contentUrl: 'https://gw-a.example/o', sizeBytes: 10, sha256: 'a'.repeat(64), mediaType: 'application/pdf' };
    await service.fetchObject({ id: 3, kind: 'arrival.fetch-object', dedupe_key: `fetch:${id}`, payload, attempts: 1, max_attempts: null });
    expect(store.under(`arrival/${id}/`)).toContain(key);
    const [job] = await removalJob(id);
    expect(job).toMatchObject({ kind: 'arrival.remove-received', state: 'PENDING', payload: { transferId: id, reason: 'fetched-after-stop:cours-1:content' } });
    store.down = false;
    await service.removeReceivedJob(job);
    expect(store.under(`arrival/${id}/`)).toEqual([]);
  });
});
