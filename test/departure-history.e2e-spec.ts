import { createGatewayDatabases, sqlRows } from './support/gateway-db';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { bootStack, DEMO, entCall, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * Who may leave from ENT A once the académie has moved her (issue #15, README « Who may start a
 * transfer »), through the real OIDC login at idp-sim, on the test clock (ADR 011):
 * - henri.lefebvre, head teacher (PERDIR), attached to 0690002B since 1 September, whose
 *   `uai_history` still shows 0750001A: he moves his own administrative contents from A all the
 *   way to their import at ENT B, by the same path as a teacher (issue #13);
 * - nathalie.petit, teacher, the same identity facts: within DEPARTURE_HISTORY_GRACE_DAYS of her
 *   last day at A she may start a transfer; past it she is refused in French and nothing is created.
 *
 * Their history ends on 2026-08-31 (idp-sim). The test clock only runs ahead of the system time, so
 * the grace is set from today: the window closes GRACE_AHEAD_DAYS after the day this suite runs.
 */
jest.setTimeout(600_000);

const DAY = 86_400_000;
const HISTORY_END = Date.UTC(2026, 8, 1); // the attachment lasted through 2026-08-31
const GRACE_AHEAD_DAYS = 30;

describe('leaving from a school the directory no longer lists, through the real login', () => {
  let pg: ThrowawayPostgres;
  let env: StackSession;
  let urls: Record<string, string>;
  let windowEnd: number;

  beforeAll(async () => {
    const graceDays = Math.ceil((Date.now() - HISTORY_END) / DAY) + GRACE_AHEAD_DAYS;
    windowEnd = HISTORY_END + graceDays * DAY;
    pg = await startThrowawayPostgres();
    urls = await createGatewayDatabases(pg, ['history_a', 'history_b']);
    env = await bootStack('history', {
      testClock: true,
      databaseUrls: { a: urls.history_a, b: urls.history_b },
      env: { 'gateway-a': { DEPARTURE_HISTORY_GRACE_DAYS: String(graceDays) } },
    });
  });
  afterAll(async () => {
    await env?.close();
    await pg?.stop();
  });

  const sql = sqlRows;
  const countTransfers = async (url: string, owner: string) =>
    (await sql(url, 'SELECT count(*)::int AS n FROM transfers WHERE owner_identity = $1', [owner]))[0].n as number;
  const entB = (path: string, body?: unknown) => entCall(env.stack.urls.entB, DEMO.connectorTokenB, path, body);

  it('the head teacher (PERDIR) moves his administrative contents from his past school to their import at ENT B, each once', async () => {
    await env.stack.setClock(new Date(windowEnd - 2 * DAY));
    const henriA = await TeacherClient.login(env.stack.urls.gatewayA, 'henri.lefebvre', 'demo-henri');
    expect(await henriA.json('GET', '/api/me')).toMatchObject({ identity: 'henri.lefebvre', profiles: ['National_dir'], mayTransfer: true });
    const contents = (await henriA.json('GET', '/api/contents')).items as any[];
    // Her own administrative documents, and nobody else's.
    expect(contents.length).toBeGreaterThanOrEqual(3);
    expect(contents.map((c) => c.title)).toEqual(expect.arrayContaining([expect.stringContaining('Projet d’établissement'), expect.stringContaining('conseil d’administration')]));
    const itemIds = contents.map((c) => c.id as string);

    const draft = await henriA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds });
    const analysed = await henriA.json('POST', `/api/transfers/${draft.id}/analysis`);
    expect(analysed.items.map((i: any) => i.decision)).toEqual(itemIds.map(() => 'IMPORT'));
    await henriA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivered to ENT B', async () => (await henriA.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED', 180_000);
    // Her departure session ends; the move goes on without it.
    expect((await henriA.logout()).status).toBeLessThan(400);

    // She logs into ENT B (the ENT, not the gateway): §8.3's automatic import.
    expect((await entB('/sim/v1/logins', { userId: 'henri.lefebvre' })).delivered).toBe(true);
    const importedKeys = async () =>
      ((await entB('/connector/v1/users/henri.lefebvre/contents')).items as any[])
        .map((c) => c.importKey as string | undefined)
        .filter((k): k is string => Boolean(k?.startsWith(`${draft.id}:`)));
    await waitUntil('imported at ENT B', async () => (await importedKeys()).length === itemIds.length, 180_000);
    const henriB = await TeacherClient.login(env.stack.urls.gatewayB, 'henri.lefebvre', 'demo-henri');
    const received = await waitUntil('DONE at B', async () => {
      const t = await henriB.json('GET', `/api/received/${draft.id}`);
      return t.state === 'DONE' && t;
    }, 120_000);
    expect(received.items.map((i: any) => i.state)).toEqual(itemIds.map(() => 'IMPORTED'));
    // Each item exactly once at ENT B, with its title.
    const keys = await importedKeys();
    expect(keys.sort()).toEqual(itemIds.map((i) => `${draft.id}:${i}`).sort());
    const atB = ((await entB('/connector/v1/users/henri.lefebvre/contents')).items as any[]).filter((c) => c.importKey?.startsWith(`${draft.id}:`));
    expect(atB.map((c) => c.title).sort()).toEqual(contents.map((c) => c.title).sort());
    await waitUntil('departure cleaned', async () => (await sql(urls.history_a, `SELECT state FROM transfers WHERE id = $1 AND role = 'DEPARTURE'`, [draft.id]))[0]?.state === 'CLEANED', 120_000);
  });

  it('a teacher whose history shows the school may start a transfer within the grace, and is refused in French after it', async () => {
    // The day before the window closes: her current attachment is ENT B's school, her history shows A's.
    await env.stack.setClock(new Date(windowEnd - DAY + 3600_000));
    const before = await TeacherClient.login(env.stack.urls.gatewayA, 'nathalie.petit', 'demo-nathalie');
    expect(await before.json('GET', '/api/me')).toMatchObject({ identity: 'nathalie.petit', mayTransfer: true });
    const contents = (await before.json('GET', '/api/contents')).items as any[];
    expect(contents.length).toBeGreaterThan(0);
    const draft = await before.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [contents[0].id] });
    await before.json('POST', `/api/transfers/${draft.id}/analysis`);
    expect((await before.json('POST', `/api/transfers/${draft.id}/start`)).state).not.toBe('DRAFT');
    await waitUntil('delivered', async () => (await before.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED', 180_000);
    expect(await countTransfers(urls.history_a, 'nathalie.petit')).toBe(1);
    expect(await countTransfers(urls.history_b, 'nathalie.petit')).toBe(1);

    // The window closed (last day of the attachment + DEPARTURE_HISTORY_GRACE_DAYS): a fresh login
    // reads the same claims, and the departure refuses to create anything.
    await env.stack.setClock(new Date(windowEnd + 3600_000));
    const after = await TeacherClient.login(env.stack.urls.gatewayA, 'nathalie.petit', 'demo-nathalie');
    const refused = await after.request('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [contents[0].id] });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await refused.json()) as { detail: string };
    expect(problem.detail).toContain("Votre compte n'est rattaché, ni aujourd'hui ni récemment, à aucun établissement servi par cet ENT");
    expect(await countTransfers(urls.history_a, 'nathalie.petit')).toBe(1);
    expect(await countTransfers(urls.history_b, 'nathalie.petit')).toBe(1);
    expect((await after.json('GET', '/api/transfers')).items).toHaveLength(1);
  });
});
