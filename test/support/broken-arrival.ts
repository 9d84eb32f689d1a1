import { createHash, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { clientCredentialsToken } from './stack-session';

/**
 * A small arrival gateway that is conformant except for rules it breaks on purpose, so that
 * the conformance kit can be shown to name exactly those rules:
 * - it never verifies a delivery manifest's signature (it only decodes it and checks `typ`):
 *   ARR-15 (tampered manifest), ARR-16 (unpublished key), ARR-17 (`alg: none`);
 * - it answers an offer whose values are invalid with a plain-text 400, not problem+json:
 *   ARR-12 and ARR-13.
 * Everything else (tokens, unknown fields, idempotency, claims, origins, pulling with checks,
 * signed receipts) it does as the contract says. It imports at once (there is no ENT behind it).
 */
export const BROKEN_ARRIVAL_VIOLATES = ['ARR-12', 'ARR-13', 'ARR-15', 'ARR-16', 'ARR-17'];

export interface BrokenArrivalOptions {
  issuer: string;
  /** Its own client at the IdP (for its calls to the departure). */
  client: { id: string; secret: string };
  /** The one peer it trusts: the departure under test. */
  peer: { entId: string; clientId: string; discoveryUrl: string; uais: string[] };
  uai: string;
}

const P = (name: string) => `urn:ent-portability:problem:${name}`;
const OFFER_KEYS = ['offerId', 'contractVersion', 'departure', 'arrival', 'owner', 'expiresAt', 'items'];
const ITEM_KEYS = ['itemId', 'title', 'category', 'formats', 'metadata'];
const CATEGORIES = ['CAHIER_TEXTES', 'COURRIER_ELECTRONIQUE', 'PARCOURS_PEDAGOGIQUE', 'STOCKAGE_PARTAGE', 'GESTION_TEMPS', 'PRODUCTION_COLLABORATIVE', 'GESTION_COMPETENCES', 'RESSOURCE_ORIENTATION', 'RESSOURCE_PRODUCTION', 'RESSOURCE_DOCUMENTAIRE', 'MANUEL_NUMERIQUE', 'RESSOURCE_MULTIMEDIA'];

interface Stored {
  digest: string;
  answer: any;
  offer: any;
  manifest?: string;
}

export class BrokenArrival {
  readonly entId = 'broken-arrival';
  url = '';
  private server?: Server;
  private readonly offers = new Map<string, Stored>();
  private key?: { privateKey: KeyObject; jwk: Record<string, unknown> };

  constructor(private readonly o: BrokenArrivalOptions) {}

  async start(port = 0): Promise<void> {
    // node:crypto rather than jose: jest runs CommonJS and jose is ESM-only.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid: 'broken-1', alg: 'ES256', use: 'sig' } };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => send(res, 500, { type: P('internal'), title: err.message, status: 500 }, 'application/problem+json'));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (req.method === 'GET' && path === '/.well-known/ent-portability') {
      return send(res, 200, {
        contractVersions: ['1'], entId: this.entId, uais: [this.o.uai], issuer: this.o.issuer, audience: this.url, jwksUri: `${this.url}/keys`,
        // Paths of its own: the kit must read them here, never assume ours.
        endpoints: {
          capabilities: `${this.url}/api/caps`, offers: `${this.url}/api/offers`, deliveries: `${this.url}/api/offers/{offerId}/manifest`,
          itemContent: `${this.url}/api/transfers/{transferId}/items/{itemId}`, receipt: `${this.url}/api/transfers/{transferId}/receipt`,
        },
        limits: { maxItemsPerOffer: 500, maxBodyBytes: 1048576, maxItemBytes: 1073741824, offerTtlSeconds: 86400 },
      });
    }
    if (req.method === 'GET' && path === '/keys') return send(res, 200, { keys: [this.key!.jwk] });
    const scope = path === '/api/caps' ? 'portability:capabilities' : path === '/api/offers' ? 'portability:offer' : 'portability:deliver';
    const denied = await this.authenticate(req, scope);
    if (denied) return problem(res, denied.status, denied.type, denied.title);
    if (req.method === 'GET' && path === '/api/caps') {
      return send(res, 200, { contractVersion: '1', entId: this.entId, categories: [{ category: 'STOCKAGE_PARTAGE', imports: [{ format: 'binary', mediaTypes: ['application/pdf'] }] }], refusedCategories: [], maxItemBytes: 1073741824, converters: [] });
    }
    const body = await readJson(req);
    if (body === undefined) return problem(res, 400, P('malformed-json'), 'Malformed JSON');
    if (req.method === 'POST' && path === '/api/offers') return this.offer(res, body);
    const m = /^\/api\/offers\/([0-9a-f-]{36})\/manifest$/.exec(path);
    if (req.method === 'POST' && m) return this.delivery(res, m[1], body);
    return problem(res, 404, P('not-found'), 'Not found');
  }

  private async authenticate(req: IncomingMessage, scope: string): Promise<{ status: number; type: string; title: string } | undefined> {
    const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(req.headers.authorization ?? '');
    if (!m) return { status: 401, type: P('unauthenticated'), title: 'Bearer token required' };
    const claims = await verifyAccessToken(m[1], this.o.issuer);
    if (!claims) return { status: 401, type: P('invalid-token'), title: 'Invalid token' };
    if (![claims.aud].flat().includes(this.url)) return { status: 403, type: P('wrong-audience'), title: 'Wrong audience' };
    if (!String(claims.scope ?? '').split(' ').includes(scope)) return { status: 403, type: P('insufficient-scope'), title: 'Insufficient scope' };
    if (claims.client_id !== this.o.peer.clientId) return { status: 403, type: P('unknown-peer'), title: 'Unknown peer' };
    return undefined;
  }

  private offer(res: ServerResponse, offer: any) {
    const unknown = Object.keys(offer).filter((k) => !OFFER_KEYS.includes(k)).concat(...(Array.isArray(offer.items) ? offer.items : []).map((i: any) => Object.keys(i ?? {}).filter((k) => !ITEM_KEYS.includes(k))));
    if (unknown.length) return problem(res, 400, P('validation-failed'), 'Unknown fields', { errors: unknown.map((field) => ({ field, messages: ['is not allowed'] })) });
    const valid = typeof offer.offerId === 'string' && Array.isArray(offer.items) && offer.items.length > 0
      && offer.items.every((i: any) => CATEGORIES.includes(i.category) && Array.isArray(i.formats) && i.formats.length > 0);
    // The deliberate bug: invalid values get a bare text answer.
    if (!valid) return send(res, 400, 'bad request', 'text/plain');
    if (offer.arrival?.uai !== this.o.uai) return problem(res, 422, P('unknown-arrival'), 'Arrival not served here');
    if (!this.o.peer.uais.includes(offer.departure?.uai)) return problem(res, 422, P('unknown-departure'), 'Departure school not registered for the caller');
    const digest = createHash('sha256').update(JSON.stringify(offer)).digest('hex');
    const existing = this.offers.get(offer.offerId);
    if (existing) return existing.digest === digest ? send(res, 200, existing.answer) : problem(res, 409, P('conflict'), 'Offer id already used');
    const answer = {
      offerId: offer.offerId, arrivalEntId: this.entId, answeredAt: new Date().toISOString(),
      items: offer.items.map((i: any) => ({ itemId: i.itemId, decision: 'IMPORT', sourceFormat: i.formats[0].format, targetFormat: i.formats[0].format, losses: [], reasons: [] })),
    };
    this.offers.set(offer.offerId, { digest, answer, offer });
    return send(res, 200, answer);
  }

  private async delivery(res: ServerResponse, offerId: string, body: any) {
    if (Object.keys(body).some((k) => k !== 'manifest') || typeof body.manifest !== 'string') return problem(res, 400, P('validation-failed'), 'Invalid delivery body');
    const stored = this.offers.get(offerId);
    if (!stored) return problem(res, 404, P('not-found'), 'Unknown offer');
    let header;
    let manifest;
    try {
      header = JSON.parse(Buffer.from(body.manifest.split('.')[0], 'base64url').toString('utf8'));
      // The deliberate bug: the payload is read without checking the signature.
      manifest = JSON.parse(Buffer.from(body.manifest.split('.')[1], 'base64url').toString('utf8'));
    } catch {
      return problem(res, 400, P('invalid-signature'), 'Not a JWS');
    }
    if (header.typ !== 'ent-portability-manifest+jws') return problem(res, 400, P('invalid-signature'), 'Wrong typ');
    if (stored.manifest) return stored.manifest === body.manifest ? send(res, 202, { offerId, status: 'FETCHING', objects: manifest.objects.length }) : problem(res, 409, P('conflict'), 'Already delivered');
    const peer = await (await fetch(this.o.peer.discoveryUrl)).json() as any;
    const origins = [new URL(String(peer.endpoints.itemContent).replace(/\{[A-Za-z]+\}/g, 'x')).origin];
    const wrong = manifest.offerId !== offerId || manifest.departureEntId !== this.o.peer.entId || manifest.arrivalEntId !== this.entId
      || !Array.isArray(manifest.objects) || manifest.objects.some((o: any) => !origins.includes(new URL(o.contentUrl).origin) || !stored.answer.items.some((d: any) => d.itemId === o.itemId));
    if (wrong) return problem(res, 400, P('validation-failed'), 'Manifest does not match the offer');
    stored.manifest = body.manifest;
    send(res, 202, { offerId, status: 'FETCHING', objects: manifest.objects.length });
    void this.pullAndReceipt(offerId, stored, manifest, peer);
  }

  private async pullAndReceipt(offerId: string, stored: Stored, manifest: any, peer: any) {
    const statuses = new Map<string, { status: string; localId?: string; reason?: string }>();
    for (const o of manifest.objects) {
      try {
        const token = await clientCredentialsToken(this.o.issuer, this.o.client, peer.audience, 'portability:fetch');
        const first = await fetch(o.contentUrl, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
        const res = first.status === 302 ? await fetch(new URL(first.headers.get('location')!, o.contentUrl)) : first;
        const bytes = Buffer.from(await res.arrayBuffer());
        if (!res.ok) throw new Error(`answered ${res.status}`);
        if (bytes.length !== o.sizeBytes) throw new Error(`size ${bytes.length}, manifest says ${o.sizeBytes}`);
        if (createHash('sha256').update(bytes).digest('hex') !== o.sha256) throw new Error('SHA-256 mismatch');
        statuses.set(o.itemId, { status: 'IMPORTED', localId: randomUUID() });
      } catch (err) {
        // Receipts carry stable reason codes (contract ITEM_FAILURE_REASONS), never the message.
        statuses.set(o.itemId, { status: 'FAILED', reason: /size|SHA-256/.test((err as Error).message) ? 'CONTENT_INTEGRITY_MISMATCH' : 'CONTENT_UNAVAILABLE' });
      }
    }
    const receipt = {
      offerId, arrivalEntId: this.entId, departureEntId: this.o.peer.entId, issuedAt: new Date().toISOString(),
      items: stored.offer.items.map((i: any) => ({ itemId: i.itemId, ...(statuses.get(i.itemId) ?? { status: 'FAILED', reason: 'NOT_DELIVERED' }) })),
    };
    const signingInput = `${b64({ alg: 'ES256', kid: 'broken-1', typ: 'ent-portability-receipt+jws' })}.${b64(receipt)}`;
    const jws = `${signingInput}.${sign('sha256', Buffer.from(signingInput), { key: this.key!.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const token = await clientCredentialsToken(this.o.issuer, this.o.client, peer.audience, 'portability:receipt');
    await fetch(String(peer.endpoints.receipt).replace('{transferId}', offerId), {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ receipt: jws }),
    });
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An RS256 `at+jwt` of the IdP, checked with node:crypto: signature, issuer, expiry. Its claims, or undefined. */
async function verifyAccessToken(token: string, issuer: string): Promise<Record<string, any> | undefined> {
  try {
    const [h, p, s] = token.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    if (header.alg !== 'RS256' || header.typ !== 'at+jwt') return undefined;
    const { keys } = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: (JsonWebKey & { kid?: string })[] };
    const jwk = keys.find((k) => k.kid === header.kid);
    if (!jwk || !verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'))) return undefined;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (claims.iss !== issuer || typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

function readJson(req: IncomingMessage): Promise<any> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'content-type': type }).end(typeof body === 'string' ? body : JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, type: string, title: string, extra: Record<string, unknown> = {}) {
  send(res, status, { type, title, status, ...extra }, 'application/problem+json');
}
