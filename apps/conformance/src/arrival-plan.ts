import { randomUUID } from 'node:crypto';
import { JSONWebKeySet } from 'jose';
import { PublishedContract } from './contract';
import { http, HttpResult } from './http';
import { Idp } from './idp';
import { KitServer, newSigningKey, signJws, SigningKey } from './kit-server';
import { b64, expectProblem, MANIFEST_TYP, PeerDiscovery, problemType as P, readDiscovery, readJwks, RECEIPT_TYP, verifyPeerJws } from './peer-checks';
import { Exchange, Results } from './results';
import { SampleItem, sampleItems, sha256Hex } from './samples';

export interface ArrivalPlanOptions {
  /** The target's base URL or its discovery URL. */
  target: string;
  idp: Idp;
  server: KitServer;
  /** The kit's ENT id and UAI, as the target registered them. */
  entId: string;
  uai: string;
  owner: { identityClaim: string; identity: string };
  /** Which of the target's UAIs to offer to (default: the first of its discovery document). */
  arrivalUai?: string;
  receiptTimeoutMs: number;
  /** Called once the deliveries are accepted: the owner must now log into the arrival ENT. */
  awaitOwner: () => Promise<void>;
  log: (line: string) => void;
}


interface Answer {
  offerId: string;
  items: { itemId: string; decision: string; sourceFormat?: string; targetFormat?: string; converters?: string[]; reasons?: unknown[] }[];
}

interface Delivered {
  offerId: string;
  items: SampleItem[];
  answer: Answer;
  /** What the receipt must say for each delivered item (ARR-25/26 cases: FAILED). */
  expectFailed: Record<string, string>;
}

/**
 * Target as arrival: the kit plays a complete departure against it — discovery, offers,
 * signed manifests (valid and hostile), content served with Range, receipts verified —
 * and records what it observed against the requirement ids.
 */
export class ArrivalPlan {
  private readonly contract = new PublishedContract();
  private discovery!: PeerDiscovery;
  private key!: SigningKey;
  /** Offers whose delivery the target had to refuse: nothing of theirs may ever be fetched. */
  private readonly refused: { offerId: string; id: string; what: string }[] = [];

  constructor(
    private readonly o: ArrivalPlanOptions,
    private readonly results: Results,
  ) {}

  async run(): Promise<void> {
    this.key = await this.o.server.key;
    this.o.log('Discovery and keys');
    await this.readDiscovery();
    await this.readJwks();
    this.o.log('Capabilities and authentication');
    await this.capabilities();
    await this.authentication();
    this.o.log('Offers');
    const main = await this.offers();
    this.o.log('Hostile deliveries (each on an offer of its own)');
    await this.hostileDeliveries();
    this.o.log('Deliveries');
    const delivered = await this.deliveries(main);
    this.o.log(`Waiting for the owner and the receipts (up to ${Math.round(this.o.receiptTimeoutMs / 1000)} s)`);
    await this.o.awaitOwner();
    await this.o.server.waitForReceipts(delivered.map((d) => d.offerId), this.o.receiptTimeoutMs);
    this.o.log('Receipts');
    await this.receipts(delivered);
    this.fetchBehaviour(delivered);
  }

  // ------------------------------------------------------------------ discovery

  private async readDiscovery() {
    this.discovery = await readDiscovery(this.o.target, this.contract, this.results, 'ARR-01', ['capabilities', 'offers', 'deliveries']);
  }

  private readJwks(): Promise<JSONWebKeySet | undefined> {
    return readJwks(this.discovery.jwksUri, this.results, 'ARR-02');
  }

  private token(scope: string): Promise<string> {
    return this.o.idp.token(this.discovery.audience, scope);
  }

  // ------------------------------------------------------------------ capabilities, authentication

  private async capabilities() {
    const res = await http(this.discovery.endpoints.capabilities, { headers: { authorization: `Bearer ${await this.token('portability:capabilities')}`, accept: 'application/json' } });
    const c = res.json;
    const problems = res.status !== 200 ? [`answered ${res.status}`] : [
      ...this.contract.validate('peer', 'CapabilitiesDocument', c),
      ...['categories', 'refusedCategories', 'converters'].filter((k) => !Array.isArray(c?.[k])).map((k) => `${k} is not an array`),
      ...(typeof c?.maxItemBytes === 'number' ? [] : ['maxItemBytes is missing']),
    ];
    this.results.check('ARR-07', problems.length === 0, problems.length ? `capabilities: ${problems.join('; ')}` : 'capabilities document conforms', [res.exchange]);
  }

  private async authentication() {
    const offers = this.discovery.endpoints.offers;
    const body = () => JSON.stringify(this.offer(randomUUID(), [sampleItems()[0]]));
    const json = { 'content-type': 'application/json', accept: 'application/json' };
    this.expectProblem('ARR-03', await http(offers, { method: 'POST', headers: json, body: body() }), 401, P('unauthenticated'), 'offer without a token');
    const forged = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'conformance-kit-forged' })}.${b64({ iss: this.o.idp.client.issuer, aud: this.discovery.audience, client_id: this.o.idp.client.clientId, scope: 'portability:offer', exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000) })}.${Buffer.from('not a signature').toString('base64url')}`;
    this.expectProblem('ARR-04', await http(offers, { method: 'POST', headers: { ...json, authorization: `Bearer ${forged}` }, body: body() }), 401, P('invalid-token'), 'offer with a forged token');
    const foreign = await this.o.idp.token(this.o.server.publicUrl, 'portability:offer');
    this.expectProblem('ARR-05', await http(offers, { method: 'POST', headers: { ...json, authorization: `Bearer ${foreign}` }, body: body() }), 403, P('wrong-audience'), 'offer with a token for another audience');
    const narrow = await this.token('portability:capabilities');
    this.expectProblem('ARR-06', await http(offers, { method: 'POST', headers: { ...json, authorization: `Bearer ${narrow}` }, body: body() }), 403, P('insufficient-scope'), 'offer with a token holding only portability:capabilities');
  }

  // ------------------------------------------------------------------ offers

  private offer(offerId: string, items: SampleItem[], arrivalUai = this.o.arrivalUai ?? this.discovery.uais[0]) {
    return {
      offerId,
      contractVersion: '1',
      departure: { entId: this.o.entId, uai: this.o.uai },
      arrival: { uai: arrivalUai },
      owner: { identityClaim: this.o.owner.identityClaim, identity: this.o.owner.identity, displayName: 'Kit de conformité' },
      expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      items: items.map((i) => ({ itemId: i.itemId, title: i.title, category: i.category, formats: [{ format: i.format, mediaType: i.mediaType, sizeBytes: i.bytes.length }] })),
    };
  }

  private async postOffer(body: unknown, scope = 'portability:offer'): Promise<HttpResult> {
    return http(this.discovery.endpoints.offers, {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.token(scope)}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** Checks an answer against its offer (ARR-08); returns it when usable. */
  private checkAnswer(res: HttpResult, offer: ReturnType<ArrivalPlan['offer']>, what: string): Answer | undefined {
    const a = res.json;
    const problems = res.status !== 200 ? [`answered ${res.status}`] : [...this.contract.validate('peer', 'OfferAnswer', a)];
    if (res.status === 200) {
      if (a?.offerId !== offer.offerId) problems.push('offerId is not the offer\'s');
      if (a?.arrivalEntId !== this.discovery.entId) problems.push(`arrivalEntId ${a?.arrivalEntId} is not the discovery entId ${this.discovery.entId}`);
      const items: Answer['items'] = Array.isArray(a?.items) ? a.items : [];
      const offered = offer.items.map((i) => i.itemId);
      if (items.length !== offered.length || !offered.every((id) => items.filter((d) => d.itemId === id).length === 1)) problems.push('not exactly one decision per offered item');
      for (const d of items) {
        const item = offer.items.find((i) => i.itemId === d.itemId);
        if (!['IMPORT', 'CONVERT', 'MANUAL', 'REFUSED'].includes(d.decision)) problems.push(`${d.itemId}: unknown decision ${d.decision}`);
        if (d.decision === 'REFUSED' && !(Array.isArray(d.reasons) && d.reasons.length)) problems.push(`${d.itemId}: REFUSED without a reason`);
        if (d.decision === 'CONVERT' && !(Array.isArray(d.converters) && d.converters.length && d.targetFormat)) problems.push(`${d.itemId}: CONVERT without converters and targetFormat`);
        if (d.decision !== 'REFUSED' && !item?.formats.some((f) => f.format === d.sourceFormat)) problems.push(`${d.itemId}: sourceFormat ${d.sourceFormat} was not offered`);
      }
    }
    this.results.check('ARR-08', problems.length === 0, problems.length ? `${what}: ${problems.join('; ')}` : `${what}: one conformant decision per item`, [res.exchange]);
    return problems.length ? undefined : (a as Answer);
  }

  private async offers(): Promise<{ offerId: string; items: SampleItem[]; answer?: Answer }> {
    const items = sampleItems();
    const offerId = randomUUID();
    const offer = this.offer(offerId, items);
    const first = await this.postOffer(offer);
    const answer = this.checkAnswer(first, offer, 'main offer');
    if (answer) {
      this.o.log(`  answer: ${answer.items.map((d) => `${d.itemId} ${d.decision}`).join(', ')}`);
      const again = await this.postOffer(offer);
      const same = again.status === 200 && sameDecisions(answer, again.json);
      this.results.check('ARR-09', same, same ? 'the same offer sent again got the same answer' : `the same offer sent again got ${again.status} ${same ? '' : 'with other decisions'}`, [again.exchange]);
      const changed = { ...offer, items: offer.items.map((i, n) => (n === 0 ? { ...i, title: `${i.title} (modifié)` } : i)) };
      this.expectProblem('ARR-10', await this.postOffer(changed), 409, P('conflict'), 'the offer id reused for a different offer');
    }

    // Refused bodies record nothing: the same offer id, sent right afterwards and valid, is answered normally.
    const unknownId = randomUUID();
    const valid = this.offer(unknownId, [items[0]]);
    this.expectProblem('ARR-11', await this.postOffer({ ...valid, conformanceKitUnknownField: true }), 400, P('validation-failed'), 'offer with an unknown top-level field');
    const nested = { ...valid, items: [{ ...valid.items[0], colour: 'blue' }] };
    this.expectProblem('ARR-11', await this.postOffer(nested), 400, P('validation-failed'), 'offer with an unknown field in an item');
    const invalid = { ...valid, items: [{ ...valid.items[0], category: 'NOT_A_CATEGORY' }] };
    const res = await this.postOffer(invalid);
    if (this.expectProblem('ARR-12', res, 400, P('validation-failed'), 'offer with an unknown category')) {
      const named = Array.isArray(res.json?.errors) && res.json.errors.some((e: { field?: unknown }) => typeof e.field === 'string' && e.field.includes('category'));
      this.results.check('ARR-12', named, named ? 'errors[] names the category field' : 'errors[] does not name the offending field (items[0].category)', [res.exchange]);
    }
    const unknownUai = ['0000000A', '0000001B', '0000002C'].find((u) => !this.discovery.uais.includes(u))!;
    this.expectProblem('ARR-14', await this.postOffer(this.offer(unknownId, [items[0]], unknownUai)), 422, P('unknown-arrival'), `offer for UAI ${unknownUai}, not served by the target`);
    const after = await this.postOffer(valid);
    this.results.check('ARR-11', after.status === 200, after.status === 200 ? 'refused offers recorded nothing: the same offer id, valid this time, was answered' : `the same offer id, valid this time, was answered ${after.status}: something was recorded from a refused offer`, [after.exchange]);
    // A peer speaks for its own schools only: an offer from another school, then the same id from the kit's own.
    const posingId = randomUUID();
    const foreignDeparture = ['0000000A', '0000001B', '0000002C'].find((u) => u !== this.o.uai)!;
    const honest = this.offer(posingId, [items[0]]);
    const posing = { ...honest, departure: { ...honest.departure, uai: foreignDeparture } };
    if (this.expectProblem('ARR-35', await this.postOffer(posing), 422, P('unknown-departure'), `offer from departure UAI ${foreignDeparture}, not a school of the kit`)) {
      const again = await this.postOffer(honest);
      this.results.check('ARR-35', again.status === 200, again.status === 200 ? 'the refused offer recorded nothing: the same offer id from the kit\'s own school was answered' : `the same offer id from the kit's own school was answered ${again.status}: the refused offer was recorded`, [again.exchange]);
    }
    return { offerId, items, answer };
  }

  // ------------------------------------------------------------------ deliveries

  private async signedManifest(offerId: string, objects: unknown[], overrides: Record<string, unknown> = {}, key: SigningKey = this.key, header: Record<string, unknown> = {}): Promise<string> {
    const payload = { offerId, departureEntId: this.o.entId, arrivalEntId: this.discovery.entId, issuedAt: new Date().toISOString(), objects, ...overrides };
    return signJws(key, payload, { typ: MANIFEST_TYP, ...header });
  }

  private stageAll(offerId: string, answer: Answer, items: SampleItem[], alter: (item: SampleItem) => { sizeBytes?: number; sha256?: string } = () => ({}), undeclared = false) {
    const accepted = answer.items.filter((d) => d.decision !== 'REFUSED');
    return accepted.map((d) => {
      const item = items.find((i) => i.itemId === d.itemId)!;
      const urls = this.o.server.stage({ transferId: offerId, itemId: item.itemId, role: 'content', bytes: item.bytes });
      return {
        itemId: item.itemId, role: 'content', format: d.sourceFormat ?? item.format, mediaType: item.mediaType,
        sizeBytes: item.bytes.length, sha256: sha256Hex(item.bytes), contentUrl: undeclared ? urls.undeclaredUrl : urls.contentUrl, ...alter(item),
      };
    });
  }

  private async deliver(offerId: string, body: unknown): Promise<HttpResult> {
    return http(this.discovery.endpoints.deliveries.replace('{offerId}', encodeURIComponent(offerId)), {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.token('portability:deliver')}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** A fresh offer of one item the target accepts, for a hostile delivery of its own. */
  private async acceptedOffer(id: string, what: string): Promise<{ offerId: string; answer: Answer; items: SampleItem[] } | undefined> {
    const items = [sampleItems()[0]];
    const offerId = randomUUID();
    const offer = this.offer(offerId, items);
    const res = await this.postOffer(offer);
    const answer = res.status === 200 ? (res.json as Answer) : undefined;
    if (!answer || !answer.items?.some((d) => d.decision !== 'REFUSED')) {
      this.results.record(id, 'fail', `${what}: could not be checked, the target accepted nothing of a one-PDF offer (${res.status})`, [res.exchange]);
      return undefined;
    }
    return { offerId, answer, items };
  }

  private async hostileDeliveries() {
    const cases: { id: string; what: string; manifest: (offerId: string, objects: unknown[]) => Promise<string>; undeclared?: boolean; type: string; extraBody?: boolean }[] = [
      {
        id: 'ARR-15', what: 'a manifest altered after signing (sizeBytes changed)', type: P('invalid-signature'),
        manifest: async (offerId, objects) => {
          const jws = await this.signedManifest(offerId, objects);
          const [header, body, signature] = jws.split('.');
          const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
          payload.objects[0].sizeBytes += 1;
          return `${header}.${b64(payload)}.${signature}`;
        },
      },
      {
        id: 'ARR-16', what: 'a manifest signed by an unpublished key bearing the published kid', type: P('invalid-signature'),
        manifest: async (offerId, objects) => {
          const rogue = await newSigningKey();
          return this.signedManifest(offerId, objects, {}, { ...rogue, kid: this.key.kid });
        },
      },
      {
        id: 'ARR-17', what: 'a manifest with alg "none"', type: P('invalid-signature'),
        manifest: async (offerId, objects) => {
          const payload = { offerId, departureEntId: this.o.entId, arrivalEntId: this.discovery.entId, issuedAt: new Date().toISOString(), objects };
          return `${b64({ alg: 'none', typ: MANIFEST_TYP, kid: this.key.kid })}.${b64(payload)}.${Buffer.from('unsigned').toString('base64url')}`;
        },
      },
      {
        id: 'ARR-18', what: 'a correctly signed manifest whose typ is the receipt\'s', type: P('invalid-signature'),
        manifest: (offerId, objects) => this.signedManifest(offerId, objects, {}, this.key, { typ: RECEIPT_TYP }),
      },
      {
        id: 'ARR-19', what: 'a signed manifest naming another arrival ENT', type: P('validation-failed'),
        manifest: (offerId, objects) => this.signedManifest(offerId, objects, { arrivalEntId: `${this.discovery.entId}-other` }),
      },
      {
        id: 'ARR-20', what: 'a signed manifest whose contentUrl is on an origin the kit does not declare', type: P('validation-failed'), undeclared: true,
        manifest: (offerId, objects) => this.signedManifest(offerId, objects),
      },
      {
        id: 'ARR-11', what: 'a delivery body with an unknown field', type: P('validation-failed'), extraBody: true,
        manifest: (offerId, objects) => this.signedManifest(offerId, objects),
      },
    ];
    for (const c of cases) {
      const accepted = await this.acceptedOffer(c.id, c.what);
      if (!accepted) continue;
      const objects = this.stageAll(accepted.offerId, accepted.answer, accepted.items, () => ({}), c.undeclared);
      const manifest = await c.manifest(accepted.offerId, objects);
      const res = await this.deliver(accepted.offerId, c.extraBody ? { manifest, conformanceKitUnknownField: true } : { manifest });
      this.expectProblem(c.id, res, 400, c.type, c.what);
      this.refused.push({ offerId: accepted.offerId, id: c.id, what: c.what });
    }
    // ARR-21: a valid manifest for an offer never sent.
    const never = randomUUID();
    const objects = this.stageAll(never, { offerId: never, items: [{ itemId: 'kit-pdf', decision: 'IMPORT', sourceFormat: 'binary' }] }, [sampleItems()[0]]);
    this.expectProblem('ARR-21', await this.deliver(never, { manifest: await this.signedManifest(never, objects) }), 404, P('not-found'), 'a delivery for an offer the target never received');
    this.refused.push({ offerId: never, id: 'ARR-21', what: 'a delivery for an offer never sent' });
  }

  private async deliveries(main: { offerId: string; items: SampleItem[]; answer?: Answer }): Promise<Delivered[]> {
    const delivered: Delivered[] = [];
    if (main.answer && main.answer.items.some((d) => d.decision !== 'REFUSED')) {
      const objects = this.stageAll(main.offerId, main.answer, main.items);
      const manifest = await this.signedManifest(main.offerId, objects);
      const res = await this.deliver(main.offerId, { manifest });
      if (this.results.check('ARR-22', res.status === 202, `main delivery (${objects.length} objects): answered ${res.status}`, [res.exchange])) {
        delivered.push({ offerId: main.offerId, items: main.items, answer: main.answer, expectFailed: {} });
        const again = await this.deliver(main.offerId, { manifest });
        this.results.check('ARR-27', again.status >= 200 && again.status < 300, `the same manifest delivered again: answered ${again.status}`, [again.exchange]);
        const other = await this.signedManifest(main.offerId, objects, { issuedAt: new Date(Date.now() + 1000).toISOString() });
        this.expectProblem('ARR-27', await this.deliver(main.offerId, { manifest: other }), 409, P('conflict'), 'a different manifest for an offer already delivered');
      }
    } else {
      this.results.record('ARR-22', 'fail', 'the main offer was not answered or every item was refused: nothing to deliver');
    }
    const altered: { id: string; what: string; alter: (i: SampleItem) => { sizeBytes?: number; sha256?: string } }[] = [
      { id: 'ARR-25', what: 'content whose bytes do not match the manifest\'s SHA-256', alter: (i) => ({ sha256: sha256Hex(Buffer.concat([i.bytes, Buffer.from('x')])) }) },
      { id: 'ARR-26', what: 'content shorter than the manifest\'s size', alter: (i) => ({ sizeBytes: i.bytes.length + 7 }) },
    ];
    for (const c of altered) {
      const accepted = await this.acceptedOffer(c.id, c.what);
      if (!accepted) continue;
      const objects = this.stageAll(accepted.offerId, accepted.answer, accepted.items, c.alter);
      const res = await this.deliver(accepted.offerId, { manifest: await this.signedManifest(accepted.offerId, objects) });
      if (this.results.check('ARR-22', res.status === 202, `delivery of ${c.what}: answered ${res.status} (the bytes are checked when pulled)`, [res.exchange])) {
        delivered.push({ offerId: accepted.offerId, items: accepted.items, answer: accepted.answer, expectFailed: Object.fromEntries(objects.map((o) => [o.itemId, c.id])) });
      } else {
        this.results.record(c.id, 'fail', `${c.what}: could not be checked, the delivery was not accepted`, [res.exchange]);
      }
    }
    return delivered;
  }

  // ------------------------------------------------------------------ receipts

  private async receipts(delivered: Delivered[]) {
    const jwks = await this.readJwks();
    for (const d of delivered) {
      const received = this.o.server.receipts.filter((r) => r.transferId === d.offerId);
      const label = Object.keys(d.expectFailed).length ? `receipt of the ${Object.values(d.expectFailed)[0]} delivery` : 'receipt of the main delivery';
      if (!received.some((r) => r.jws)) {
        this.results.record('ARR-28', 'fail', `${label}: none came within ${Math.round(this.o.receiptTimeoutMs / 1000)} s`, received.map((r) => r.exchange));
        for (const id of ['ARR-29', 'ARR-30', 'ARR-31', ...new Set(Object.values(d.expectFailed))]) this.results.record(id, 'fail', `${label}: cannot be checked, no receipt came`);
        continue;
      }
      const evidence = received.map((r) => r.exchange);
      const badToken = received.find((r) => r.tokenProblem);
      this.results.check('ARR-28', !badToken, badToken ? `${label}: sent with an unacceptable token (${badToken.tokenProblem})` : `${label}: sent to the kit's receipt endpoint with a token for its audience and portability:receipt`, evidence);
      const jws = received.find((r) => r.jws)!.jws!;
      const payload = await this.verifyReceipt(jws, jwks, label, evidence);
      if (!payload) {
        for (const id of ['ARR-30', 'ARR-31', ...new Set(Object.values(d.expectFailed))]) this.results.record(id, 'fail', `${label}: cannot be checked, the receipt does not verify`);
        continue;
      }
      const problems = [...this.contract.validate('peer', 'Receipt', payload)];
      if (payload.offerId !== d.offerId) problems.push('offerId is not the offer\'s');
      if (payload.arrivalEntId !== this.discovery.entId) problems.push('arrivalEntId is not the target\'s entId');
      if (payload.departureEntId !== this.o.entId) problems.push('departureEntId is not the kit\'s entId');
      if (typeof payload.issuedAt !== 'string' || Number.isNaN(Date.parse(payload.issuedAt))) problems.push('issuedAt is not a date-time');
      const items: { itemId: string; status: string; localId?: unknown; reason?: unknown }[] = Array.isArray(payload.items) ? payload.items : [];
      for (const i of items) {
        if (!['IMPORTED', 'AWAITING_MANUAL_DOWNLOAD', 'REFUSED', 'FAILED'].includes(i.status)) problems.push(`${i.itemId}: unknown status ${i.status}`);
        if (i.status === 'IMPORTED' && typeof i.localId !== 'string') problems.push(`${i.itemId}: IMPORTED without localId`);
        if (i.status === 'FAILED' && typeof i.reason !== 'string') problems.push(`${i.itemId}: FAILED without reason`);
      }
      const offered = d.items.map((i) => i.itemId);
      if (items.length !== offered.length || !offered.every((id) => items.filter((x) => x.itemId === id).length === 1)) problems.push('not exactly one entry per offered item');
      const shown = [...evidence, { request: 'receipt payload (verified)', response: JSON.stringify(payload, null, 2) }];
      this.results.check('ARR-30', problems.length === 0, problems.length ? `${label}: ${problems.join('; ')}` : `${label}: payload conforms`, shown);
      const mismatches: string[] = [];
      for (const decision of d.answer.items) {
        const status = items.find((x) => x.itemId === decision.itemId)?.status;
        const expectedFailure = d.expectFailed[decision.itemId];
        if (expectedFailure) {
          this.results.check(expectedFailure, status === 'FAILED', `${label}: ${decision.itemId} is ${status ?? 'absent'}${status === 'FAILED' ? ', never imported' : ', expected FAILED: bad bytes were accepted'}`, shown);
          continue;
        }
        const allowed = decision.decision === 'REFUSED' ? ['REFUSED'] : decision.decision === 'MANUAL' ? ['AWAITING_MANUAL_DOWNLOAD'] : ['IMPORTED', 'FAILED'];
        if (!status || !allowed.includes(status)) mismatches.push(`${decision.itemId} answered ${decision.decision} but ended ${status ?? 'absent'}`);
      }
      if (!Object.keys(d.expectFailed).length) this.results.check('ARR-31', mismatches.length === 0, mismatches.length ? `${label}: ${mismatches.join('; ')}` : `${label}: every status follows the answer`, shown);
    }
  }

  private async verifyReceipt(jws: string, jwks: JSONWebKeySet | undefined, label: string, evidence: Exchange[]): Promise<any | undefined> {
    const { header, payload, problems } = await verifyPeerJws(jws, jwks, RECEIPT_TYP);
    this.results.check('ARR-29', problems.length === 0, problems.length ? `${label}: ${problems.join('; ')}` : `${label}: signed with kid ${String(header.kid)} (${String(header.alg)}), verifies against the target's JWKS`, [...evidence, { request: 'receipt protected header', response: JSON.stringify(header) }]);
    return problems.length ? undefined : payload;
  }

  // ------------------------------------------------------------------ how the target pulled

  private fetchBehaviour(delivered: Delivered[]) {
    const server = this.o.server;
    for (const d of delivered) {
      for (const decision of d.answer.items.filter((x) => x.decision !== 'REFUSED')) {
        const whole = server.objectCalls.some((c) => c.transferId === d.offerId && c.itemId === decision.itemId && c.completed);
        this.results.check('ARR-22', whole, `${d.offerId}/${decision.itemId}: ${whole ? 'pulled to its end' : 'never pulled to its end'}`);
      }
    }
    const calls = server.contentCalls.filter((c) => c.declaredOrigin);
    const badToken = calls.filter((c) => c.tokenProblem);
    if (calls.length) this.results.check('ARR-23', badToken.length === 0, badToken.length ? `${badToken.length} of ${calls.length} content calls had an unacceptable token: ${badToken[0].tokenProblem}` : `${calls.length} content calls, each with a token for the kit's audience and portability:fetch`, (badToken.length ? badToken : calls).slice(0, 3).map((c) => c.exchange));
    else this.results.record('ARR-23', 'fail', 'the target never called a content URL');
    const leaked = server.objectCalls.filter((c) => c.authorizationSent);
    if (server.objectCalls.length) this.results.check('ARR-24', leaked.length === 0, leaked.length ? `${leaked.length} requests to redirect targets carried an Authorization header` : `${server.objectCalls.length} requests to redirect targets, none with an Authorization header`);
    else this.results.record('ARR-24', 'fail', 'the target never followed a content redirect');
    for (const r of this.refused) {
      const touched = server.contentCalls.filter((c) => c.transferId === r.offerId);
      this.results.check(r.id, touched.length === 0, touched.length ? `${r.what}: refused, yet its content was requested ${touched.length} time(s)` : `${r.what}: nothing of it was fetched`, touched.slice(0, 2).map((c) => c.exchange));
    }
  }

  private expectProblem(id: string, res: HttpResult, status: number, type: string, what: string): boolean {
    return expectProblem(this.results, 'ARR-13', id, res, status, type, what);
  }
}

function sameDecisions(a: Answer, b: Answer | undefined): boolean {
  const key = (x: Answer) => JSON.stringify([...x.items].sort((m, n) => m.itemId.localeCompare(n.itemId)).map((d) => [d.itemId, d.decision, d.sourceFormat ?? null, d.targetFormat ?? null]));
  return Boolean(b && Array.isArray(b.items) && key(a) === key(b));
}
