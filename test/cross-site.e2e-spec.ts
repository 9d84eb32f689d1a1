import { createGatewayDatabases, GatewayDb } from './support/gateway-db';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { bootStack, DEMO, StackSession, TeacherClient } from './support/stack-session';

/*
 * Issue 14, finding 8: state-changing requests made with the teacher's cookies check where the
 * browser says they come from (Origin, Sec-Fetch-Site), on top of SameSite=Lax, which neither
 * covers a sibling site of the same registrable domain nor stops a `text/plain` POST. Logout needs
 * the session's anti-CSRF token. Before the fix, a `text/plain` POST with a foreign Origin started
 * a transfer and `POST /auth/logout` from a foreign origin answered 204.
 */
jest.setTimeout(300_000);

const EVIL = 'https://evil.example';
const SIBLING = 'https://autre.ent.example.fr';

describe('cross-site requests with the teacher\'s cookies are refused and change nothing (finding 8)', () => {
  let pg: ThrowawayPostgres;
  let env: StackSession;
  let db: GatewayDb;
  let marie: TeacherClient;
  let transferId: string;

  /** A request as a browser on another site would send it: the teacher's cookies, chosen headers. */
  const forged = (path: string, headers: Record<string, string>, body?: string) => {
    const url = `${env.stack.urls.gatewayA}${path}`;
    return fetch(url, { method: 'POST', redirect: 'manual', headers: { cookie: marie.jar.header(url), ...headers }, body });
  };

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    const urls = await createGatewayDatabases(pg, ['xs_a', 'xs_b']);
    env = await bootStack('cross-site', { databaseUrls: { a: urls.xs_a, b: urls.xs_b } });
    db = await GatewayDb.open(urls.xs_a);
    marie = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await marie.json('GET', '/api/contents')).items as any[];
    const draft = await marie.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [contents[0].id] });
    await marie.json('POST', `/api/transfers/${draft.id}/analysis`);
    transferId = draft.id;
  });

  afterAll(async () => {
    await db?.close();
    await env?.close();
    await pg?.stop();
  });

  it('refuses a text/plain POST to the teacher API from a foreign Origin, or marked same-site or cross-site; nothing starts', async () => {
    expect(await db.transferState(transferId, 'DEPARTURE')).toBe('ANSWERED');
    const eventsBefore = (await db.events(transferId, 'DEPARTURE')).length;
    for (const headers of <Record<string, string>[]>[
      { origin: EVIL, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      { origin: SIBLING, 'content-type': 'text/plain', 'sec-fetch-site': 'same-site' },
      { origin: 'null', 'content-type': 'text/plain' },
      { 'sec-fetch-site': 'same-site', 'content-type': 'text/plain' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await forged(`/api/transfers/${transferId}/start`, headers, '{}');
      expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as any).type).toBe('urn:ent-portability:problem:cross-site-request');
    }
    expect(await db.transferState(transferId, 'DEPARTURE')).toBe('ANSWERED');
    expect((await db.events(transferId, 'DEPARTURE')).length).toBe(eventsBefore);
  });

  it('refuses a UI form posted from another site with a French page, even with the right anti-CSRF token; the transfer is not cancelled', async () => {
    const page = await marie.request('GET', `/transferts/${transferId}`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    expect(csrf).toBeDefined();
    const res = await forged(`/transferts/${transferId}/annulation`, { origin: SIBLING, 'sec-fetch-site': 'same-site', 'content-type': 'application/x-www-form-urlencoded' }, `_csrf=${encodeURIComponent(csrf!)}`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('ne peut être déclenchée que depuis les pages du service');
    expect(await db.transferState(transferId, 'DEPARTURE')).toBe('ANSWERED');
    // The UI's own logout form from another site: the session survives.
    const out = await forged('/deconnexion', { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' }, `_csrf=${encodeURIComponent(csrf!)}`);
    expect(out.status).toBe(403);
    expect((await marie.request('GET', '/api/me')).status).toBe(200);
  });

  it('needs the anti-CSRF token to log out, and refuses a foreign Origin; the session survives both', async () => {
    const foreign = await forged('/auth/logout', { origin: EVIL });
    expect(foreign.status).toBe(403);
    expect((await marie.request('GET', '/api/me')).status).toBe(200);
    const noToken = await forged('/auth/logout', { origin: new URL(env.stack.urls.gatewayA).origin, 'sec-fetch-site': 'same-origin' });
    expect(noToken.status).toBe(403);
    expect((await marie.request('GET', '/api/me')).status).toBe(200);
  });

  it('lets the same origin, and a server client sending neither header, act as before; peer calls keep their token rules', async () => {
    const own = new URL(env.stack.urls.gatewayA).origin;
    const started = await forged(`/api/transfers/${transferId}/start`, { origin: own, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, '{}');
    expect(started.status).toBeLessThan(300);
    expect(['STAGING', 'DELIVERED', 'RECEIPTED', 'CLEANED']).toContain(await db.transferState(transferId, 'DEPARTURE'));
    // A script-less client (no Origin, no Sec-Fetch-Site): governed by its session as before.
    expect((await marie.request('GET', `/api/transfers/${transferId}`)).status).toBe(200);
    // The peer API is server to server: a stray Origin does not change its answer (401 without a token).
    const peer = await fetch(`${env.stack.urls.gatewayA}/portability/v1/offers`, { method: 'POST', headers: { origin: EVIL, 'content-type': 'application/json' }, body: '{}' });
    expect(peer.status).toBe(401);
    // Logout with the token works and ends the session.
    expect((await marie.logout()).status).toBe(204);
    expect((await marie.request('GET', '/api/me')).status).toBe(401);
  });
});
