import { GatewayDb, createGatewayDatabases } from './support/gateway-db';
import { FlakyProxy } from './support/flaky-proxy';
import { freePort } from './support/ports';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * Gateway B sits behind a reverse proxy (its public URL is the proxy's). The
 * proxy answers 503 to deliveries for a while: the departure retries with
 * backoff by itself and the transfer completes once B is back.
 */
jest.setTimeout(300_000);

describe('a peer that answers 503 for a while, then recovers', () => {
  let pg: ThrowawayPostgres;
  let env: StackSession;
  let proxy: FlakyProxy;
  let urls: Record<string, string>;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    urls = await createGatewayDatabases(pg, ['out_a', 'out_b']);
    proxy = new FlakyProxy();
    await proxy.start();
    const portB = await freePort();
    proxy.target = { host: '127.0.0.1', port: portB };
    const fast = { JOB_BACKOFF_BASE_MS: '200', JOB_BACKOFF_MAX_MS: '1000', JOB_MAX_ATTEMPTS: '50', JOB_POLL_MS: '100' };
    env = await bootStack('outage', {
      databaseUrls: { a: urls.out_a, b: urls.out_b },
      env: {
        'gateway-b': fast,
        'gateway-a': fast,
      },
      publicUrls: { b: proxy.url },
      ports: { gatewayB: portB },
    });

  });

  afterAll(async () => {
    await env?.close();
    await proxy?.stop();
    await pg?.stop();
  });

  it('retries the delivery with backoff while the peer answers 503, then completes', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await atA.json('GET', '/api/contents')).items as any[];
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id] });
    expect((await atA.json('POST', `/api/transfers/${draft.id}/analysis`)).state).toBe('ANSWERED');

    proxy.failing = { pattern: /\/deliveries$/, status: 503 };
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    const dbA = await GatewayDb.open(urls.out_a);
    try {
      await waitUntil('three refused delivery attempts', async () => proxy.seen.filter((s) => s.status === 503).length >= 3, 60_000);
      expect(await dbA.transferState(draft.id, 'DEPARTURE')).toBe('STAGING');
      const [job] = await dbA.jobs(`deliver:${draft.id}`);
      expect(job.state).not.toBe('FAILED');

      proxy.failing = undefined; // B is back
      await waitUntil('delivered', async () => (await dbA.transferState(draft.id, 'DEPARTURE')) === 'DELIVERED', 60_000);
      await TeacherClient.login(proxy.url, 'marie.dupont', 'demo-marie');
      await waitUntil('cleaned', async () => (await dbA.transferState(draft.id, 'DEPARTURE')) === 'CLEANED', 60_000);
      const [done] = await dbA.jobs(`deliver:${draft.id}`);
      expect(done.state).toBe('DONE');
      expect(done.attempts).toBeGreaterThanOrEqual(4);
      const deliveries = proxy.seen.filter((s) => /\/deliveries$/.test(s.path));
      expect(deliveries.filter((s) => s.status === 202)).toHaveLength(1);
    } finally {
      await dbA.close();
    }
  });

  // She cancels while the offer is still on its way: the arrival, asked to withdraw it, has not
  // recorded it yet (404: nothing to withdraw). The offer then reaches it and is answered. Without
  // a second withdrawal it waited there for her, for nothing, until it expired.
  it('withdraws at the arrival an offer that reached it after she cancelled', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await atA.json('GET', '/api/contents')).items as any[];
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id] });
    const dbB = await GatewayDb.open(urls.out_b);
    try {
      const heldBefore = proxy.heldPaths.length;
      proxy.holding = /\/offers$/;
      const asked = atA.json('POST', `/api/transfers/${draft.id}/analysis`);
      await waitUntil('the offer held on its way to B', async () => proxy.heldPaths.length > heldBefore, 30_000);
      expect((await atA.json('POST', `/api/transfers/${draft.id}/cancel`)).state).toBe('CANCELLED');
      expect(await dbB.transferState(draft.id, 'ARRIVAL')).toBeUndefined();

      proxy.release();
      await asked;
      await waitUntil('the late offer withdrawn at B', async () => (await dbB.transferState(draft.id, 'ARRIVAL')) === 'CANCELLED', 30_000);
      const events = (await dbB.events(draft.id, 'ARRIVAL')).map((e) => e.type);
      expect(events[0]).toBe('TRANSFER_CREATED');
      expect(events).toContain('ANSWER_SENT');
      expect(events[events.length - 1]).toBe('OFFER_WITHDRAWN');
    } finally {
      proxy.release();
      await dbB.close();
    }
  });

  it('treats a 4xx answer as final: no retry, the transfer is marked failed', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await atA.json('GET', '/api/contents')).items as any[];
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id] });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    const before = proxy.seen.length;
    proxy.failing = { pattern: /\/deliveries$/, status: 400 };
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    const dbA = await GatewayDb.open(urls.out_a);
    try {
      await waitUntil('failed', async () => (await dbA.transferState(draft.id, 'DEPARTURE')) === 'FAILED', 60_000);
      const [job] = await dbA.jobs(`deliver:${draft.id}`);
      expect(job).toMatchObject({ state: 'FAILED', attempts: 1 });
      expect(proxy.seen.slice(before).filter((s) => /\/deliveries$/.test(s.path))).toHaveLength(1);
      const view = await atA.json('GET', `/api/transfers/${draft.id}`);
      expect(view.events.at(-1)).toMatchObject({ type: 'TRANSFER_FAILED', to: 'FAILED' });
    } finally {
      proxy.failing = undefined;
      await dbA.close();
    }
  });
});
