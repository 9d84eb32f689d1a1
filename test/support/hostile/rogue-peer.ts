import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { foreignKeys, signCompact } from './jwt';

/**
 * A registered but malicious departure gateway (issue 14): it publishes a JWKS of a key the test
 * holds, so its manifests verify, and answers content requests as each test tells it — a redirect
 * to an internal address, a trickle of bytes, or the bytes themselves. It records what it is sent.
 */
export type ContentBehaviour =
  | { redirect: string }
  | { body: Buffer }
  /** One byte every `intervalMs`, until the client gives up (or `body` is all sent). */
  | { trickle: Buffer; intervalMs: number };

export interface RoguePeer {
  url: string;
  entId: string;
  /** The shared IdP's issuer, published in its discovery document (set once the stack runs). */
  issuer: string;
  /** UAIs it publishes in its discovery document. */
  uais: string[];
  /** Content behaviour per item id. */
  content: Map<string, ContentBehaviour>;
  receipts: { transferId: string; receipt: string }[];
  requests: string[];
  /** Open trickling responses, of one item or all (a test asserts while they are still connected). */
  openTrickles(itemId?: string): number;
  /** Ends every trickle now (the attacker lets go). */
  dropTrickles(): void;
  signManifest(payload: unknown): string;
  close(): Promise<void>;
}

const KID = 'rogue-1';

export async function startRoguePeer(entId: string, host = '127.0.0.1'): Promise<RoguePeer> {
  const content = new Map<string, ContentBehaviour>();
  const receipts: RoguePeer['receipts'] = [];
  const requests: string[] = [];
  const trickles = new Map<ServerResponse, string>();
  const jwk = { ...(foreignKeys().ec.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: KID, alg: 'ES256', use: 'sig' };
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/.well-known/ent-portability/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    if (url.pathname === '/.well-known/ent-portability') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        contractVersions: ['1'], entId: peer.entId, issuer: peer.issuer, uais: peer.uais, audience: base, jwksUri: `${base}/.well-known/ent-portability/jwks.json`,
        endpoints: {
          capabilities: `${base}/portability/v1/capabilities`, offers: `${base}/portability/v1/offers`,
          deliveries: `${base}/portability/v1/offers/{offerId}/deliveries`,
          itemContent: `${base}/portability/v1/transfers/{transferId}/items/{itemId}/content`,
          receipt: `${base}/portability/v1/transfers/{transferId}/receipt`,
        },
      }));
      return;
    }
    const receipt = /^\/portability\/v1\/transfers\/([^/]+)\/receipt$/.exec(url.pathname);
    if (receipt && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      receipts.push({ transferId: receipt[1], receipt: JSON.parse(Buffer.concat(chunks).toString('utf8')).receipt });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ offerId: receipt[1], status: 'RECEIPTED' }));
      return;
    }
    const item = /^\/portability\/v1\/transfers\/[^/]+\/items\/([^/]+)\/content$/.exec(url.pathname);
    const behaviour = item ? content.get(decodeURIComponent(item[1])) : undefined;
    if (!behaviour) {
      res.writeHead(404).end();
      return;
    }
    if ('redirect' in behaviour) {
      res.writeHead(302, { location: behaviour.redirect }).end();
    } else if ('body' in behaviour) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(behaviour.body.length) }).end(behaviour.body);
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(behaviour.trickle.length) });
      trickles.set(res, decodeURIComponent(item![1]));
      let sent = 0;
      const timer = setInterval(() => {
        if (sent >= behaviour.trickle.length || res.destroyed) {
          clearInterval(timer);
          trickles.delete(res);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(behaviour.trickle.subarray(sent, sent + 1));
        sent++;
      }, behaviour.intervalMs);
      res.on('close', () => {
        clearInterval(timer);
        trickles.delete(res);
      });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  base = `http://${host}:${(server.address() as AddressInfo).port}`;
  const peer: RoguePeer = {
    url: base,
    entId,
    issuer: '',
    uais: [],
    content,
    receipts,
    requests,
    openTrickles: (itemId) => [...trickles.values()].filter((i) => itemId === undefined || i === itemId).length,
    dropTrickles: () => {
      for (const r of trickles.keys()) r.destroy();
    },
    signManifest: (payload) => signCompact({ kid: KID, typ: 'ent-portability-manifest+jws' }, payload, 'ES256'),
    close: async () => {
      for (const r of trickles.keys()) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return peer;
}

/** A plain HTTP server that records every request: the "internal service" a peer must never reach. */
export async function startRecordingServer(host: string, body: Buffer, status = 200): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
