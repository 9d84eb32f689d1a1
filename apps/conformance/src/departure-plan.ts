import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, JSONWebKeySet } from 'jose';
import { PublishedContract } from './contract';
import { excerpt, http, HttpResult } from './http';
import { Idp } from './idp';
import { Answered, ArrivalSide, KitServer, newSigningKey, signJws } from './kit-server';
import { expectProblem, MANIFEST_TYP, PeerDiscovery, PlanAborted, problemType as P, readDiscovery, readJwks, RECEIPT_TYP, verifyPeerJws } from './peer-checks';
import { Exchange, Results } from './results';

export interface DeparturePlanOptions {
  /** The target's base URL or its discovery URL. */
  target: string;
  idp: Idp;
  /** The kit's ENT id and UAI, as the target registered them. */
  entId: string;
  uai: string;
  /** How long to wait for the offer, then for each delivery. */
  waitMs: number;
  /** How long to watch, after answering 413, that the departure does not deliver again by itself. */
  pauseCheckMs: number;
  /** How long the kit stops in the middle of the first object (a slow pull). */
  slowPullMs: number;
  /** The vendor (or --start-command) starts a transfer to the kit's UAI now. */
  awaitStart: () => Promise<void>;
  /** The vendor (or --resume-command) resumes the paused transfer now. */
  awaitResume: () => Promise<void>;
  log: (line: string) => void;
}

interface Offer {
  offerId: string;
  departure: { entId: string; uai: string };
  arrival: { uai: string };
  items: { itemId: string; category: string; formats: { format: string; mediaType: string; sizeBytes: number }[] }[];
}

interface Decision {
  itemId: string;
  decision: 'IMPORT' | 'CONVERT' | 'REFUSED';
  sourceFormat?: string;
  targetFormat?: string;
  converters?: string[];
  losses: { code: string; message: string }[];
  reasons: { code: string; message: string }[];
}

interface ManifestObject {
  itemId?: string;
  name?: string;
  role?: string;
  format?: string;
  mediaType?: string;
  sizeBytes: number;
  sha256: string;
  contentUrl: string;
}

interface Delivery {
  jws: string;
  manifest?: { offerId?: string; departureEntId?: string; arrivalEntId?: string; issuedAt?: string; objects?: ManifestObject[]; index?: ManifestObject[] };
  at: number;
  request: string;
}

/** A tiny mailbox: handlers of the kit's server post, the plan waits. */
class Mailbox<T> {
  private readonly items: T[] = [];
  private waiting?: () => void;
  post(item: T) {
    this.items.push(item);
    this.waiting?.();
  }
  async next(timeoutMs: number): Promise<T | undefined> {
    const end = Date.now() + timeoutMs;
    while (!this.items.length && Date.now() < end) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(end - Date.now(), 1000));
        this.waiting = () => { clearTimeout(timer); resolve(); };
      });
    }
    return this.items.shift();
  }
}

const ANSWER_LOSS = { code: 'KIT_CONVERSION', message: 'Conversion annoncée par le kit de conformité (rien n\'est réellement converti).' };

/**
 * Target as departure: the kit plays an arrival at a UAI of its own and waits for a transfer
 * to it. It answers the offer with a CONVERT and a REFUSED among its decisions, refuses the
 * first delivery with 413 destination-full, pulls slowly and with `Range`, and sends a receipt
 * signed by a key it published only after the delivery, after one signed by a key it never
 * published.
 */
export class DeparturePlan implements ArrivalSide {
  private readonly contract = new PublishedContract();
  private discovery!: PeerDiscovery;
  private jwks?: JSONWebKeySet;
  private received?: Offer;
  private answer?: { offerId: string; arrivalEntId: string; answeredAt: string; items: Decision[] };
  private readonly offers = new Mailbox<Offer>();
  private readonly deliveries = new Mailbox<Delivery>();
  /** 'full' until the pause has been observed: every delivery is then answered 413. */
  private room: 'full' | 'open' = 'full';
  server!: KitServer;

  constructor(
    private readonly o: DeparturePlanOptions,
    private readonly results: Results,
  ) {}

  async run(): Promise<void> {
    this.o.log('Discovery and keys');
    this.discovery = await readDiscovery(this.o.target, this.contract, this.results, 'DEP-01', ['receipt']);
    this.jwks = await readJwks(this.discovery.jwksUri, this.results, 'DEP-02');

    this.o.log(`Waiting for an offer to UAI ${this.o.uai} (up to ${Math.round(this.o.waitMs / 1000)} s)`);
    await this.o.awaitStart();
    const offer = await this.offers.next(this.o.waitMs);
    if (!offer) {
      this.results.record('DEP-03', 'fail', `no valid offer came within ${Math.round(this.o.waitMs / 1000)} s`);
      throw new PlanAborted('no offer came: nothing else can be checked');
    }

    this.o.log('First delivery (answered 413 destination-full)');
    const first = await this.deliveries.next(this.o.waitMs);
    if (!first) {
      this.results.record('DEP-06', 'fail', `no delivery came within ${Math.round(this.o.waitMs / 1000)} s of the answer`);
      throw new PlanAborted('no delivery came: nothing else can be checked');
    }
    this.o.log(`Watching for ${Math.round(this.o.pauseCheckMs / 1000)} s that the departure pauses`);
    const early = await this.deliveries.next(this.o.pauseCheckMs);
    this.results.check('DEP-13', !early, early ? `delivered again ${Math.round((early.at - first.at) / 1000)} s after a 413, without its teacher resuming` : `no delivery for ${Math.round(this.o.pauseCheckMs / 1000)} s after the 413: paused`, early ? [{ request: early.request, response: 'HTTP 413 (again)' }] : []);
    this.room = 'open';
    await this.o.awaitResume();
    let second = await this.deliveries.next(this.o.waitMs);
    while (second && second.at < Date.now() - this.o.waitMs) second = await this.deliveries.next(this.o.waitMs);
    if (!second?.manifest) {
      this.results.record('DEP-13', 'fail', `no delivery came within ${Math.round(this.o.waitMs / 1000)} s of the resume`);
      throw new PlanAborted('the transfer was not delivered again after the pause');
    }
    const same = JSON.stringify(second.manifest.objects) === JSON.stringify(first.manifest?.objects);
    this.results.check('DEP-13', same, same ? 'after the resume, the same manifest was delivered again' : 'after the resume, the manifest lists other objects than the first delivery', [{ request: second.request, response: 'HTTP 202' }]);

    this.o.log('Pulling the objects');
    const fetched = await this.pull(second.manifest.objects ?? [], second.manifest.index ?? []);

    this.o.log('Receipts');
    await this.receipts(offer, fetched);
  }

  // ------------------------------------------------------------------ the kit's arrival endpoints

  async capabilities(tokenProblem: string | undefined): Promise<Answered> {
    if (tokenProblem) return problemOf(401, P('invalid-token'), tokenProblem);
    return {
      status: 200,
      body: {
        contractVersion: '1', entId: this.o.entId, refusedCategories: [], maxItemBytes: 1024 ** 3, converters: [],
        categories: [{ category: 'STOCKAGE_PARTAGE', imports: [{ format: 'binary', mediaTypes: ['application/pdf'] }] }],
      },
    };
  }

  async offer(tokenProblem: string | undefined, request: string, body: unknown): Promise<Answered> {
    const evidence = (response: string): Exchange[] => [{ request, response }];
    if (tokenProblem) {
      this.results.record('DEP-03', 'fail', `offer sent with an unacceptable token: ${tokenProblem}`, evidence('HTTP 401'));
      return problemOf(401, P('invalid-token'), tokenProblem);
    }
    this.results.record('DEP-03', 'pass', 'offer sent to the kit\'s offers endpoint with a token for its audience and portability:offer', evidence('(accepted)'));
    const offer = body as Offer | undefined;
    if (this.received && offer?.offerId === this.received.offerId) return { status: 200, body: this.answer }; // the same offer again
    const problems = this.checkOffer(offer);
    if (problems.length) {
      this.results.record('DEP-04', 'fail', `offer: ${problems.join('; ')}`, evidence('HTTP 400'));
      return problemOf(400, P('validation-failed'), problems.join('; '));
    }
    this.results.record('DEP-04', 'pass', `offer ${offer!.offerId}: ${offer!.items.length} items, conforms`, evidence('HTTP 200'));
    this.received = offer!;
    this.answer = { offerId: offer!.offerId, arrivalEntId: this.o.entId, answeredAt: new Date().toISOString(), items: offer!.items.map((item, n) => this.decide(item, n)) };
    this.o.log(`  answer: ${this.answer.items.map((d) => `${d.itemId} ${d.decision}`).join(', ')}`);
    if (offer!.items.length < 3) this.results.record('DEP-05', 'fail', `the offer has ${offer!.items.length} item(s): start a transfer of at least three, so that one can be refused and one converted`);
    this.offers.post(offer!);
    return { status: 200, body: this.answer };
  }

  /** The awkward answer: the first item imported, the second converted, the others refused. */
  private decide(item: Offer['items'][number], n: number): Decision {
    const source = item.formats[0].format;
    if (n === 0) return { itemId: item.itemId, decision: 'IMPORT', sourceFormat: source, targetFormat: source, losses: [], reasons: [{ code: 'NATIVE_IMPORT', message: 'Importé tel quel.' }] };
    if (n === 1) {
      return {
        itemId: item.itemId, decision: 'CONVERT', sourceFormat: source, targetFormat: source === 'binary' ? 'kit-converted' : 'binary',
        converters: ['conformance-kit-converter'], losses: [ANSWER_LOSS], reasons: [{ code: 'CONVERSION_AVAILABLE', message: 'Converti à l\'arrivée.' }],
      };
    }
    return { itemId: item.itemId, decision: 'REFUSED', losses: [], reasons: [{ code: 'CATEGORY_REFUSED', message: 'Refusé par le kit de conformité.' }] };
  }

  private checkOffer(offer: Offer | undefined): string[] {
    if (!offer || typeof offer !== 'object') return ['the body is not a JSON object'];
    const problems = [...this.contract.validate('peer', 'Offer', offer), ...this.contract.unknownFields('peer', 'Offer', offer).map((f) => `unknown field ${f}`)];
    const o = offer as Offer & { contractVersion?: unknown; expiresAt?: unknown; owner?: { identityClaim?: unknown; identity?: unknown } };
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(o.offerId))) problems.push('offerId is not a UUID');
    if (o.contractVersion !== '1') problems.push('contractVersion is not "1"');
    if (o.departure?.entId !== this.discovery.entId) problems.push(`departure.entId ${String(o.departure?.entId)} is not the discovery entId ${this.discovery.entId}`);
    if (!this.discovery.uais.includes(String(o.departure?.uai))) problems.push(`departure.uai ${String(o.departure?.uai)} is not among the discovery uais`);
    if (o.arrival?.uai !== this.o.uai) problems.push(`arrival.uai ${String(o.arrival?.uai)} is not the kit's ${this.o.uai}`);
    if (typeof o.owner?.identityClaim !== 'string' || typeof o.owner?.identity !== 'string' || !o.owner.identity) problems.push('owner.identityClaim and owner.identity are required');
    if (typeof o.expiresAt !== 'string' || !(Date.parse(o.expiresAt) > Date.now())) problems.push('expiresAt is not a future date-time');
    if (!Array.isArray(o.items) || o.items.length < 1 || o.items.length > 500) return [...problems, 'items must hold 1 to 500 items'];
    const ids = new Set<string>();
    for (const [n, i] of o.items.entries()) {
      if (ids.has(i.itemId)) problems.push(`items[${n}].itemId is a duplicate`);
      ids.add(i.itemId);
      if (!Array.isArray(i.formats) || !i.formats.length || i.formats.some((f) => typeof f.format !== 'string' || typeof f.mediaType !== 'string' || !Number.isSafeInteger(f.sizeBytes))) problems.push(`items[${n}].formats must list formats with their media type and size`);
    }
    return problems;
  }

  async delivery(tokenProblem: string | undefined, request: string, offerId: string, body: unknown): Promise<Answered> {
    const at = Date.now();
    if (tokenProblem) {
      this.results.record('DEP-06', 'fail', `delivery sent with an unacceptable token: ${tokenProblem}`, [{ request, response: 'HTTP 401' }]);
      return problemOf(401, P('invalid-token'), tokenProblem);
    }
    if (!this.received || offerId !== this.received.offerId) {
      this.results.record('DEP-06', 'fail', `delivery for offer ${offerId}, which the kit never answered`, [{ request, response: 'HTTP 404' }]);
      return problemOf(404, P('not-found'), 'No such offer');
    }
    const jws = (body as { manifest?: unknown } | undefined)?.manifest;
    const extra = body && typeof body === 'object' ? Object.keys(body).filter((k) => k !== 'manifest') : [];
    if (typeof jws !== 'string' || extra.length) {
      this.results.record('DEP-06', 'fail', `the delivery body must be {"manifest": "<compact JWS>"}${extra.length ? ` (unknown fields ${extra.join(', ')})` : ''}`, [{ request, response: 'HTTP 400' }]);
      return problemOf(400, P('validation-failed'), 'manifest must be a compact JWS');
    }
    const manifest = await this.verifyManifest(jws, request);
    const delivery: Delivery = { jws, manifest, at, request };
    if (!manifest) return problemOf(400, P('invalid-signature'), 'The manifest does not verify against your published keys');
    if (this.room === 'full') {
      this.deliveries.post(delivery);
      return problemOf(413, P('destination-full'), 'The conformance kit has no room for this delivery now: pause, and deliver again when your teacher resumes.');
    }
    this.deliveries.post(delivery);
    return { status: 202, body: { offerId, status: 'FETCHING', objects: manifest.objects?.length ?? 0 } };
  }

  private async verifyManifest(jws: string, request: string): Promise<Delivery['manifest'] | undefined> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(jws).kid;
    } catch {
      kid = undefined;
    }
    // A kid not seen yet: the departure rotated its keys, read its JWKS again.
    if (!this.jwks?.keys.some((k) => k.kid === kid)) this.jwks = await readJwks(this.discovery.jwksUri, this.results, 'DEP-02');
    const { header, payload: manifest, problems } = await verifyPeerJws(jws, this.jwks, MANIFEST_TYP);
    const evidence = [{ request, response: `protected header ${JSON.stringify(header)}` }];
    this.results.check('DEP-06', problems.length === 0, problems.length ? `manifest: ${problems.join('; ')}` : `manifest signed with kid ${String(header.kid)} (${String(header.alg)}), verifies against the departure's JWKS`, evidence);
    if (!manifest) return undefined;
    this.checkManifest(manifest as NonNullable<Delivery['manifest']>, evidence);
    return manifest;
  }

  private checkManifest(m: NonNullable<Delivery['manifest']>, evidence: Exchange[]) {
    const shown = [...evidence, { request: 'manifest payload (verified)', response: excerpt(JSON.stringify(m, null, 2), 4000) }];
    const problems = [...this.contract.validate('peer', 'DeliveryManifest', m)];
    if (m.offerId !== this.received!.offerId) problems.push('offerId is not the offer\'s');
    if (m.departureEntId !== this.discovery.entId) problems.push('departureEntId is not the discovery entId');
    if (m.arrivalEntId !== this.o.entId) problems.push(`arrivalEntId ${String(m.arrivalEntId)} is not the kit's ${this.o.entId}`);
    if (typeof m.issuedAt !== 'string' || Number.isNaN(Date.parse(m.issuedAt))) problems.push('issuedAt is not a date-time');
    // ADR 007: a contentUrl is on the origin of the departure's own itemContent endpoint.
    const origins = [this.gatewayOrigin()];
    const objects = Array.isArray(m.objects) ? m.objects : [];
    if (!objects.length) problems.push('objects is empty');
    for (const [n, o] of [...objects, ...(Array.isArray(m.index) ? m.index : [])].entries()) {
      if (!Number.isSafeInteger(o.sizeBytes) || o.sizeBytes < 0) problems.push(`object ${n}: sizeBytes is not a size`);
      if (!/^[0-9a-f]{64}$/.test(String(o.sha256))) problems.push(`object ${n}: sha256 is not 64 lower-case hex digits`);
      let origin = '';
      try {
        origin = new URL(o.contentUrl).origin;
      } catch {
        problems.push(`object ${n}: contentUrl is not a URL`);
      }
      if (origin && !origins.includes(origin)) problems.push(`object ${n}: contentUrl ${o.contentUrl} is not on a declared origin (${origins.join(', ')})`);
    }
    this.results.check('DEP-07', problems.length === 0, problems.length ? `manifest: ${problems.join('; ')}` : `manifest payload conforms (${objects.length} objects, ${m.index?.length ?? 0} index files)`, shown);

    const wrong: string[] = [];
    for (const o of objects) {
      const d = this.answer!.items.find((x) => x.itemId === o.itemId);
      if (!d) wrong.push(`${o.itemId} was never offered`);
      else if (d.decision === 'REFUSED') wrong.push(`${o.itemId} was refused, yet delivered`);
      else if (o.role === 'content' && o.format !== d.sourceFormat) wrong.push(`${o.itemId} delivered as ${o.format}, the answer asked ${d.sourceFormat}`);
    }
    for (const d of this.answer!.items.filter((x) => x.decision !== 'REFUSED')) {
      if (!objects.some((o) => o.itemId === d.itemId && o.role === 'content')) wrong.push(`${d.itemId} was accepted but not delivered`);
    }
    this.results.check('DEP-05', wrong.length === 0, wrong.length ? wrong.join('; ') : 'only the accepted items are delivered, each in the format of the answer', shown);
    const converted = this.answer!.items.filter((d) => d.decision === 'CONVERT');
    if (converted.length) {
      const ok = converted.every((d) => objects.some((o) => o.itemId === d.itemId && o.role === 'content' && o.format === d.sourceFormat));
      this.results.check('DEP-14', ok, ok ? `the CONVERT item ${converted[0].itemId} is delivered in its source format ${converted[0].sourceFormat}` : 'a CONVERT item is not delivered in the source format the answer names', shown);
    }
  }

  private gatewayOrigin(): string {
    return new URL((this.discovery.endpoints.itemContent ?? this.discovery.audience).replace(/\{[A-Za-z]+\}/g, 'x')).origin;
  }

  // ------------------------------------------------------------------ pulling

  private async fetchToken(): Promise<string> {
    return this.o.idp.token(this.discovery.audience, 'portability:fetch');
  }

  /** GET a content URL with the kit's token; the bytes' URL (after the redirect, if any) and the first answer. */
  private async resolve(contentUrl: string): Promise<{ first: HttpResult; target: string }> {
    const first = await http(contentUrl, { headers: { authorization: `Bearer ${await this.fetchToken()}` } });
    if (!(first.status >= 300 && first.status < 400 && first.headers.get('location'))) return { first, target: contentUrl };
    const target = new URL(first.headers.get('location')!, contentUrl);
    // The redirect may only lead to the departure's own origin or a content origin it publishes (ADR 007).
    const allowed = [this.gatewayOrigin(), ...(this.discovery.contentOrigins ?? [])];
    if (!allowed.includes(target.origin)) {
      throw Object.assign(new Error(`the content URL redirects to ${target.origin}, which is neither its origin nor among its published contentOrigins (${allowed.join(', ')})`), { exchange: first.exchange });
    }
    return { first, target: target.toString() };
  }

  private async pull(objects: ManifestObject[], index: ManifestObject[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    const all = [...objects, ...index];
    if (!all.length) return failures;
    const firstUrl = all[0].contentUrl;
    // DEP-10: the content URL is behind the peer's token.
    this.expectProblem('DEP-10', await http(firstUrl), 401, P('unauthenticated'), 'content URL without a token');
    const foreign = await this.o.idp.token(this.server.publicUrl, 'portability:fetch');
    this.expectProblem('DEP-10', await http(firstUrl, { headers: { authorization: `Bearer ${foreign}` } }), 403, P('wrong-audience'), 'content URL with a token for another audience');

    for (const [n, o] of all.entries()) {
      const label = o.itemId ? `${o.itemId}/${o.role ?? 'content'}` : `index ${o.name}`;
      try {
        const bytes = n === 0 ? await this.slowPull(o, label) : await this.wholePull(o);
        const ok = bytes.length === o.sizeBytes && sha256(bytes) === o.sha256;
        this.results.check('DEP-08', ok, ok ? `${label}: ${bytes.length} bytes, SHA-256 as the manifest says` : `${label}: got ${bytes.length} bytes with SHA-256 ${sha256(bytes)}, the manifest says ${o.sizeBytes} and ${o.sha256}`);
        if (!ok && o.itemId) failures.set(o.itemId, 'size or SHA-256 differs from the manifest');
      } catch (err) {
        this.results.record('DEP-08', 'fail', `${label}: ${(err as Error).message}`, (err as { exchange?: Exchange }).exchange ? [(err as { exchange: Exchange }).exchange] : []);
        if (o.itemId) failures.set(o.itemId, (err as Error).message.slice(0, 300));
      }
    }
    return failures;
  }

  private async wholePull(o: ManifestObject): Promise<Buffer> {
    const { first, target } = await this.resolve(o.contentUrl);
    if (target === o.contentUrl) return expectOk(first);
    const res = await fetch(target, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) throw Object.assign(new Error(`the redirect target answered ${res.status}`), { exchange: first.exchange });
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * The first object is pulled the way a slow, interrupted arrival pulls it: half of it, a
   * pause, then the content URL asked again (a fresh short-lived URL) and the rest with
   * `Range` + `If-Match`; a wrong `If-Match` must get 412.
   */
  private async slowPull(o: ManifestObject, label: string): Promise<Buffer> {
    const { first, target } = await this.resolve(o.contentUrl);
    const direct = target === o.contentUrl;
    const res = await fetch(target, { headers: direct ? { authorization: `Bearer ${await this.fetchToken()}` } : {}, signal: AbortSignal.timeout(120_000) });
    if (!res.ok || !res.body) throw Object.assign(new Error(`the content answered ${res.status}`), { exchange: first.exchange });
    const etag = res.headers.get('etag');
    const half = Math.floor(o.sizeBytes / 2);
    const head: Buffer[] = [];
    let got = 0;
    const reader = res.body.getReader();
    while (got < half) {
      const { value, done } = await reader.read();
      if (done) break;
      head.push(Buffer.from(value));
      got += value.length;
    }
    await reader.cancel();
    const start = Buffer.concat(head).subarray(0, half);
    await new Promise((r) => setTimeout(r, this.o.slowPullMs));

    const strong = typeof etag === 'string' && !etag.startsWith('W/');
    const again = await this.resolve(o.contentUrl);
    const fresh = again.target !== o.contentUrl;
    // Served by the departure itself (no redirect), the token goes along; never to a redirect target.
    const auth: Record<string, string> = fresh ? {} : { authorization: `Bearer ${await this.fetchToken()}` };
    const rest = await http(again.target, { headers: { ...auth, range: `bytes=${half}-`, ...(strong ? { 'if-match': etag! } : {}) } });
    const contentRange = rest.headers.get('content-range') ?? '';
    const ranged = rest.status === 206 && contentRange === `bytes ${half}-${o.sizeBytes - 1}/${o.sizeBytes}`;
    const evidence = [again.first.exchange, rest.exchange];
    this.results.check('DEP-15', rest.status === 206 || rest.status === 200, `${label}: after a pause of ${Math.round(this.o.slowPullMs / 1000)} s, the content URL asked again ${fresh ? 'gave a fresh URL' : 'served the bytes itself'} that answered ${rest.status}`, evidence);
    const mismatch = await http(again.target, { headers: { ...auth, range: `bytes=${half}-`, 'if-match': '"conformance-kit-not-the-etag"' } });
    const problems = [
      ...(strong ? [] : [`no strong ETag (${etag ?? 'none'})`]),
      ...(ranged ? [] : [`Range: bytes=${half}- answered ${rest.status} ${contentRange || '(no Content-Range)'}`]),
      ...(mismatch.status === 412 ? [] : [`If-Match with another ETag answered ${mismatch.status}, not 412`]),
    ];
    this.results.check('DEP-09', problems.length === 0, problems.length ? `${label}: ${problems.join('; ')}` : `${label}: strong ETag, 206 from byte ${half} with If-Match, 412 on another ETag`, [...evidence, mismatch.exchange]);
    if (ranged) return Buffer.concat([start, rest.bytes]);
    return rest.status === 200 ? rest.bytes : this.wholePull(o);
  }

  // ------------------------------------------------------------------ receipts

  private async receipts(offer: Offer, failures: Map<string, string>) {
    const url = this.discovery.endpoints.receipt!.replace('{transferId}', encodeURIComponent(offer.offerId));
    const payload = {
      offerId: offer.offerId, arrivalEntId: this.o.entId, departureEntId: this.discovery.entId, issuedAt: new Date().toISOString(),
      items: this.answer!.items.map((d) => {
        if (d.decision === 'REFUSED') return { itemId: d.itemId, status: 'REFUSED', reason: 'UNSPECIFIED' };
        const failure = failures.get(d.itemId);
        return failure ? { itemId: d.itemId, status: 'FAILED', reason: failure } : { itemId: d.itemId, status: 'IMPORTED', localId: `kit-${randomUUID()}` };
      }),
    };
    const post = async (jws: string) => http(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.o.idp.token(this.discovery.audience, 'portability:receipt')}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ receipt: jws }),
    });
    const rogue = await newSigningKey();
    this.expectProblem('DEP-11', await post(await signJws({ ...rogue, kid: 'conformance-kit-unpublished' }, payload, { typ: RECEIPT_TYP })), 400, P('invalid-signature'), 'a receipt signed by a key the kit never published');
    const rotated = await this.server.rotate();
    const res = await post(await signJws(rotated, payload, { typ: RECEIPT_TYP }));
    const ok = res.status === 200;
    this.results.check('DEP-11', ok, `the receipt signed by a published key: answered ${res.status}`, [res.exchange]);
    this.results.check('DEP-12', ok, ok ? `the receipt signed by key ${rotated.kid}, published after the delivery, was accepted` : `the receipt signed by key ${rotated.kid}, published after the delivery, was answered ${res.status}: the departure does not read the JWKS again on an unknown kid`, [res.exchange]);
  }

  private expectProblem(id: string, res: HttpResult, status: number, type: string, what: string): boolean {
    return expectProblem(this.results, 'DEP-17', id, res, status, type, what);
  }
}

function problemOf(status: number, type: string, detail: string): Answered {
  return { status, body: { type, title: detail, status, detail } };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function expectOk(res: HttpResult): Buffer {
  if (res.status !== 200) throw Object.assign(new Error(`the content URL answered ${res.status}`), { exchange: res.exchange });
  return res.bytes;
}
