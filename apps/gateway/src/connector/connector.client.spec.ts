import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { GatewayConfig } from '../config';
import { ConnectorClient, ConnectorError } from './connector.client';
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
