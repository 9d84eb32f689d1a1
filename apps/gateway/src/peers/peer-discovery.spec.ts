import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { GatewayConfig, PeerEntry } from '../config';
import { FORCED_REFRESH_FLOOR_MS, DiscoveryUnavailableError, PeerDiscovery } from './peer-discovery';
import { OutboundPolicy } from '../infra/outbound';

/** A peer's discovery URL on loopback, whose answer each test sets. */
let server: Server;
let origin: string;
let hits = 0;
let answer: (req: IncomingMessage, res: ServerResponse) => void;

function document(paths = 'v1') {
  return {
    contractVersions: ['1'],
    entId: 'ent-b',
    issuer: 'http://idp.test',
    audience: origin,
    jwksUri: `${origin}/${paths}/keys`,
    endpoints: {
      capabilities: `${origin}/${paths}/caps`,
      offers: `${origin}/${paths}/offers`,
      deliveries: `${origin}/${paths}/offers/{offerId}/deliveries`,
      itemContent: `${origin}/${paths}/t/{transferId}/{itemId}`,
      receipt: `${origin}/${paths}/t/{transferId}/receipt`,
    },
    contentOrigins: ['http://s3.test:9000'],
    limits: { maxItemsPerOffer: 1, maxBodyBytes: 1, maxItemBytes: 1, offerTtlSeconds: 1 },
  };
}

const json = (body: unknown, headers: Record<string, string> = {}) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    answer(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let now: number;
beforeEach(() => {
  hits = 0;
  now = Date.parse('2026-07-01T08:00:00Z');
  jest.spyOn(Date, 'now').mockImplementation(() => now);
});
afterEach(() => jest.restoreAllMocks());

function discovery(overrides: Partial<GatewayConfig['discovery']> = {}) {
  const config = {
    oidc: { issuer: 'http://idp.test' },
    limits: { peerTimeoutMs: 5_000 },
    discovery: { minTtlSeconds: 60, maxTtlSeconds: 3_600, maxBytes: 4_096, ...overrides },
  } as unknown as GatewayConfig;
  return new PeerDiscovery(config, new OutboundPolicy({ allowedCidrs: ['127.0.0.1/32'], timeoutMs: 5_000, idleTimeoutMs: 5_000 }));
}
const peer = (): PeerEntry => ({ entId: 'ent-b', clientId: 'gateway-b', discoveryUrl: `${origin}/somewhere/discovery.json`, uais: ['0690002B'] });

describe('PeerDiscovery', () => {
  it('reads the document at the registered discovery URL and keeps it for its max-age', async () => {
    answer = json(document('custom'), { 'cache-control': 'max-age=600' });
    const d = discovery();
    expect((await d.get(peer())).endpoints.offers).toBe(`${origin}/custom/offers`);
    now += 599_000;
    await d.get(peer());
    expect(hits).toBe(1);
    now += 2_000;
    answer = json(document('moved'), { 'cache-control': 'max-age=600' });
    expect((await d.get(peer())).endpoints.offers).toBe(`${origin}/moved/offers`);
    expect(hits).toBe(2);
  });

  it('bounds the lifetime a peer asks for', async () => {
    answer = json(document(), { 'cache-control': 'max-age=999999' });
    const d = discovery({ maxTtlSeconds: 300 });
    await d.get(peer());
    now += 301_000;
    await d.get(peer());
    expect(hits).toBe(2);
  });

  it('refreshes on demand (unknown kid), but not twice within the floor', async () => {
    answer = json(document('one'));
    const d = discovery();
    await d.get(peer());
    now += FORCED_REFRESH_FLOOR_MS - 1;
    answer = json(document('two'));
    expect((await d.get(peer(), { refresh: true })).jwksUri).toBe(`${origin}/one/keys`);
    expect(hits).toBe(1);
    now += 1;
    expect((await d.get(peer(), { refresh: true })).jwksUri).toBe(`${origin}/two/keys`);
    expect(hits).toBe(2);
  });

  it('reads the document again after a failed call', async () => {
    answer = json(document('one'));
    const d = discovery();
    await d.get(peer());
    now += FORCED_REFRESH_FLOOR_MS;
    d.markStale(peer());
    answer = json(document('two'));
    expect((await d.get(peer())).endpoints.capabilities).toBe(`${origin}/two/caps`);
    expect(hits).toBe(2);
  });

  it('keeps the last good document when a refresh fails, and tries again after the minimum lifetime', async () => {
    answer = json(document('one'), { 'cache-control': 'max-age=60' });
    const d = discovery();
    await d.get(peer());
    now += 61_000;
    answer = json({ ...document('two'), entId: 'ent-c' }); // a broken publication
    expect((await d.get(peer())).endpoints.offers).toBe(`${origin}/one/offers`);
    await d.get(peer());
    expect(hits).toBe(2);
    now += 60_000;
    answer = json(document('two'));
    expect((await d.get(peer())).endpoints.offers).toBe(`${origin}/two/offers`);
  });

  it('shares one fetch among concurrent callers', async () => {
    answer = (req, res) => setTimeout(() => json(document())(req, res), 100);
    const d = discovery();
    await Promise.all([d.get(peer()), d.get(peer()), d.get(peer())]);
    expect(hits).toBe(1);
  });

  it.each([
    ['an error status', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(404).end(), 'answered 404'],
    ['a redirect', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end(), 'redirect'],
    ['HTML', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'), 'not JSON'],
    ['invalid JSON', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{'), 'not valid JSON'],
    ['a declared oversize body', (req: IncomingMessage, res: ServerResponse) => json({ ...document(), pad: 'x'.repeat(5_000) })(req, res), 'more than 4096'],
    ['a streamed oversize body', (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"pad":"${'x'.repeat(3_000)}`);
      res.end(`${'x'.repeat(3_000)}"}`);
    }, 'more than 4096'],
    ['an invalid document', (req: IncomingMessage, res: ServerResponse) => json({ ...document(), endpoints: { ...document().endpoints, receipt: '/relative/{transferId}' } })(req, res), 'invalid discovery document: endpoints.receipt must be an absolute URL'],
  ])('refuses %s when it has nothing earlier to fall back on', async (_what, handler, message) => {
    answer = handler;
    const d = discovery();
    const err = await d.get(peer()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscoveryUnavailableError);
    expect((err as Error).message).toContain(message);
    // Nothing was cached: the next use tries again.
    answer = json(document());
    await expect(d.get(peer())).resolves.toMatchObject({ entId: 'ent-b' });
  });

  it('gives the origins a contentUrl may redirect to: the gateway and what it publishes', async () => {
    answer = json(document());
    await expect(discovery().contentOrigins(peer())).resolves.toEqual([origin, 'http://s3.test:9000']);
  });
});
