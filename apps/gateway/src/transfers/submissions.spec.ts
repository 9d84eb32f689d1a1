import { migrate, openDatabase, type Database } from '@ent/persistence';
import { ProblemError } from '@ent/common';
import { Submissions } from './submissions';

describe('Submissions (one-time keys of forms and Idempotency-Key, PGlite)', () => {
  let db: Database;
  let submissions: Submissions;
  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db);
    submissions = new Submissions(db);
  });
  afterAll(() => db.close());

  it('the first claim goes ahead; its twin gets what the first recorded', async () => {
    const s = { owner: 'marie', key: 'k-1', scope: 'api:create', request: { arrivalUai: '0690002B', itemIds: ['a'] } };
    await expect(submissions.claim(db, s, 'transfer-1')).resolves.toEqual({ first: true });
    await expect(submissions.claim(db, s, 'transfer-2')).resolves.toEqual({ first: false, resourceId: 'transfer-1' });
  });

  it('the same key with another request, or for another purpose, is refused (422) and records nothing', async () => {
    const s = { owner: 'marie', key: 'k-2', scope: 'api:create', request: { itemIds: ['a'] } };
    await submissions.claim(db, s);
    await expect(submissions.claim(db, { ...s, request: { itemIds: ['b'] } })).rejects.toMatchObject({ status: 422 });
    await expect(submissions.claim(db, { ...s, scope: 'ui:/transferts/x/envoi' })).rejects.toBeInstanceOf(ProblemError);
    expect((await db.query('SELECT 1 FROM submissions WHERE key = $1', ['k-2'])).rowCount).toBe(1);
  });

  it('keys are per owner: another teacher with the same key is another submission', async () => {
    const s = { owner: 'marie', key: 'k-3', scope: 'ui:create', request: {} };
    await submissions.claim(db, s);
    await expect(submissions.claim(db, { ...s, owner: 'paul' })).resolves.toEqual({ first: true });
  });

  it('once() runs the action once; a failed action frees the key for a retry', async () => {
    let runs = 0;
    const s = { owner: 'marie', key: 'k-4', scope: 'ui:/transferts/x/envoi', request: {} };
    expect(await submissions.once(s, async () => void runs++)).toBe(true);
    expect(await submissions.once(s, async () => void runs++)).toBe(false);
    expect(runs).toBe(1);
    const failing = { ...s, key: 'k-5' };
    await expect(submissions.once(failing, async () => { throw new Error('peer down'); })).rejects.toThrow('peer down');
    expect(await submissions.once(failing, async () => void runs++)).toBe(true);
    expect(runs).toBe(2);
  });

  it('refuses a key that is empty, too long or not visible ASCII', async () => {
    for (const key of ['', 'x'.repeat(256), 'clé', 'a b']) {
      await expect(submissions.claim(db, { owner: 'marie', key, scope: 'api:create', request: {} })).rejects.toMatchObject({ status: 400 });
    }
  });

  it('forgets her keys older than a week', async () => {
    await db.query(`INSERT INTO submissions (owner_identity, key, scope, request_digest, created_at) VALUES ('lucas', 'old', 'ui:create', 'd', now() - interval '8 days')`);
    await submissions.claim(db, { owner: 'lucas', key: 'new', scope: 'ui:create', request: {} });
    expect((await db.query(`SELECT key FROM submissions WHERE owner_identity = 'lucas'`)).rows).toEqual([{ key: 'new' }]);
  });
});
