import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { GatewayConfig } from '../config';
import { CAPABILITIES_MAX_CACHE_SECONDS, ConnectorClient, ConnectorError, reusableSeconds } from './connector.client';
import { OutboundPolicy } from '../infra/outbound';

const LOOPBACK_POLICY = new OutboundPolicy({ allowedCidrs: ['127.0.0.1/32'], timeoutMs: 5_000, idleTimeoutMs: 5_000 });

const MIB = 1024 * 1024;

/** A source that counts how many bytes the client has pulled from it, produced on demand. */
function countedSource(total: number) {
  let pulled = 0;
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const stream = new Readable({
    read() {
      if (pulled >= total) return void this.push(null);
      const n = Math.min(chunk.length, total - pulled);
      pulled += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
  return { stream, pulled: () => pulled };
}

describe('ConnectorClient imports (a real HTTP server on loopback)', () => {
  let server: Server;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  let client: ConnectorClient;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    client = new ConnectorClient({ connector: { url: `http://127.0.0.1:${port}`, token: 'test-connector-token-0001' }, limits: { peerTimeoutMs: 5000 } } as unknown as GatewayConfig, LOOPBACK_POLICY);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it('reads the item only as fast as the ENT takes it (back-pressure, bounded buffers), then returns its answer', async () => {
    const total = 256 * MIB;
    const source = countedSource(total);
    let received = 0;
    let pulledWhilePaused = -1;
    let release!: () => void;
    const paused = new Promise<void>((ok) => (release = ok));
    handler = (req, res) => {
      expect(req.headers.authorization).toBe('Bearer test-connector-token-0001');
      req.on('data', (c: Buffer) => {
        received += c.length;
        if (received >= 8 * MIB && pulledWhilePaused < 0) {
          // A slow ENT: stop reading for a while, and see how far the client read ahead.
          req.pause();
          pulledWhilePaused = 0;
          setTimeout(() => {
            pulledWhilePaused = source.pulled();
            release();
            req.resume();
          }, 1500);
        }
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ localId: 'l-1', created: true, sha256: 'x', sizeBytes: received }));
      });
    };
    const answer = client.importContent('marie.dupont', 't:i', { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf', title: 'T' }, source.stream);
    await paused;
    // The ENT holds 8 MiB and stopped; the client may have a few socket buffers in flight, never
    // the item (fetch with a stream body had read on past 100 MiB here).
    expect(pulledWhilePaused).toBeLessThan(8 * MIB + 16 * MIB);
    await expect(answer).resolves.toMatchObject({ localId: 'l-1', sizeBytes: total });
  });

  it('stops sending and reports the ENT\'s early refusal (413: destination full)', async () => {
    const source = countedSource(64 * MIB);
    handler = (req, res) => {
      res.writeHead(413, { 'content-type': 'application/problem+json', connection: 'close' });
      res.end(JSON.stringify({ type: 'about:blank', status: 413 }));
      req.resume();
    };
    const err = await client
      .importContent('marie.dupont', 't:i', { category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf', title: 'T' }, source.stream)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ status: 413, retryable: false });
    expect(source.stream.destroyed).toBe(true);
  });

  it('fails retryably when the ENT cannot be reached', async () => {
    const closed = new ConnectorClient({ connector: { url: 'http://127.0.0.1:9', token: 'test-connector-token-0001' }, limits: { peerTimeoutMs: 5000 } } as unknown as GatewayConfig, LOOPBACK_POLICY);
    const source = countedSource(MIB);
    await expect(closed.importMetadata('marie.dupont', 't:i', 'scolomfr-3.1', source.stream)).rejects.toMatchObject({ name: 'ConnectorError', retryable: true });
  });
});

describe('ConnectorClient capabilities: reused only as long as the ENT says (Cache-Control: max-age)', () => {
  const CAPS = { contractVersion: '1.1', categories: [{ category: 'STOCKAGE_PARTAGE', imports: [{ format: 'binary' }] }], refusedCategories: [], maxItemBytes: 1000 };
  let server: Server;
  let reads = 0;
  let cacheControl: string | undefined;
  let status = 200;
  let delayMs = 0;
  let now = Date.parse('2027-06-15T08:00:00Z');
  let client: ConnectorClient;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/connector/v1/capabilities') return void res.writeHead(404).end();
      reads++;
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json', ...(cacheControl ? { 'cache-control': cacheControl } : {}) });
        res.end(JSON.stringify(status === 200 ? { ...CAPS, maxItemBytes: 1000 + reads } : { status }));
      }, delayMs);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    client = new ConnectorClient({ connector: { url: `http://127.0.0.1:${port}`, token: 'test-connector-token-0001' }, limits: { peerTimeoutMs: 5000 } } as unknown as GatewayConfig, LOOPBACK_POLICY, { now: () => new Date(now) });
  });
  beforeEach(async () => {
    // Whatever a previous test left kept is past its age.
    now += 24 * 3600_000;
    reads = 0;
    cacheControl = undefined;
    status = 200;
    delayMs = 0;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it('asks the ENT every time when it says nothing, no-cache or no-store', async () => {
    for (const header of [undefined, 'no-cache', 'no-store, max-age=60', 'max-age=0']) {
      cacheControl = header;
      reads = 0;
      await client.capabilities();
      await client.capabilities();
      expect({ header, reads }).toEqual({ header, reads: 2 });
    }
  });

  it('reuses the answer for max-age seconds of its clock, then asks again', async () => {
    cacheControl = 'max-age=60';
    expect((await client.capabilities()).maxItemBytes).toBe(1001);
    now += 59_000;
    expect((await client.capabilities()).maxItemBytes).toBe(1001);
    expect(reads).toBe(1);
    now += 1_000;
    expect((await client.capabilities()).maxItemBytes).toBe(1002);
    expect(reads).toBe(2);
  });

  it('keeps it at most CAPABILITIES_MAX_CACHE_SECONDS, whatever the ENT says', async () => {
    cacheControl = 'public, max-age=31536000';
    await client.capabilities();
    now += (CAPABILITIES_MAX_CACHE_SECONDS - 1) * 1000;
    await client.capabilities();
    expect(reads).toBe(1);
    now += 1000;
    await client.capabilities();
    expect(reads).toBe(2);
  });

  it('never keeps a failure: the next call asks again, and gets the error while the ENT fails', async () => {
    cacheControl = 'max-age=60';
    status = 503;
    await expect(client.capabilities()).rejects.toMatchObject({ name: 'ConnectorError', status: 503, retryable: true });
    await expect(client.capabilities()).rejects.toMatchObject({ status: 503 });
    expect(reads).toBe(2);
    status = 200;
    await client.capabilities();
    await client.capabilities();
    expect(reads).toBe(3);
  });

  it('offers arriving together share one read', async () => {
    delayMs = 50;
    const all = await Promise.all(Array.from({ length: 5 }, () => client.capabilities()));
    expect(reads).toBe(1);
    expect(new Set(all.map((c) => c.maxItemBytes))).toEqual(new Set([1001]));
    // Not kept (no max-age): the next one reads again.
    await client.capabilities();
    expect(reads).toBe(2);
  });

  it('health (ping) always asks the ENT, even while its capabilities are kept', async () => {
    cacheControl = 'max-age=60';
    await client.capabilities();
    expect(await client.ping()).toBe(true);
    expect(reads).toBe(2);
    status = 500;
    expect(await client.ping()).toBe(false);
  });
});

describe('reusableSeconds (RFC 9111 max-age)', () => {
  it.each([
    [null, 0],
    ['', 0],
    ['max-age=60', 60],
    ['Max-Age=60', 60],
    ['private, max-age="30"', 30],
    ['max-age=60, no-cache', 0],
    ['no-cache="set-cookie", max-age=60', 0],
    ['no-store', 0],
    ['max-age=-5', 0],
    ['max-age=abc', 0],
    ['max-age=1e3', 0],
    ['s-maxage=60', 0],
    ['max-age=99999999999', 0],
    ['max-age=100000', 300],
  ])('%j → %d s', (header, seconds) => {
    expect(reusableSeconds(header, 300)).toBe(seconds);
  });
});
