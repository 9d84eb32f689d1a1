import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './support/ports';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

jest.setTimeout(300_000);

/**
 * #12: the worked example of the implementer's guide is captured from the running gateways, so
 * it cannot drift from the code. Recording proxies sit in front of both gateways (their public
 * URLs) and of gateway A's S3 endpoint; one real transfer A → B goes through them; every
 * peer-contract exchange is normalised and rendered as `docs/contract/example/worked-example.md`.
 * `UPDATE_CONTRACT_EXAMPLE=1` (npm run contract-example) rewrites the file; otherwise the test
 * fails when the committed file differs from what it captured.
 */
const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, 'docs/contract/example/worked-example.md');

interface Exchange {
  seq: number;
  via: 'a' | 'b' | 's3';
  method: string;
  url: string;
  reqHeaders: IncomingHttpHeaders;
  reqBody: string;
  status: number;
  resHeaders: IncomingHttpHeaders;
  resBody?: string;
}

/** A transparent proxy that records what crosses it (bodies only when they are text). */
class RecordingProxy {
  readonly exchanges: Exchange[] = [];
  private server!: Server;
  port = 0;
  static seq = 0;
  constructor(
    private readonly via: Exchange['via'],
    private readonly upstreamPort: () => number,
    private readonly keep: (method: string, url: string) => boolean,
  ) {}
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(port: number) {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server.listen(port, '127.0.0.1', ok));
    this.port = port;
  }
  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }
  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const seq = RecordingProxy.seq++;
    const up = request({ host: '127.0.0.1', port: this.upstreamPort(), method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      const out: Buffer[] = [];
      upRes.on('data', (c: Buffer) => out.push(c));
      upRes.on('end', () => {
        const resBody = Buffer.concat(out);
        if (this.keep(req.method ?? '', req.url ?? '')) {
          const type = String(upRes.headers['content-type'] ?? '');
          this.exchanges.push({
            seq, via: this.via, method: req.method ?? '', url: req.url ?? '', reqHeaders: req.headers, reqBody: body.toString('utf8'),
            status: upRes.statusCode ?? 0, resHeaders: upRes.headers,
            resBody: this.via !== 's3' && /json|text\/plain/.test(type) ? resBody.toString('utf8') : undefined,
          });
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.end(resBody);
      });
    });
    up.on('error', () => res.writeHead(502).end());
    up.end(body);
  }
}

const peerPath = (_m: string, url: string) => url.startsWith('/.well-known/ent-portability') || url.startsWith('/portability/');

/** Deterministic replacement of volatile values, by first appearance in the (stably sorted) capture. */
class Normaliser {
  private readonly maps = new Map<string, Map<string, string>>();
  constructor(private readonly hosts: [string, string][]) {}
  token(kind: string, value: string, fixed?: string): string {
    let m = this.maps.get(kind);
    if (!m) this.maps.set(kind, (m = new Map()));
    if (!m.has(value)) m.set(value, fixed ?? `<${kind}-${m.size + 1}>`);
    return m.get(value)!;
  }
  str(s: string): string {
    for (const [from, to] of this.hosts) s = s.split(from).join(to);
    s = s.replace(/\?[^\s"]*X-Amz-[^\s"]*/g, '?<presigned>');
    s = s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (u) => this.token('uuid', u.toLowerCase()));
    s = s.replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\b/g, '<date>');
    return s;
  }
  value(v: unknown, key = ''): unknown {
    if (Array.isArray(v)) return v.map((x) => this.value(x, key));
    if (v && typeof v === 'object') {
      // The index objects are generated per delivery (they name the offer and its dates): their
      // digest changes every run, and so does their size (the HTML page writes the date in words,
      // « lundi » or « dimanche »). The content's digests and sizes are the seeded files' and are kept.
      const generated = typeof (v as Record<string, unknown>).name === 'string' && /\/index\//.test(String((v as Record<string, unknown>).contentUrl ?? ''));
      const volatile: Record<string, string> = { sha256: '<sha256 of the generated index>', sizeBytes: '<size of the generated index>' };
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, generated && k in volatile ? volatile[k] : this.value(x, k)]));
    }
    if (typeof v === 'number' && ['iat', 'exp', 'nbf', 'auth_time'].includes(key)) return '<epoch seconds>';
    if (typeof v !== 'string') return v;
    if (['n', 'x', 'y', 'e'].includes(key) && /^[\w-]+$/.test(v)) return key === 'e' ? v : '<public key>';
    if (key === 'kid') return this.token('kid', v);
    if (key === 'jti') return this.token('jti', v);
    if (key === 'localId') return this.token('localId', v);
    if (isJwt(v)) return this.jwt(v);
    return this.str(v);
  }
  jwt(v: string): string {
    return this.token('jws', v);
  }
}

const isJwt = (s: string) => /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/.test(s);
const decodeJwt = (s: string) => {
  const [h, p] = s.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')), payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) };
};

const REQ_HEADERS = ['authorization', 'content-type', 'accept', 'range', 'if-match'];
const RES_HEADERS = ['content-type', 'cache-control', 'location', 'retry-after', 'accept-ranges', 'content-range', 'content-length', 'etag'];

describe('the worked example of the peer contract, captured from the running gateways', () => {
  let env: StackSession;
  let proxyA: RecordingProxy;
  let proxyB: RecordingProxy;
  let proxyS3: RecordingProxy;
  let s3Port = 0;
  const ports = { gatewayA: 0, gatewayB: 0 };

  beforeAll(async () => {
    ports.gatewayA = await freePort();
    ports.gatewayB = await freePort();
    proxyA = new RecordingProxy('a', () => ports.gatewayA, peerPath);
    proxyB = new RecordingProxy('b', () => ports.gatewayB, peerPath);
    // Only the arrival's presigned GETs: gateway A's own staging traffic is not part of the contract.
    proxyS3 = new RecordingProxy('s3', () => s3Port, (m, url) => m === 'GET' && /X-Amz-Signature=/.test(url));
    await proxyA.start(await freePort());
    await proxyB.start(await freePort());
    await proxyS3.start(await freePort());
    const s3Endpoint = process.env.S3_ENDPOINT;
    if (!s3Endpoint) throw new Error('the worked example needs a real S3 (S3_ENDPOINT): its presigned redirects are part of it');
    s3Port = Number(new URL(s3Endpoint).port);
    env = await bootStack('contract-example', {
      ports,
      publicUrls: { a: proxyA.url, b: proxyB.url },
      env: { 'gateway-a': { S3_ENDPOINT: proxyS3.url } },
    }).catch(async (err) => {
      await Promise.all([proxyA.stop(), proxyB.stop(), proxyS3.stop()]);
      throw err;
    });
  });
  afterAll(async () => {
    await env?.close();
    await Promise.all([proxyA?.stop(), proxyB?.stop(), proxyS3?.stop()]);
  });

  it('one transfer A → B, every peer exchange in order, equal to the committed document', async () => {
    const atA = await TeacherClient.login(proxyA.url, 'marie.dupont', 'demo-marie');
    const { items: contents } = await atA.json<{ items: any[] }>('GET', '/api/contents');
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE');
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE' && c.metadataFormats.includes('scolomfr-3.1'));
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [course.id, pdf.id] });
    const analysed = await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    expect(analysed.items.map((i: any) => i.decision)).toEqual(['IMPORT', 'IMPORT']);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('departure DELIVERED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return ['DELIVERED', 'RECEIPTED', 'CLEANED'].includes(t.state) && t;
    }, 120_000);
    const atB = await TeacherClient.login(proxyB.url, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('arrival DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL', 'FAILED'].includes(t.state) && t;
    }, 120_000);
    expect(received.state).toBe('DONE');
    await waitUntil('departure CLEANED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return t.state === 'CLEANED' && t;
    }, 60_000);

    const doc = render(
      [...proxyA.exchanges, ...proxyB.exchanges, ...proxyS3.exchanges],
      new Normaliser([
        [proxyA.url, 'https://gateway-a.example'],
        [proxyB.url, 'https://gateway-b.example'],
        [proxyS3.url, 'https://s3.example'],
        [env.stack.urls.idp, 'https://idp.example'],
        [env.buckets.a, 'gateway-a-bucket'],
        // Gateway B's own storage, named in its discovery document (B is not proxied there).
        [new URL(process.env.S3_ENDPOINT!).origin, 'https://s3-b.example'],
      ]),
      draft.id,
      [course.id, pdf.id],
    );
    if (process.env.UPDATE_CONTRACT_EXAMPLE) {
      mkdirSync(dirname(OUT), { recursive: true });
      writeFileSync(OUT, doc);
    }
    const committed = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
    // On a difference: `npm run contract-example` regenerates it (then review the diff).
    expect(committed).toBe(doc);
  });
});

type Kind = { rank: number; what: string };

/** The exchange's place in the contract's sequence: racing requests get a stable order. */
function kindOf(e: Exchange): Kind | undefined {
  const p = e.url.split('?')[0];
  if (e.via === 's3') return { rank: 0, what: 'The arrival follows the redirect without the token: the object itself (body not shown).' };
  const side = e.via === 'a' ? 'departure' : 'arrival';
  if (p === '/.well-known/ent-portability') return { rank: e.via === 'b' ? 10 : 40, what: `The ${side}'s discovery document: its endpoints, audience, JWKS URI and content origins.` };
  if (p === '/.well-known/ent-portability/jwks.json') return { rank: e.via === 'b' ? 90 : 45, what: e.via === 'a' ? 'The departure\'s public keys, read to verify the manifest.' : 'The arrival\'s public keys, read to verify the receipt.' };
  if (p === '/portability/v1/capabilities') return { rank: 20, what: 'What the arrival imports: formats, metadata records, limits.' };
  if (p === '/portability/v1/offers') return { rank: 30, what: 'The offer (with the owner\'s proof) and the arrival\'s answer, item by item, with the metadata record it takes.' };
  if (/\/deliveries$/.test(p)) return { rank: 50, what: 'The signed delivery manifest; the arrival verifies it, then fetches every object.' };
  if (/\/index\//.test(p)) return { rank: 65, what: 'A delivery index object (listed in the manifest\'s `index`), asked like the content: a redirect to the departure\'s storage.' };
  if (/\/(content|metadata)$/.test(p)) return { rank: 60, what: 'A manifest object asked with a `portability:fetch` token: a redirect to the departure\'s storage.' };
  if (/\/receipt$/.test(p)) return { rank: 80, what: 'The signed receipt naming every item; the departure verifies it and deletes its staged copies.' };
  return undefined;
}

function render(all: Exchange[], n: Normaliser, offerId: string, itemIds: string[]): string {
  // Names first, so that they do not depend on which request came first.
  n.token('uuid', offerId.toLowerCase(), '<offerId>');
  itemIds.forEach((id, i) => /[0-9a-f-]{36}/i.test(id) && n.token('uuid', id.toLowerCase(), `<itemId-${i + 1}>`));
  const bare = (e: Exchange) => e.url.split('?')[0];
  const kinded = all.map((e) => ({ e, k: kindOf(e) })).filter((x): x is { e: Exchange; k: Kind } => !!x.k);
  // The S3 GET goes right after the redirect that named it.
  const redirectOf = new Map<string, { path: string; rank: number }>();
  for (const { e, k } of kinded) if (e.resHeaders.location) redirectOf.set(new URL(String(e.resHeaders.location)).pathname, { path: bare(e), rank: k.rank });
  // One of each: discovery documents and keys may be read again from a cache refresh.
  const seen = new Set<string>();
  const ordered = kinded
    .map((x) => {
      if (x.e.via !== 's3') return { ...x, rank: x.k.rank, key: bare(x.e) };
      const from = redirectOf.get(bare(x.e));
      return { ...x, rank: from?.rank ?? 70, key: `${from?.path ?? bare(x.e)}\u0001${x.e.reqHeaders.range ?? ''}` };
    })
    .sort((x, y) => x.rank - y.rank || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0) || x.e.seq - y.e.seq)
    .filter((x) => {
      const id = `${x.e.via} ${x.e.method} ${x.key}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });

  const lines: string[] = [
    '# Worked example: one transfer A → B, as it crossed the wire',
    '',
    '<!-- Generated by test/contract-example.e2e-spec.ts (npm run contract-example); a test fails when it differs from the code. Do not edit. -->',
    '',
    'Marie Dupont moves a Moodle course (IMS Common Cartridge) and a PDF described by a ScoLOMFR record from',
    'ENT A (departure, `https://gateway-a.example`) to ENT B (arrival, `https://gateway-b.example`). Every',
    'request of the peer contract between the two gateways is shown in the order of the exchange, captured',
    'by recording proxies in front of both gateways and of the departure\'s storage (`https://s3.example`).',
    'Volatile values are normalised: `<offerId>`, `<itemId-N>`, `<uuid-N>` for ids, `<date>` for times,',
    '`<jws-N>` for compact JWS/JWT (decoded below each step, signature replaced by `<signature>`), `<kid-N>`,',
    '`<public key>`, `<presigned>` for a presigned query string. Calls to the IdP (client credentials, see',
    'the implementer\'s guide) are not shown. Content bytes are not shown.',
    '',
  ];
  const jwsShown = new Set<string>();
  const decodedBlocks: string[] = [];
  const collectJws = (v: unknown) => {
    if (typeof v === 'string' && isJwt(v)) {
      const name = n.jwt(v);
      if (!jwsShown.has(name)) {
        jwsShown.add(name);
        const d = decodeJwt(v);
        decodedBlocks.push(`\`${name}\` decoded (signature: \`<signature>\`):`, '', '```json', JSON.stringify({ protectedHeader: n.value(d.header), payload: n.value(d.payload) }, null, 2), '```', '');
      }
      return;
    }
    if (Array.isArray(v)) v.forEach(collectJws);
    else if (v && typeof v === 'object') Object.values(v).forEach(collectJws);
  };
  const headerLines = (h: IncomingHttpHeaders, names: string[], prefix: string, generatedIndex = false) => {
    const out: string[] = [];
    for (const name of names) {
      const raw = h[name];
      if (raw === undefined) continue;
      let value = String(raw);
      if (name === 'authorization') {
        const token = value.replace(/^Bearer /, '');
        collectJws(token);
        value = isJwt(token) ? `Bearer ${n.jwt(token)} (access token: JWT, claims below)` : 'Bearer <opaque>';
      } else if (name === 'etag') value = '"<etag>"';
      else if (name === 'content-length' && generatedIndex) value = '<size of the generated index>';
      else value = n.str(value);
      out.push(`${prefix}${name}: ${value}`);
    }
    return out;
  };
  const body = (text: string | undefined) => {
    if (!text) return [];
    try {
      const json = JSON.parse(text);
      collectJws(json);
      return ['', JSON.stringify(n.value(json), null, 2)];
    } catch {
      return ['', n.str(text)];
    }
  };

  ordered.forEach(({ e, k }, i) => {
    decodedBlocks.length = 0;
    const host = e.via === 'a' ? 'https://gateway-a.example' : e.via === 'b' ? 'https://gateway-b.example' : 'https://s3.example';
    const caller = e.via === 'a' ? 'arrival → departure' : e.via === 'b' ? 'departure → arrival' : 'arrival → departure\'s storage';
    lines.push(`## ${i + 1}. ${e.method} ${n.str(e.url.split('?')[0])} (${caller})`, '', k.what, '', '```http');
    lines.push(`${e.method} ${n.str(`${host}${e.url}`)}`);
    lines.push(...headerLines(e.reqHeaders, REQ_HEADERS, ''));
    lines.push(...body(e.method === 'GET' ? undefined : e.reqBody));
    lines.push('```', '', '```http', `HTTP/1.1 ${e.status}`);
    lines.push(...headerLines(e.resHeaders, RES_HEADERS.filter((h) => h !== 'content-length' || e.via === 's3'), '', /\/_?index\//.test(e.url.split('?')[0])));
    lines.push(...body(e.resBody));
    lines.push('```', '');
    lines.push(...decodedBlocks);
  });
  return lines.join('\n').replace(/\n+$/, '\n');
}
