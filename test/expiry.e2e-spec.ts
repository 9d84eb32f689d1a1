import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';
import { s3Client } from './support/s3';

/*
 * Offers expire (OFFER_TTL_SECONDS): a transfer whose arrival never took
 * delivery expires at the departure, which deletes its staged objects; the
 * arrival, back later, fails the offer it can no longer receive.
 */
jest.setTimeout(300_000);

describe('offer expiry', () => {
  let env: StackSession;

  beforeAll(async () => {
    const fast = { JOB_BACKOFF_BASE_MS: '200', JOB_BACKOFF_MAX_MS: '1000', JOB_MAX_ATTEMPTS: '100', OFFER_TTL_SECONDS: '8' };
    env = await bootStack('expiry', { env: { 'gateway-a': fast, 'gateway-b': fast } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('expires an undelivered transfer, deletes the staged data, and the arrival fails the offer', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await atA.json('GET', '/api/contents')).items as any[];
    const items = contents.filter((c) => ['PARCOURS_PEDAGOGIQUE', 'STOCKAGE_PARTAGE'].includes(c.category)).map((c) => c.id);
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: items });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    // The arrival goes away before the delivery.
    await env.stack.kill('gateway-b');
    await atA.json('POST', `/api/transfers/${draft.id}/start`);

    const s3 = s3Client(env.s3);
    const staged = async () => {
      const keys: string[] = [];
      for await (const o of s3.listObjectsV2(env.buckets.a, `departure/${draft.id}/`, true)) if (o.name) keys.push(o.name);
      return keys;
    };
    // Each item's content, plus the ScoLOMFR record that travels with the PDF (and, once the
    // delivery is attempted, the three delivery index files).
    await waitUntil('items staged', async () => (await staged()).filter((k) => !k.includes('/_index/')).length === items.length + 1);
    const expired = await waitUntil('EXPIRED at the departure', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      // The objects go right after the state change (S3 is outside the transaction).
      return t.state === 'EXPIRED' && t.events.some((e: any) => e.type === 'STAGED_OBJECTS_DELETED') && t;
    }, 60_000);
    expect(expired.events.map((e: any) => e.type)).toEqual(expect.arrayContaining(['OFFER_EXPIRED', 'STAGED_OBJECTS_DELETED']));
    expect(await staged()).toEqual([]);

    // Back after the expiry: the arrival does not wait for a delivery that cannot come.
    await env.stack.start('gateway-b');
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('FAILED at the arrival', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return t.state === 'FAILED' && t;
    }, 60_000);
    expect(received.events.map((e: any) => e.type)).toContain('OFFER_EXPIRED');
    expect(received.items.every((i: any) => i.state === 'FAILED')).toBe(true);
    // The departure's objects are gone: a late fetch finds nothing to hand out.
    const stillStaged = await staged();
    expect(stillStaged).toEqual([]);
  });
});
