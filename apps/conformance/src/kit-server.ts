import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, JWK } from 'jose';
import { excerpt } from './http';
import { Idp } from './idp';
import { Exchange } from './results';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface SigningKey {
  kid: string;
  alg: 'ES256';
  privateKey: PrivateKey;
  publicJwk: JWK;
}

export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg: 'ES256', privateKey, publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' } };
}

export async function signJws(key: SigningKey, payload: unknown, header: Record<string, unknown>): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** One object the kit stages as a departure: the bytes it serves may differ from what its manifest declares. */
export interface StagedObject {
  transferId: string;
  itemId: string;
  role: 'content' | 'metadata';
  bytes: Buffer;
}

/** A call the target made to one of the kit's content URLs, and what became of it. */
export interface ContentCall {
  transferId: string;
  itemId: string;
  role: string;
  /** Whether it came to the origin the kit declares in its discovery document. */
  declaredOrigin: boolean;
  tokenProblem?: string;
  exchange: Exchange;
}

/** A request to a redirect target (the "presigned" URL). */
export interface ObjectCall {
  transferId: string;
  itemId: string;
  role: string;
  authorizationSent: boolean;
  range?: string;
  ifMatch?: string;
  status: number;
  /** The whole object (from byte 0 or the range start to its end) went out. */
  completed: boolean;
}

export interface ReceivedReceipt {
  transferId: string;
  jws?: string;
  tokenProblem?: string;
  exchange: Exchange;
  at: number;
}

/** What the kit answers when it plays an arrival (target as departure). */
export interface ArrivalSide {
  capabilities(tokenProblem: string | undefined, request: string): Promise<Answered>;
  offer(tokenProblem: string | undefined, request: string, body: unknown): Promise<Answered>;
  delivery(tokenProblem: string | undefined, request: string, offerId: string, body: unknown): Promise<Answered>;
}

export interface Answered {
  status: number;
  body: unknown;
}

export interface KitServerOptions {
  host: string;
  port: number;
  /** Public base URL (what the target reaches); default http://host:port. */
  publicUrl?: string;
  entId: string;
  uai: string;
  idp: Idp;
  /** Present when the kit plays an arrival. */
  arrival?: ArrivalSide;
}

const UUID = '[0-9a-fA-F-]{36}';
const ITEM = '[A-Za-z0-9._:-]{1,128}';
const CONTENT_PATH = new RegExp(`^/portability/v1/transfers/(${UUID})/items/(${ITEM})/(content|metadata)$`);
const RECEIPT_PATH = new RegExp(`^/portability/v1/transfers/(${UUID})/receipt$`);
const DELIVERY_PATH = new RegExp(`^/portability/v1/offers/(${UUID})/deliveries$`);
const OBJECT_PATH = /^\/objects\/([A-Za-z0-9_-]{16,64})$/;

/**
 * The departure the kit plays when the target is an arrival: its discovery document and
 * JWKS, content URLs behind the shared IdP's tokens that redirect to short-lived object URLs
 * serving `Range` / `If-Match`, and the receipt endpoint. A second listener serves the same
 * objects from an origin the discovery document does not declare, to see whether the target
 * fetches from there.
 */
export class KitServer {
  readonly key: Promise<SigningKey> = newSigningKey();
  /** Keys published in the JWKS (the first is `key`; `rotate()` adds one). */
  private readonly published: Promise<SigningKey>[] = [this.key];
  readonly contentCalls: ContentCall[] = [];
  readonly objectCalls: ObjectCall[] = [];
  readonly receipts: ReceivedReceipt[] = [];
  private readonly objects = new Map<string, StagedObject>();
  private readonly links = new Map<string, { object: StagedObject; until: number }>();
  private servers: Server[] = [];
  publicUrl = '';
  undeclaredUrl = '';
  private receiptWaiters: (() => void)[] = [];

  constructor(private readonly options: KitServerOptions) {}

  async start(): Promise<void> {
    const main = createServer((req, res) => void this.handle(req, res, true));
    const other = createServer((req, res) => void this.handle(req, res, false));
    this.servers = [main, other];
    await listen(main, this.options.host, this.options.port);
    await listen(other, this.options.host, 0);
    const port = (main.address() as AddressInfo).port;
    const hostForUrl = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    this.publicUrl = (this.options.publicUrl ?? `http://${hostForUrl}:${port}`).replace(/\/+$/, '');
    this.undeclaredUrl = `http://${hostForUrl}:${(other.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
  }

  get origin(): string {
    return new URL(this.publicUrl).origin;
  }

  async discovery(): Promise<Record<string, unknown>> {
    const base = this.publicUrl;
    return {
      contractVersions: ['1'],
      entId: this.options.entId,
      uais: [this.options.uai],
      issuer: this.options.idp.client.issuer,
      audience: base,
      jwksUri: `${base}/.well-known/ent-portability/jwks.json`,
      endpoints: {
        capabilities: `${base}/portability/v1/capabilities`,
        offers: `${base}/portability/v1/offers`,
        deliveries: `${base}/portability/v1/offers/{offerId}/deliveries`,
        itemContent: `${base}/portability/v1/transfers/{transferId}/items/{itemId}/content`,
        receipt: `${base}/portability/v1/transfers/{transferId}/receipt`,
      },
      contentOrigins: [this.origin],
      limits: { maxItemsPerOffer: 500, maxBodyBytes: 1048576, maxItemBytes: 1073741824, offerTtlSeconds: 86400 },
    };
  }

  /** Publishes a new key and returns it: documents it signs carry a kid the peer has not seen yet. */
  async rotate(): Promise<SigningKey> {
    const next = newSigningKey();
    this.published.push(next);
    return next;
  }

  stage(object: StagedObject): { contentUrl: string; undeclaredUrl: string } {
    this.objects.set(`${object.transferId}/${object.itemId}/${object.role}`, object);
    const path = `/portability/v1/transfers/${object.transferId}/items/${encodeURIComponent(object.itemId)}/${object.role}`;
    return { contentUrl: `${this.publicUrl}${path}`, undeclaredUrl: `${this.undeclaredUrl}${path}` };
  }

  /** Resolves when a receipt for `transferId` has come, or after `timeoutMs`. */
  async waitForReceipts(transferIds: string[], timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!transferIds.every((id) => this.receipts.some((r) => r.transferId === id && r.jws)) && Date.now() < end) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1000, Math.max(end - Date.now(), 0)));
        this.receiptWaiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse, declaredOrigin: boolean) {
    try {
      const url = new URL(req.url ?? '/', 'http://kit.invalid');
      if (req.method === 'GET' && url.pathname === '/.well-known/ent-portability' && declaredOrigin) return json(res, 200, await this.discovery());
      if (req.method === 'GET' && url.pathname === '/.well-known/ent-portability/jwks.json' && declaredOrigin) return json(res, 200, { keys: (await Promise.all(this.published)).map((k) => k.publicJwk) });
      const arrival = this.options.arrival;
      if (arrival && declaredOrigin) {
        if (req.method === 'GET' && url.pathname === '/portability/v1/capabilities') {
          return answer(res, await arrival.capabilities(await this.checkToken(req, 'portability:capabilities'), describe(req)));
        }
        if (req.method === 'POST' && url.pathname === '/portability/v1/offers') {
          const tokenProblem = await this.checkToken(req, 'portability:offer');
          const raw = await readBody(req, 1_100_000);
          return answer(res, await arrival.offer(tokenProblem, `${describe(req)}\n\n${excerpt(raw)}`, parseJson(raw)));
        }
        const d = DELIVERY_PATH.exec(url.pathname);
        if (req.method === 'POST' && d) {
          const tokenProblem = await this.checkToken(req, 'portability:deliver');
          const raw = await readBody(req, 2_100_000);
          return answer(res, await arrival.delivery(tokenProblem, `${describe(req)}\n\n${excerpt(raw)}`, d[1], parseJson(raw)));
        }
      }
      let m = CONTENT_PATH.exec(url.pathname);
      if (req.method === 'GET' && m) return this.content(req, res, m[1], decodeURIComponent(m[2]), m[3], declaredOrigin);
      m = OBJECT_PATH.exec(url.pathname);
      if (req.method === 'GET' && m) return this.object(req, res, m[1]);
      m = RECEIPT_PATH.exec(url.pathname);
      if (req.method === 'POST' && m && declaredOrigin) return this.receipt(req, res, m[1]);
      return problem(res, 404, 'urn:ent-portability:problem:not-found', 'Not found');
    } catch (err) {
      if (!res.headersSent) problem(res, 500, 'urn:ent-portability:problem:internal', (err as Error).message);
      else res.destroy();
    }
  }

  private async content(req: IncomingMessage, res: ServerResponse, transferId: string, itemId: string, role: string, declaredOrigin: boolean) {
    const request = describe(req);
    const tokenProblem = await this.checkToken(req, 'portability:fetch');
    const object = this.objects.get(`${transferId}/${itemId}/${role}`);
    const call: ContentCall = { transferId, itemId, role, declaredOrigin, tokenProblem, exchange: { request, response: '' } };
    this.contentCalls.push(call);
    if (tokenProblem) {
      call.exchange.response = `HTTP 401 (${tokenProblem})`;
      return problem(res, 401, 'urn:ent-portability:problem:invalid-token', tokenProblem);
    }
    if (!object) {
      call.exchange.response = 'HTTP 404';
      return problem(res, 404, 'urn:ent-portability:problem:not-found', 'No such object');
    }
    const nonce = randomBytes(24).toString('base64url');
    this.links.set(nonce, { object, until: Date.now() + 10 * 60_000 });
    const location = `${declaredOrigin ? this.publicUrl : this.undeclaredUrl}/objects/${nonce}`;
    call.exchange.response = `HTTP 302\nlocation: ${location}`;
    res.writeHead(302, { location, 'cache-control': 'no-store' }).end();
  }

  /** The "presigned" URL: no token expected (it must not carry the peer token), Range and If-Match honoured. */
  private object(req: IncomingMessage, res: ServerResponse, nonce: string) {
    const link = this.links.get(nonce);
    if (!link || link.until < Date.now()) return problem(res, 403, 'about:blank', 'Expired or unknown link');
    const { object } = link;
    const etag = `"${createHash('sha256').update(object.bytes).digest('hex').slice(0, 32)}"`;
    const call: ObjectCall = {
      transferId: object.transferId, itemId: object.itemId, role: object.role,
      authorizationSent: req.headers.authorization !== undefined,
      range: req.headers.range, ifMatch: req.headers['if-match'] as string | undefined, status: 200, completed: false,
    };
    this.objectCalls.push(call);
    if (call.ifMatch && call.ifMatch !== etag) {
      call.status = 412;
      return res.writeHead(412, { etag }).end();
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(call.range ?? '');
    if (range) start = Number(range[1]);
    if (start > object.bytes.length) {
      call.status = 416;
      return res.writeHead(416, { 'content-range': `bytes */${object.bytes.length}` }).end();
    }
    const body = object.bytes.subarray(start);
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes', 'content-length': body.length };
    if (range) {
      call.status = 206;
      headers['content-range'] = `bytes ${start}-${object.bytes.length - 1}/${object.bytes.length}`;
    }
    res.writeHead(call.status, headers);
    res.end(body, () => { call.completed = true; });
  }

  private async receipt(req: IncomingMessage, res: ServerResponse, transferId: string) {
    const request = describe(req);
    const tokenProblem = await this.checkToken(req, 'portability:receipt');
    const raw = await readBody(req, 1_100_000);
    const received: ReceivedReceipt = { transferId, tokenProblem, exchange: { request: `${request}\n\n${excerpt(raw)}`, response: '' }, at: Date.now() };
    this.receipts.push(received);
    if (tokenProblem) {
      received.exchange.response = `HTTP 401 (${tokenProblem})`;
      return problem(res, 401, 'urn:ent-portability:problem:invalid-token', tokenProblem);
    }
    let body: { receipt?: unknown } | undefined;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    if (typeof body?.receipt !== 'string') {
      received.exchange.response = 'HTTP 400 (no receipt)';
      return problem(res, 400, 'urn:ent-portability:problem:validation-failed', 'receipt must be a compact JWS');
    }
    received.jws = body.receipt;
    received.exchange.response = 'HTTP 200';
    json(res, 200, { offerId: transferId, status: 'RECEIPTED' });
    for (const wake of this.receiptWaiters.splice(0)) wake();
  }

  private async checkToken(req: IncomingMessage, scope: string): Promise<string | undefined> {
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(req.headers.authorization ?? '');
    if (!match) return 'no bearer token';
    const verified = await this.options.idp.verify(match[1], this.publicUrl, scope);
    return verified.ok ? undefined : verified.reason;
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

function describe(req: IncomingMessage): string {
  const shown = ['authorization', 'range', 'if-match', 'content-type'].filter((h) => req.headers[h] !== undefined);
  return [`${req.method} ${req.url}`, ...shown.map((h) => `${h}: ${h === 'authorization' ? 'Bearer [redacted]' : String(req.headers[h])}`)].join('\n');
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function answer(res: ServerResponse, a: Answered) {
  const isProblem = typeof (a.body as { type?: unknown })?.type === 'string' && a.status >= 400;
  res.writeHead(a.status, { 'content-type': isProblem ? 'application/problem+json' : 'application/json' }).end(JSON.stringify(a.body));
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, type: string, detail: string) {
  res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type, title: detail, status, detail }));
}
