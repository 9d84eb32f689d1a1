import { createGatewayDatabases, GatewayDb, sqlRows } from './support/gateway-db';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { s3Client } from './support/s3';
import { bootStack, clientCredentialsToken, DEMO, entCall, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * A real move spans a summer (issue #15, ADR 011). The gateways run on the test clock (a preload
 * module and an IPC channel from this harness; production has neither) and the stack walks the
 * calendar: requests on 1 July, departure accounts closed on 31 August, arrival accounts created
 * on 28 August or 15 September, first logins to ENT B in September — and one teacher who only
 * comes in November, after the departure's own deadline. Real HTTP, real Postgres, real S3.
 */
jest.setTimeout(900_000);

const at = (iso: string) => new Date(iso);
const DAY = 24 * 3600 * 1000;

describe('a summer-long move', () => {
  let pg: ThrowawayPostgres;
  let env: StackSession;
  let dbA: GatewayDb;
  let dbB: GatewayDb;
  let urls: Record<string, string>;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    urls = await createGatewayDatabases(pg, ['summer_a', 'summer_b']);
    const fast = { JOB_BACKOFF_BASE_MS: '200', JOB_BACKOFF_MAX_MS: '2000' };
    env = await bootStack('summer', {
      testClock: true,
      databaseUrls: { a: urls.summer_a, b: urls.summer_b },
      // ENT B knows only its own staff: the teachers arriving get their accounts during the summer.
      env: { 'gateway-a': fast, 'gateway-b': fast, 'ent-sim-b': { ENT_SIM_ACCOUNTS: JSON.stringify(['paul.martin']) } },
    });
    dbA = await GatewayDb.open(urls.summer_a);
    dbB = await GatewayDb.open(urls.summer_b);
  });

  afterAll(async () => {
    await dbA?.close();
    await dbB?.close();
    await env?.close();
    await pg?.stop();
  });

  const sql = sqlRows;
  const entB = (path: string, body?: unknown) => entCall(env.stack.urls.entB, DEMO.connectorTokenB, path, body);
  /** What ENT B holds for a teacher that came from a given transfer (import key `transfer:item`). */
  const importedAtB = async (user: string, transferId: string): Promise<string[]> =>
    ((await entB(`/connector/v1/users/${user}/contents`)).items as any[])
      .map((c) => c.importKey as string | undefined)
      .filter((k): k is string => Boolean(k?.startsWith(`${transferId}:`)));
  const objects = async (bucket: string, prefix: string) => {
    const keys: string[] = [];
    for await (const o of s3Client(env.s3).listObjectsV2(bucket, prefix, true)) if (o.name) keys.push(o.name);
    return keys;
  };
  const page = async (client: TeacherClient, path: string) => {
    const res = await client.request('GET', path);
    expect(res.status).toBe(200);
    // One line per sentence; non-breaking spaces as plain ones, for the assertions.
    return (await res.text()).replace(/\u202f|\u00a0/g, ' ');
  };
  const prepare = async (client: TeacherClient, categories: string[]) => {
    const contents = (await client.json('GET', '/api/contents')).items as any[];
    const itemIds = contents.filter((c) => categories.includes(c.category)).map((c) => c.id as string);
    const draft = await client.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds });
    const answered = await client.json('POST', `/api/transfers/${draft.id}/analysis`);
    return { id: draft.id as string, itemIds, answered };
  };

  it('imports every item exactly once across the summer, tells her every date, and forgets what she withdraws or erases', async () => {
    // ---------------------------------------------------------------- 1 July: the requests
    await env.stack.setClock(at('2027-07-01T08:00:00Z'));
    const marieA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const lucasA = await TeacherClient.login(env.stack.urls.gatewayA, 'lucas.moreau', 'demo-lucas');
    const claireA = await TeacherClient.login(env.stack.urls.gatewayA, 'claire.bernard', 'demo-claire');

    const marie = await prepare(marieA, ['PARCOURS_PEDAGOGIQUE', 'STOCKAGE_PARTAGE', 'COURRIER_ELECTRONIQUE']);
    expect(marie.itemIds).toHaveLength(3);
    // Lifetimes for the calendar: the departure keeps her data until 1 November (123 days), the
    // arrival waits for her until 31 December (183 days) and keeps its copies 90 days after.
    // (The test clock runs on from 08:00 at the normal pace: the hour is what is checked.)
    expect(marie.answered.expiresAt.slice(0, 13)).toBe('2027-11-01T08');
    expect(marie.answered.arrivalRetention.awaitsOwnerUntil.slice(0, 13)).toBe('2027-12-31T08');
    expect(marie.answered.arrivalRetention.keepsReceivedCopiesDays).toBe(90);
    // Before she confirms: what crosses, to which ENT, how long each side keeps it — in French.
    const before = await page(marieA, `/transferts/${marie.id}`);
    expect(before).toContain('3 contenus seront envoyés à l’ENT de votre nouvel établissement (Établissement 0690002B)');
    expect(before).toContain('au plus tard jusqu’au 1 novembre 2027');
    expect(before).toContain('vos contenus vous attendront jusqu’au 31 décembre 2027');
    expect(before).toContain('90 jours');

    const lucas = await prepare(lucasA, ['PARCOURS_PEDAGOGIQUE', 'STOCKAGE_PARTAGE']);
    expect(lucas.itemIds).toHaveLength(2);

    // The head teacher (PERDIR) follows the same path. She changes her mind and cancels
    // before the delivery: nothing of it stays on either side.
    const withdrawn = await prepare(claireA, ['STOCKAGE_PARTAGE']);
    expect(await dbB.transferState(withdrawn.id, 'ARRIVAL')).toBe('ANSWERED');
    const cancelled = await claireA.json('POST', `/api/transfers/${withdrawn.id}/cancel`);
    expect(cancelled.state).toBe('CANCELLED');
    expect(cancelled.items).toEqual([]);
    expect(await dbB.transferState(withdrawn.id, 'ARRIVAL')).toBe('CANCELLED');
    for (const url of [urls.summer_a, urls.summer_b]) {
      expect(await sql(url, 'SELECT item_id FROM transfer_items WHERE transfer_id = $1', [withdrawn.id])).toEqual([]);
      expect(await sql(url, `SELECT offer, answer, manifest_jws FROM transfers WHERE id = $1`, [withdrawn.id])).toEqual([{ offer: {}, answer: null, manifest_jws: null }]);
    }
    expect(await objects(env.buckets.a, `departure/${withdrawn.id}/`)).toEqual([]);
    expect(await objects(env.buckets.b, `arrival/${withdrawn.id}/`)).toEqual([]);
    // A cancelled transfer can be cancelled again (idempotent) but not started.
    expect((await claireA.json('POST', `/api/transfers/${withdrawn.id}/cancel`)).state).toBe('CANCELLED');
    expect((await claireA.request('POST', `/api/transfers/${withdrawn.id}/start`)).status).toBe(409);
    // Withdrawn content may go again, in a new transfer.
    const claire = await prepare(claireA, ['STOCKAGE_PARTAGE']);

    for (const [client, t] of [[marieA, marie], [lucasA, lucas], [claireA, claire]] as const) {
      await client.json('POST', `/api/transfers/${t.id}/start`);
    }
    for (const t of [marie, lucas, claire]) {
      await waitUntil(`${t.id} delivered and fetched`, async () =>
        (await dbA.transferState(t.id, 'DEPARTURE')) === 'DELIVERED' && (await dbB.transferState(t.id, 'ARRIVAL')) === 'AWAITING_OWNER', 180_000);
    }
    // Once on its way, a content cannot be sent again: a second transfer would import it twice.
    const again = await marieA.request('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [marie.itemIds[0]] });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { detail: string }).detail).toContain('fait déjà partie d');
    expect((await sql(urls.summer_a, `SELECT count(*)::int AS n FROM transfers WHERE role = 'DEPARTURE' AND owner_identity = 'marie.dupont'`))[0].n).toBe(1);

    // ---------------------------------------------------------------- 28 August: marie's account at B
    await env.stack.setClock(at('2027-08-28T09:00:00Z'));
    expect((await entB('/sim/v1/accounts', { userId: 'marie.dupont', uais: [DEMO.uaiB] })).created).toBe(true);
    // Her account exists, but §8.3 imports when she logs in: nothing yet.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await dbB.transferState(marie.id, 'ARRIVAL')).toBe('AWAITING_OWNER');
    expect(await importedAtB('marie.dupont', marie.id)).toEqual([]);

    // ---------------------------------------------------------------- 31 August: departure accounts closed
    await env.stack.setClock(at('2027-08-31T18:00:00Z'));
    for (const client of [marieA, lucasA, claireA]) expect((await client.logout()).status).toBeLessThan(400);
    expect((await marieA.request('GET', '/api/transfers')).status).toBe(401);

    // ---------------------------------------------------------------- 3 September: first login to ENT B
    await env.stack.setClock(at('2027-09-03T07:30:00Z'));
    expect((await entB('/sim/v1/logins', { userId: 'marie.dupont' })).delivered).toBe(true);
    await waitUntil('marie imported and the departure cleaned', async () =>
      (await dbB.transferState(marie.id, 'ARRIVAL')) === 'DONE' && (await dbA.transferState(marie.id, 'DEPARTURE')) === 'CLEANED', 180_000);
    const marieKeys = await importedAtB('marie.dupont', marie.id);
    expect(marieKeys.sort()).toEqual(marie.itemIds.filter((i) => !i.includes('courrier')).map((i) => `${marie.id}:${i}`).sort());
    expect(await objects(env.buckets.a, `departure/${marie.id}/`)).toEqual([]);
    const marieEventsB = await dbB.events(marie.id, 'ARRIVAL');
    expect(marieEventsB.filter((e) => e.type === 'ITEM_IMPORTED')).toHaveLength(2);
    expect(marieEventsB.map((e) => e.type)).toContain('OWNER_LOGGED_IN_ENT');

    // Lucas logs into the gateway of his new school through the Guichet Agents, but ENT B has
    // no account for him yet: his contents wait, they are never failed for that.
    const lucasB = await TeacherClient.login(env.stack.urls.gatewayB, 'lucas.moreau', 'demo-lucas');
    await waitUntil('lucas waiting for his account', async () => (await dbB.transferState(lucas.id, 'ARRIVAL')) === 'AWAITING_ACCOUNT', 120_000);
    const waiting = await lucasB.json('GET', `/api/received/${lucas.id}`);
    expect(waiting.items.every((i: any) => i.state === 'FETCHED')).toBe(true);
    const waitingPage = await page(lucasB, `/recus/${lucas.id}`);
    expect(waitingPage).toContain('Vos contenus vous attendront jusqu’au 31 décembre 2027.');
    expect(waitingPage).toContain('existe pas encore');

    const marieB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const donePage = await page(marieB, `/recus/${marie.id}`);
    // Completed on 3 September: its copies are kept 90 days, until 2 December.
    expect(donePage).toContain('conservées jusqu’au 2 décembre 2027');

    // ---------------------------------------------------------------- 15 September: lucas's account at B
    await env.stack.setClock(at('2027-09-15T08:00:00Z'));
    await entB('/sim/v1/accounts', { userId: 'lucas.moreau', uais: [DEMO.uaiB] });
    await waitUntil('lucas imported and the departure cleaned', async () =>
      (await dbB.transferState(lucas.id, 'ARRIVAL')) === 'DONE' && (await dbA.transferState(lucas.id, 'DEPARTURE')) === 'CLEANED', 180_000);
    expect((await importedAtB('lucas.moreau', lucas.id)).sort()).toEqual(lucas.itemIds.map((i) => `${lucas.id}:${i}`).sort());
    const lucasEvents = (await dbB.events(lucas.id, 'ARRIVAL')).map((e) => e.type);
    expect(lucasEvents).toEqual(expect.arrayContaining(['ACCOUNT_NOT_FOUND', 'ACCOUNT_APPEARED']));
    expect(lucasEvents.filter((t) => t === 'ITEM_IMPORTED')).toHaveLength(2);
    expect(lucasEvents).not.toContain('ITEM_IMPORT_FAILED');

    // ---------------------------------------------------------------- 2 November: past the departure's deadline
    await env.stack.setClock(at('2027-11-02T08:00:00Z'));
    await waitUntil('claire expired at the departure', async () => (await dbA.transferState(claire.id, 'DEPARTURE')) === 'EXPIRED', 120_000);
    await waitUntil('staged copies deleted', async () => (await objects(env.buckets.a, `departure/${claire.id}/`)).length === 0, 60_000);
    // The arrival took the delivery in July: her content waits there, on its own deadline.
    expect(await dbB.transferState(claire.id, 'ARRIVAL')).toBe('AWAITING_OWNER');

    // ---------------------------------------------------------------- 20 November: claire comes, late
    await env.stack.setClock(at('2027-11-20T08:00:00Z'));
    await entB('/sim/v1/accounts', { userId: 'claire.bernard', uais: [DEMO.uaiB] });
    await entB('/sim/v1/logins', { userId: 'claire.bernard' });
    await waitUntil('claire imported; the late receipt accepted', async () =>
      (await dbB.transferState(claire.id, 'ARRIVAL')) === 'DONE' && (await dbA.transferState(claire.id, 'DEPARTURE')) === 'CLEANED', 180_000);
    expect((await dbA.events(claire.id, 'DEPARTURE')).map((e) => e.type)).toContain('LATE_RECEIPT_RECEIVED');
    expect((await dbB.events(claire.id, 'ARRIVAL')).map((e) => e.type)).toContain('RECEIPT_SENT');
    expect(await importedAtB('claire.bernard', claire.id)).toEqual([`${claire.id}:${claire.itemIds[0]}`]);
    // The same receipt again is answered 200 and changes nothing (idempotent), never a 500.
    const [{ receipt_jws }] = await sql(urls.summer_b, `SELECT receipt_jws FROM transfers WHERE id = $1 AND role = 'ARRIVAL'`, [claire.id]);
    const token = await clientCredentialsToken(env.stack.urls.idp, DEMO.clientB, env.stack.urls.gatewayA, 'portability:receipt');
    const replay = await fetch(`${env.stack.urls.gatewayA}/portability/v1/transfers/${claire.id}/receipt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ receipt: receipt_jws }),
    });
    expect(replay.status).toBe(200);
    expect(await dbA.transferState(claire.id, 'DEPARTURE')).toBe('CLEANED');

    // ---------------------------------------------------------------- her rights: erase what she received
    const marieB2 = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    expect((await objects(env.buckets.b, `arrival/${marie.id}/`)).length).toBeGreaterThan(0);
    const erased = await marieB2.json('POST', `/api/received/${marie.id}/erase`);
    expect(erased.state).toBe('ERASED');
    expect(await objects(env.buckets.b, `arrival/${marie.id}/`)).toEqual([]);
    expect(await sql(urls.summer_b, 'SELECT item_id FROM transfer_items WHERE transfer_id = $1', [marie.id])).toEqual([]);
    expect(await sql(urls.summer_b, `SELECT offer, owner_display_name FROM transfers WHERE id = $1`, [marie.id])).toEqual([{ offer: {}, owner_display_name: null }]);
    // What was imported into ENT B is hers there, not ours to delete.
    expect(await importedAtB('marie.dupont', marie.id)).toHaveLength(2);
    expect((await marieB2.request('GET', `/api/received/${marie.id}/items/${marie.itemIds[2]}/download`)).status).toBe(404);

    // ---------------------------------------------------------------- retention: lucas's copies go after 90 days
    const lucasRetain = new Date((await lucasB.json('GET', `/api/received/${lucas.id}`)).retainUntil);
    expect(lucasRetain.getTime()).toBeGreaterThan(at('2027-09-15T08:00:00Z').getTime() + 90 * DAY - 60_000);
    expect((await objects(env.buckets.b, `arrival/${lucas.id}/`)).length).toBeGreaterThan(0);
    await env.stack.setClock(new Date(lucasRetain.getTime() + 60_000));
    await waitUntil('lucas copies deleted after the retention', async () => (await objects(env.buckets.b, `arrival/${lucas.id}/`)).length === 0, 120_000);
    expect((await dbB.events(lucas.id, 'ARRIVAL')).map((e) => e.type)).toContain('RECEIVED_COPIES_DELETED');
  });
});
