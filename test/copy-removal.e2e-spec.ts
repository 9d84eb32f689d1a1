import { FlakyProxy } from './support/flaky-proxy';
import { s3Client, testS3 } from './support/s3';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * She erases what she received while the arrival's S3 refuses deletes (ADR 027). Before, the
 * state said ERASED, her request got a 500 and her copies stayed in S3 for ever: nothing tried
 * again. Now she is answered, and the removal job that her erasure enqueued in its own transaction
 * deletes them once S3 answers. Real HTTP, the gateways' embedded Postgres, real S3 behind a proxy
 * that refuses the deletes.
 */
jest.setTimeout(300_000);

const REAL_S3 = !!process.env.S3_ENDPOINT;
const fast = { JOB_BACKOFF_BASE_MS: '200', JOB_BACKOFF_MAX_MS: '1000', JOB_POLL_MS: '200' };

(REAL_S3 ? describe : describe.skip)('copies removed whatever fails when they are to go (real S3)', () => {
  let env: StackSession;
  let s3ProxyB: FlakyProxy;

  beforeAll(async () => {
    const s3 = await testS3();
    const target = new URL(s3.endPoint);
    s3ProxyB = new FlakyProxy({ host: target.hostname, port: Number(target.port) || 80 });
    await s3ProxyB.start();
    env = await bootStack('copy-removal', {
      testClock: true,
      env: { 'gateway-a': fast, 'gateway-b': { ...fast, S3_ENDPOINT: s3ProxyB.url } },
    });
  });

  afterAll(async () => {
    await env?.close();
    await s3ProxyB?.stop();
  });

  const objects = async (prefix: string) => {
    const keys: string[] = [];
    for await (const o of s3Client(env.s3).listObjectsV2(env.buckets.b, prefix, true)) if (o.name) keys.push(o.name);
    return keys;
  };

  it('she erases while S3 refuses deletes: she is answered at once, and her copies go once S3 is back', async () => {
    const marieA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await marieA.json('GET', '/api/contents')).items as any[];
    const itemIds = contents.filter((c) => ['STOCKAGE_PARTAGE', 'COURRIER_ELECTRONIQUE'].includes(c.category)).map((c) => c.id as string);
    const draft = await marieA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds });
    await marieA.json('POST', `/api/transfers/${draft.id}/analysis`);
    await marieA.json('POST', `/api/transfers/${draft.id}/start`);
    const marieB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('the transfer imported at B', async () => {
      const t = await marieB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL'].includes(t.state) && t;
    }, 120_000);
    // What waits for a manual download is kept at B: those copies are hers to erase.
    expect(received.items.some((i: any) => i.state === 'AWAITING_MANUAL_DOWNLOAD')).toBe(true);
    const copies = await objects(`arrival/${draft.id}/`);
    expect(copies.length).toBeGreaterThan(0);

    // B's S3 refuses every delete, multi-object (POST ?delete) and single (DELETE).
    s3ProxyB.failing = { pattern: /./, status: 503, methods: ['DELETE', 'POST'] };
    const seenBefore = s3ProxyB.seen.length;
    const res = await marieB.request('POST', `/api/received/${draft.id}/erase`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).state).toBe('ERASED');
    expect(s3ProxyB.seen.slice(seenBefore).some((s) => s.status === 503 && s.method === 'POST' && /[?&]delete/.test(s.path))).toBe(true);
    expect(await objects(`arrival/${draft.id}/`)).toEqual(copies);
    expect(((await marieB.json('GET', `/api/received/${draft.id}`)).events as any[]).map((e) => e.type)).not.toContain('RECEIVED_COPIES_DELETED');

    // S3 answers again; the removal job is due a minute after her erasure (domain time).
    s3ProxyB.failing = undefined;
    await env.stack.setClock(new Date(Date.now() + 2 * 60_000));
    await waitUntil('her copies deleted by their job', async () => (await objects(`arrival/${draft.id}/`)).length === 0, 60_000);
    const events = (await marieB.json('GET', `/api/received/${draft.id}`)).events as any[];
    const deleted = events.filter((e) => e.type === 'RECEIVED_COPIES_DELETED');
    expect(deleted).toHaveLength(1);
    expect(deleted[0].data).toEqual(expect.objectContaining({ removed: copies.length, reason: 'erased-by-owner' }));
  });
});
