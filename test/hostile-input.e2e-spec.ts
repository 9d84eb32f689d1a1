import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PROBLEM_TYPES } from '@ent/contract';
import { createGatewayDatabases } from './support/gateway-db';
import { exportFromEnt, entContents, putIntoEnt } from './support/hostile/ent-content';
import { xxeRecord, zipBomb, zipSlip } from './support/hostile/documents';
import { teacherTokens } from './support/hostile/id-token';
import { accessTokenClaims, decodePart, hmacCompact, signCompact, unsignedCompact, withPayload } from './support/hostile/jwt';
import { describeDiff, diffSnapshots, GatewayStateProbe, sha256Hex, Snapshot, SnapshotDiff } from './support/hostile/snapshot';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { bootStack, clientCredentialsToken, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * Issue "Nothing lost, nothing twice, nobody else": a table of hostile requests and documents
 * against the two running gateways. Each row names the expected status and problem type (or,
 * for an offer that must be answered, the expected decision), and is framed by two snapshots of
 * everything both gateways hold (every row of their Postgres databases but the session store,
 * and the object list of both buckets): a rejected request must leave them identical, a
 * legitimate one must add exactly what it says.
 *
 * The gateways run on a real Postgres server (PGlite files cannot be read while the gateway
 * holds them). Access tokens live 10 s at this IdP so that an expired token can be obtained
 * honestly (from the IdP itself) and presented once it has expired.
 */
jest.setTimeout(300_000);

const T = PROBLEM_TYPES;
const HOSTILE_OWNER = 'hostile.owner';
const TOKEN_TTL_SECONDS = 10;
const MANIFEST_TYP = 'ent-portability-manifest+jws';
const RECEIPT_TYP = 'ent-portability-receipt+jws';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Titles with Unicode tricks: right-to-left override, combining accent, zero-width joiner, quotes, backslash, HTML. */
const RTL_TITLE = 'Devoirs \u202Egpj.exe "copie" \\ <b>&amp;</b> e\u0301\u200D fin';
const XXE_TITLE = '<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "&a;&a;">]><t>&xxe;&a;</t>';

interface HostileCase {
  name: string;
  send: () => Promise<Response>;
  status: number;
  /**
   * A problem type URN or `about:blank` (problem+json expected), or for a legitimate answer:
   * `decision:<DECISION>[/<REASON>]` (an answered offer), `replay` (idempotent replay, JSON),
   * `download` (bytes), `json` (a JSON view).
   */
  type: string;
  check?: (body: any, res: Response, text: Buffer) => void | Promise<void>;
  /** For rows that legitimately store something: asserts exactly what was added. Absent = nothing may change. */
  stores?: (diff: SnapshotDiff, body: any) => void | Promise<void>;
}

interface Ctx {
  env: StackSession;
  urls: StackSession['stack']['urls'];
  probe: GatewayStateProbe;
  idpJwks: { keys: any[] };
  aJwks: { keys: any[] };
  bJwks: { keys: any[] };
  marieA: TeacherClient;
  marieB: TeacherClient;
  lucasA: TeacherClient;
  lucasB: TeacherClient;
  paulA: TeacherClient;
  /** Completed transfer A → B of hostile documents (+ a PDF). */
  t1: { id: string; manifest: string; receipt: string; items: Record<'slip' | 'bomb' | 'xxe' | 'pdf', { id: string; bytes: Buffer; title: string }> };
  /** Transfer analysed (ANSWERED on both sides), never started. */
  t2: { id: string; itemId: string };
  teacher: { idToken: string; accessToken: string };
}

const ctx = {} as Ctx;
const results: { name: string; expected: string; actual: string; ok: boolean }[] = [];

// ------------------------------------------------------------------ request helpers

interface CallOptions {
  token?: string;
  authorization?: string;
  json?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  cookie?: string;
}

function call(method: string, url: string, o: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.authorization !== undefined) headers.authorization = o.authorization;
  if (o.cookie !== undefined) headers.cookie = o.cookie;
  let body: string | Buffer | undefined;
  if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['content-type'] = o.contentType ?? 'application/json';
  } else if (o.raw !== undefined) {
    body = o.raw;
    headers['content-type'] = o.contentType ?? 'application/json';
  }
  return fetch(url, { method, headers, body, redirect: 'manual' });
}

const tokenFor = (client: { id: string; secret: string }, resource: string, scope: string) => clientCredentialsToken(ctx.urls.idp, client, resource, scope);
const aToB = (scope: string) => tokenFor(DEMO.clientA, ctx.urls.gatewayB, scope);
const bToA = (scope: string) => tokenFor(DEMO.clientB, ctx.urls.gatewayA, scope);

const offersUrl = () => `${ctx.urls.gatewayB}/portability/v1/offers`;
const capabilitiesUrl = () => `${ctx.urls.gatewayB}/portability/v1/capabilities`;
const deliveriesUrl = (offerId: string) => `${ctx.urls.gatewayB}/portability/v1/offers/${offerId}/deliveries`;
const contentUrl = (transferId: string, itemId: string, kind = 'content') => `${ctx.urls.gatewayA}/portability/v1/transfers/${transferId}/items/${itemId}/${kind}`;
const receiptUrl = (transferId: string) => `${ctx.urls.gatewayA}/portability/v1/transfers/${transferId}/receipt`;

const item = (over: Record<string, unknown> = {}) => ({
  itemId: 'x1',
  title: 'Un contenu',
  category: 'STOCKAGE_PARTAGE',
  formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 10 }],
  ...over,
});
const offer = (over: Record<string, unknown> = {}) => ({
  offerId: randomUUID(),
  contractVersion: '1',
  departure: { entId: 'ent-a', uai: DEMO.uaiA },
  arrival: { uai: DEMO.uaiB },
  owner: { identityClaim: 'sub', identity: HOSTILE_OWNER },
  expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  items: [item()],
  ...over,
});

/** An offer from A to B, with A's offer token unless told otherwise. */
const postOffer = async (body: unknown, token?: string) => call('POST', offersUrl(), { token: token ?? (await aToB('portability:offer')), json: body });
const postOfferRaw = async (raw: string | Buffer, contentType?: string) => call('POST', offersUrl(), { token: await aToB('portability:offer'), raw, contentType });
const postDelivery = async (offerId: string, body: unknown, token?: string) =>
  call('POST', deliveriesUrl(offerId), { token: token ?? (await aToB('portability:deliver')), json: body });
const postReceipt = async (transferId: string, body: unknown, token?: string) =>
  call('POST', receiptUrl(transferId), { token: token ?? (await bToA('portability:receipt')), json: body });
const getContent = async (transferId: string, itemId: string, token?: string, kind = 'content') =>
  call('GET', contentUrl(transferId, itemId, kind), { token: token ?? (await bToA('portability:fetch')) });

function teacherCall(client: TeacherClient | undefined, base: string, method: string, path: string, o: CallOptions = {}): Promise<Response> {
  const url = `${base}${path}`;
  return call(method, url, { ...o, ...(client ? { cookie: client.jar.header(url) } : {}) });
}
const atA = (client: TeacherClient | undefined, method: string, path: string, o: CallOptions = {}) => teacherCall(client, ctx.urls.gatewayA, method, path, o);
const atB = (client: TeacherClient | undefined, method: string, path: string, o: CallOptions = {}) => teacherCall(client, ctx.urls.gatewayB, method, path, o);

/** An access token for B as the IdP would issue it, but signed with our own key. */
const foreignAccessToken = (header: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  signCompact(
    { typ: 'at+jwt', kid: 'x', ...header },
    { ...accessTokenClaims({ issuer: ctx.urls.idp, audience: ctx.urls.gatewayB, clientId: DEMO.clientA.id, scope: 'portability:offer' }), ...over },
  );

// ------------------------------------------------------------------ assertions on what was stored

const fieldsOf = (body: any): string[] => (body?.errors ?? []).map((e: any) => e.field);
const expectField = (field: string) => (body: any) => expect(fieldsOf(body)).toContain(field);
const expectFieldMatching = (re: RegExp) => (body: any) => expect(fieldsOf(body).some((f) => re.test(f))).toBe(true);

/** The only change: gateway B received one offer (transfer ANSWERED, its items, its events). */
function onlyNewArrival(offerId: string, itemCount: number, extra?: (added: { transfer: any; items: any[]; events: any[] }) => void) {
  return (diff: SnapshotDiff) => {
    expect(describeDiff({ a: diff.a, b: { tables: {}, objectsAdded: [], objectsRemoved: [] } })).toBe('');
    expect(diff.b.objectsAdded).toEqual([]);
    expect(diff.b.objectsRemoved).toEqual([]);
    const changed = Object.keys(diff.b.tables).sort();
    expect(changed.filter((t) => t !== 'jobs')).toEqual(['transfer_events', 'transfer_items', 'transfers']);
    for (const t of Object.values(diff.b.tables)) expect(t.removed).toEqual([]);
    // The jobs an answered offer may schedule, none runnable now: its expiry at the offer's
    // expiresAt, and the deadline for its owner to appear (ADR 011).
    for (const j of diff.b.tables.jobs?.added ?? []) {
      expect(j).toMatchObject({ kind: expect.stringMatching(/expire|owner-deadline/), state: 'PENDING', payload: { transferId: offerId } });
      expect(new Date(j.run_at).getTime()).toBeGreaterThan(Date.now());
    }
    const transfers = diff.b.tables.transfers.added;
    expect(transfers).toHaveLength(1);
    expect(transfers[0]).toMatchObject({ id: offerId, role: 'ARRIVAL', state: 'ANSWERED', departure_ent_id: 'ent-a', owner_identity: HOSTILE_OWNER });
    const items = diff.b.tables.transfer_items.added;
    expect(items).toHaveLength(itemCount);
    for (const i of items) expect(i).toMatchObject({ transfer_id: offerId, role: 'ARRIVAL' });
    const events = diff.b.tables.transfer_events.added;
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.transfer_id).toBe(offerId);
    extra?.({ transfer: transfers[0], items, events });
  };
}

/** The only change: one ITEM_DOWNLOADED event at B for this item (a manual download is audited). */
function onlyDownloadEvent(transferId: () => string, itemId: () => string) {
  return (diff: SnapshotDiff) => {
    expect(describeDiff({ a: diff.a, b: { tables: {}, objectsAdded: [], objectsRemoved: [] } })).toBe('');
    expect(Object.keys(diff.b.tables)).toEqual(['transfer_events']);
    expect(diff.b.tables.transfer_events.removed).toEqual([]);
    expect(diff.b.tables.transfer_events.added).toHaveLength(1);
    expect(diff.b.tables.transfer_events.added[0]).toMatchObject({ transfer_id: transferId(), role: 'ARRIVAL', item_id: itemId(), type: 'ITEM_DOWNLOADED' });
    expect(diff.b.objectsAdded).toEqual([]);
    expect(diff.b.objectsRemoved).toEqual([]);
  };
}

/** Content-Disposition of a manual download: printable ASCII only, no quote or backslash inside the names. */
function expectSafeDisposition(res: Response) {
  const cd = res.headers.get('content-disposition') ?? '';
  expect(cd).toMatch(/^[\x20-\x7e]+$/);
  const m = /^attachment; filename="([^"]*)"; filename\*=UTF-8''([^\s;"]+)$/.exec(cd);
  expect(m).not.toBeNull();
  const [, ascii, encoded] = m!;
  expect(ascii).not.toMatch(/[\\\x00-\x1f\x7f/]/);
  const decoded = decodeURIComponent(encoded);
  expect(decoded).not.toMatch(/[\u0000-\u001f\u007f-\u009f"\\/]/);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  return { ascii, decoded };
}

async function healthy(base: string) {
  const res = await fetch(`${base}/health`);
  expect(res.status).toBe(200);
}

// ------------------------------------------------------------------ the table

const cases: HostileCase[] = [
  // ---- the JSON envelope
  {
    name: 'offer: malformed JSON',
    send: () => postOfferRaw('{"offerId": '),
    status: 400,
    type: T.malformedJson,
  },
  {
    name: 'offer: valid JSON followed by garbage',
    send: () => postOfferRaw(`${JSON.stringify(offer())} {"again":1}`),
    status: 400,
    type: T.malformedJson,
  },
  {
    name: 'offer: a bare JSON string as the body (strict JSON)',
    send: () => postOfferRaw('"just a string"'),
    status: 400,
    type: T.malformedJson,
  },
  {
    name: 'offer: a JSON array instead of an object',
    send: () => postOfferRaw(JSON.stringify([offer()])),
    status: 400,
    type: T.validation,
  },
  {
    name: 'offer: JSON sent as text/plain (no JSON body for the endpoint)',
    send: () => postOfferRaw(JSON.stringify(offer()), 'text/plain'),
    status: 400,
    type: T.validation,
  },
  {
    name: 'offer: body over MAX_BODY_BYTES (1 MiB), with Content-Length',
    send: () => postOfferRaw(JSON.stringify(offer({ items: [item({ title: 'x'.repeat(1_100_000) })] }))),
    status: 413,
    type: T.payloadTooLarge,
  },
  {
    name: 'offer: body over MAX_BODY_BYTES sent chunked (no Content-Length)',
    send: async () => {
      const raw = Buffer.from(JSON.stringify(offer({ items: [item({ title: 'y'.repeat(1_100_000) })] })));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < raw.length; i += 64 * 1024) controller.enqueue(raw.subarray(i, i + 64 * 1024));
          controller.close();
        },
      });
      return fetch(offersUrl(), {
        method: 'POST',
        headers: { authorization: `Bearer ${await aToB('portability:offer')}`, 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
    },
    status: 413,
    type: T.payloadTooLarge,
  },
  {
    name: 'offer: a gzip bomb as the body (8 KiB on the wire, 8 MiB of JSON once inflated)',
    send: async () => {
      const inflated = JSON.stringify(offer()).replace(/}$/, `,"pad":"${' '.repeat(8 * 1024 * 1024)}"}`);
      return fetch(offersUrl(), {
        method: 'POST',
        headers: { authorization: `Bearer ${await aToB('portability:offer')}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(inflated, { level: 9 }),
      });
    },
    status: 413,
    type: T.payloadTooLarge,
  },
  {
    name: 'offer: a body in a content encoding the gateway does not decode (compress)',
    send: async () =>
      fetch(offersUrl(), {
        method: 'POST',
        headers: { authorization: `Bearer ${await aToB('portability:offer')}`, 'content-type': 'application/json', 'content-encoding': 'compress' },
        body: Buffer.from('1f9d90', 'hex'),
      }),
    status: 415,
    type: 'about:blank',
  },
  {
    name: 'offer: JSON declared in a charset other than UTF-8',
    send: () => postOfferRaw(JSON.stringify(offer()), 'application/json; charset=koi8-r'),
    status: 415,
    type: 'about:blank',
  },
  {
    name: 'offer: 10 000 levels of nested arrays in an unknown field (no crash)',
    send: () => postOfferRaw(JSON.stringify(offer()).replace(/}$/, `,"extra":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)),
    status: 400,
    type: T.validation,
    check: async () => {
      await healthy(ctx.urls.gatewayB);
      expect(ctx.env.stack.processes.get('gateway-b')!.exitCode).toBeNull();
    },
  },
  {
    name: 'offer: 10 000 levels of nested objects in place of owner (no crash)',
    send: () => {
      const o = offer();
      const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
      return postOfferRaw(JSON.stringify(o).replace(JSON.stringify(o.owner), deep));
    },
    status: 400,
    type: T.validation,
    check: async () => {
      await healthy(ctx.urls.gatewayB);
      expect(ctx.env.stack.processes.get('gateway-b')!.exitCode).toBeNull();
    },
  },
  {
    name: 'offer: "__proto__" key (prototype pollution attempt) is an unknown field',
    send: () => postOfferRaw(JSON.stringify(offer()).replace(/}$/, ',"__proto__":{"polluted":true,"isAdmin":true}}')),
    status: 400,
    type: T.validation,
    check: async () => healthy(ctx.urls.gatewayB),
  },

  // ---- the schema: unknown fields, wrong types, bounds
  {
    name: 'offer: unknown top-level field',
    send: () => postOffer({ ...offer(), surprise: true }),
    status: 400,
    type: T.validation,
    check: expectField('surprise'),
  },
  {
    name: 'offer: unknown nested field (items[0].formats[0].sha512)',
    send: () => postOffer(offer({ items: [item({ formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 10, sha512: 'x' }] })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats[0].sha512'),
  },
  {
    // @ValidateNested alone descended into the inner array and accepted it (past maxItems too).
    name: 'offer: an array in place of an item ([[item]])',
    send: () => postOffer(offer({ items: [[item()]] })),
    status: 400,
    type: T.validation,
    check: expectField('items'),
  },
  {
    name: 'offer: an array in place of a format ([[format]])',
    send: () => postOffer(offer({ items: [item({ formats: [[{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 10 }]] })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats'),
  },
  {
    name: 'offer: unknown nested field in owner (owner.isAdmin)',
    send: () => postOffer(offer({ owner: { identityClaim: 'sub', identity: HOSTILE_OWNER, isAdmin: true } })),
    status: 400,
    type: T.validation,
    check: expectField('owner.isAdmin'),
  },
  {
    name: 'offer: wrong type, string for sizeBytes',
    send: () => postOffer(offer({ items: [item({ formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: '10' }] })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats[0].sizeBytes'),
  },
  {
    name: 'offer: wrong type, number for title',
    send: () => postOffer(offer({ items: [item({ title: 42 })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].title'),
  },
  {
    name: 'offer: wrong type, array for owner (holding a valid owner)',
    send: () => postOffer(offer({ owner: [{ identityClaim: 'sub', identity: HOSTILE_OWNER }] })),
    status: 400,
    type: T.validation,
    check: expectFieldMatching(/^owner/),
  },
  {
    name: 'offer: wrong type, array for arrival (holding a valid arrival)',
    send: () => postOffer(offer({ arrival: [{ uai: DEMO.uaiB }] })),
    status: 400,
    type: T.validation,
    check: expectFieldMatching(/^arrival/),
  },
  {
    name: 'offer: wrong type, object for items',
    send: () => postOffer(offer({ items: { 0: item() } })),
    status: 400,
    type: T.validation,
    check: expectField('items'),
  },
  {
    name: 'offer: offerId is not a UUID',
    send: () => postOffer(offer({ offerId: '../../etc/passwd' })),
    status: 400,
    type: T.validation,
    check: expectField('offerId'),
  },
  {
    name: "offer: contractVersion '2'",
    send: () => postOffer(offer({ contractVersion: '2' })),
    status: 400,
    type: T.validation,
    check: expectField('contractVersion'),
  },
  {
    name: 'offer: invalid departure UAI (lower-case letter)',
    send: () => postOffer(offer({ departure: { entId: 'ent-a', uai: '0750001a' } })),
    status: 400,
    type: T.validation,
    check: expectField('departure.uai'),
  },
  {
    name: 'offer: invalid arrival UAI (6 digits)',
    send: () => postOffer(offer({ arrival: { uai: '069002B' } })),
    status: 400,
    type: T.validation,
    check: expectField('arrival.uai'),
  },
  {
    name: 'offer: 501 items (limit 500)',
    send: () => postOffer(offer({ items: Array.from({ length: 501 }, (_, i) => item({ itemId: `i${i}` })) })),
    status: 400,
    type: T.validation,
    check: expectField('items'),
  },
  {
    name: 'offer: title of 501 characters (limit 500)',
    send: () => postOffer(offer({ items: [item({ title: 't'.repeat(501) })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].title'),
  },
  {
    name: 'offer: empty title',
    send: () => postOffer(offer({ items: [item({ title: '' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].title'),
  },
  {
    name: 'offer: negative size',
    send: () => postOffer(offer({ items: [item({ formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: -1 }] })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats[0].sizeBytes'),
  },
  {
    name: 'offer: size over the 50 GiB declared limit',
    send: () => postOffer(offer({ items: [item({ formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 50 * 1024 ** 3 + 1 }] })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats[0].sizeBytes'),
  },
  {
    name: 'offer: size 1e400 (Infinity once parsed)',
    send: () => postOfferRaw(JSON.stringify(offer()).replace('"sizeBytes":10', '"sizeBytes":1e400')),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats[0].sizeBytes'),
  },
  {
    name: 'offer: 11 formats for one item (limit 10)',
    send: () => postOffer(offer({ items: [item({ formats: Array.from({ length: 11 }, () => ({ format: 'binary', mediaType: 'application/pdf', sizeBytes: 1 })) })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats'),
  },
  {
    name: 'offer: media type with a CRLF header injection',
    send: () => postOffer(offer({ items: [item({ formats: [{ format: 'binary', mediaType: 'application/pdf\r\nX-Injected: 1', sizeBytes: 10 }] })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].formats[0].mediaType'),
  },
  {
    name: 'offer: expiresAt is not an ISO 8601 date',
    send: () => postOffer(offer({ expiresAt: 'tomorrow' })),
    status: 400,
    type: T.validation,
    check: expectField('expiresAt'),
  },
  {
    // ISO 8601 but no date a clock reads: new Date() gives NaN, which no comparison refuses.
    name: 'offer: expiresAt an ISO 8601 week date (2030-W01-1)',
    send: () => postOffer(offer({ expiresAt: '2030-W01-1' })),
    status: 400,
    type: T.validation,
    check: expectField('expiresAt'),
  },
  {
    name: 'offer: expiresAt already in the past',
    send: () => postOffer(offer({ expiresAt: new Date(Date.now() - 60_000).toISOString() })),
    status: 400,
    type: T.validation,
    check: expectField('expiresAt'),
  },
  {
    name: 'offer: owner missing',
    send: () => {
      const { owner: _owner, ...rest } = offer();
      return postOffer(rest);
    },
    status: 400,
    type: T.validation,
    check: expectFieldMatching(/^owner/),
  },

  // ---- Unicode tricks in ids and titles
  {
    name: 'offer: itemId with a right-to-left override (U+202E)',
    send: () => postOffer(offer({ items: [item({ itemId: 'devoir\u202Efdp.exe' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].itemId'),
  },
  {
    name: 'offer: itemId with a NUL byte',
    send: () => postOffer(offer({ items: [item({ itemId: 'x1\u0000.pdf' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].itemId'),
  },
  {
    name: 'offer: itemId with a combining accent (e + U+0301)',
    send: () => postOffer(offer({ items: [item({ itemId: 'cafe\u0301' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].itemId'),
  },
  {
    name: 'offer: itemId in full-width characters',
    send: () => postOffer(offer({ items: [item({ itemId: '\uFF58\uFF11' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].itemId'),
  },
  {
    name: 'offer: itemId of 129 characters (overlong)',
    send: () => postOffer(offer({ items: [item({ itemId: `a${'b'.repeat(128)}` })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].itemId'),
  },
  {
    name: 'offer: itemId with path traversal (../../etc/passwd)',
    send: () => postOffer(offer({ items: [item({ itemId: '../../etc/passwd' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].itemId'),
  },
  {
    name: 'offer: title containing a NUL character (Postgres text cannot hold it)',
    send: () => postOffer(offer({ items: [item({ title: 'Bulletin\u0000.pdf' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items[0].title'),
  },
  {
    name: 'offer: owner identity containing a NUL character',
    send: () => postOffer(offer({ owner: { identityClaim: 'sub', identity: 'marie.dupont\u0000admin' } })),
    status: 400,
    type: T.validation,
    check: expectField('owner.identity'),
  },
  (() => {
    const o = offer({ items: [item({ itemId: 'rtl', title: RTL_TITLE })] });
    return {
      name: 'offer: title with RTL override, combining accent, ZWJ, quotes and HTML is answered and stored verbatim',
      send: () => postOffer(o),
      status: 200,
      type: 'decision:IMPORT',
      stores: onlyNewArrival(o.offerId, 1, ({ transfer, items }) => {
        expect(items[0].title).toBe(RTL_TITLE);
        expect(transfer.offer.items[0].title).toBe(RTL_TITLE);
      }),
    } satisfies HostileCase;
  })(),
  (() => {
    const o = offer({ items: [item({ itemId: 'xml', title: XXE_TITLE, metadata: [{ format: 'scolomfr-3.1' }] })] });
    return {
      name: 'offer: title carrying an XML DOCTYPE with XXE and entity expansion is plain text (answered, stored verbatim)',
      send: () => postOffer(o),
      status: 200,
      type: 'decision:IMPORT',
      stores: onlyNewArrival(o.offerId, 1, ({ items }) => {
        expect(items[0].title).toBe(XXE_TITLE);
        expect(items[0].metadata_format).toBe('scolomfr-3.1');
      }),
    } satisfies HostileCase;
  })(),

  // ---- semantics: who is who, what is served, duplicates, idempotency
  {
    name: 'offer: departure entId is not the caller (identity mismatch of the peer)',
    send: () => postOffer(offer({ departure: { entId: 'ent-z', uai: DEMO.uaiA } })),
    status: 403,
    type: T.forbidden,
  },
  {
    name: 'offer: arrival UAI not served by this gateway',
    send: () => postOffer(offer({ arrival: { uai: DEMO.uaiA } })),
    status: 422,
    type: T.unknownArrival,
  },
  {
    name: 'offer: owner bound by another identity claim than the one this arrival binds on (email ≠ sub)',
    send: () => postOffer(offer({ owner: { identityClaim: 'email', identity: 'paul.martin' } })),
    status: 400,
    type: T.validation,
    check: expectFieldMatching(/^owner/),
  },
  {
    name: 'offer: duplicate item ids',
    send: () => postOffer(offer({ items: [item({ itemId: 'dup' }), item({ itemId: 'dup', title: 'Autre' })] })),
    status: 400,
    type: T.validation,
    check: expectField('items'),
  },
  (() => {
    const o = offer({ items: [item({ itemId: 'weird', formats: [{ format: 'x-inconnu-9', mediaType: 'application/octet-stream', sizeBytes: 10 }] })] });
    return {
      name: 'offer: unknown format is answered REFUSED/UNKNOWN_FORMAT, not a crash',
      send: () => postOffer(o),
      status: 200,
      type: 'decision:REFUSED/UNKNOWN_FORMAT',
      stores: onlyNewArrival(o.offerId, 1, ({ items }) => expect(items[0]).toMatchObject({ state: 'REFUSED', decision: 'REFUSED' })),
    } satisfies HostileCase;
  })(),
  (() => {
    const o = offer({ items: [item({ itemId: 'big', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 3 * 1024 ** 3 }] })] });
    return {
      name: 'offer: item over the arrival limit (3 GiB > 2 GiB) is answered REFUSED/ITEM_TOO_LARGE',
      send: () => postOffer(o),
      status: 200,
      type: 'decision:REFUSED/ITEM_TOO_LARGE',
      stores: onlyNewArrival(o.offerId, 1),
    } satisfies HostileCase;
  })(),
  ...(() => {
    const o = offer({ items: [item({ itemId: 'idem' })] });
    let first: any;
    return [
      {
        name: 'offer: a well-formed offer is answered and stored (reference for the next two rows)',
        send: () => postOffer(o),
        status: 200,
        type: 'decision:IMPORT',
        check: (body: any) => {
          first = body;
        },
        stores: onlyNewArrival(o.offerId, 1),
      },
      {
        name: 'offer: the same offer again is answered identically and stores nothing',
        send: () => postOffer(o),
        status: 200,
        type: 'replay',
        check: (body: any) => expect(body).toEqual(first),
      },
      {
        name: 'offer: same offerId with a different body',
        send: () => postOffer({ ...o, items: [item({ itemId: 'idem', title: 'Autre titre' })] }),
        status: 409,
        type: T.conflict,
      },
    ] satisfies HostileCase[];
  })(),

  // ---- tokens
  {
    name: 'token: none',
    send: () => call('POST', offersUrl(), { json: offer() }),
    status: 401,
    type: T.unauthenticated,
  },
  {
    name: 'token: Authorization: Basic (client secret instead of a token)',
    send: () => call('POST', offersUrl(), { authorization: `Basic ${Buffer.from(`${DEMO.clientA.id}:${DEMO.clientA.secret}`).toString('base64')}`, json: offer() }),
    status: 401,
    type: T.unauthenticated,
  },
  {
    name: 'token: not a JWT',
    send: () => call('POST', offersUrl(), { token: 'not-a-jwt', json: offer() }),
    status: 401,
    type: T.invalidToken,
  },
  {
    name: 'token: forged (payload changed to add a scope, signature kept) from a genuine token the gateway already accepted',
    send: async () => {
      const genuine = await aToB('portability:capabilities');
      // The gateway keeps the tokens it verified (issue 17): the genuine one is accepted, and known.
      expect((await call('GET', capabilitiesUrl(), { token: genuine })).status).toBe(200);
      return call('POST', offersUrl(), { token: withPayload(genuine, (p) => ({ ...p, scope: 'portability:offer' })), json: offer() });
    },
    status: 401,
    type: T.invalidToken,
  },
  {
    name: 'token: signed by a key not in the IdP JWKS (kid "x")',
    send: () => call('POST', offersUrl(), { token: foreignAccessToken({}), json: offer() }),
    status: 401,
    type: T.invalidToken,
  },
  {
    name: 'token: hand-signed with a foreign key and already expired (rejected for its signature)',
    send: () => {
      const iat = Math.floor(Date.now() / 1000) - 3600;
      return call('POST', offersUrl(), { token: foreignAccessToken({ kid: ctx.idpJwks.keys[0].kid }, { iat, exp: iat + 60 }), json: offer() });
    },
    status: 401,
    type: T.invalidToken,
    check: (body) => expect(body.detail).toMatch(/could not be verified/),
  },
  {
    name: "token: signed by a foreign key under the IdP's real kid",
    send: () => call('POST', offersUrl(), { token: foreignAccessToken({ kid: ctx.idpJwks.keys[0].kid }), json: offer() }),
    status: 401,
    type: T.invalidToken,
  },
  {
    name: 'token: alg "none"',
    send: () =>
      call('POST', offersUrl(), {
        token: unsignedCompact({ typ: 'at+jwt' }, accessTokenClaims({ issuer: ctx.urls.idp, audience: ctx.urls.gatewayB, clientId: DEMO.clientA.id, scope: 'portability:offer' })),
        json: offer(),
      }),
    status: 401,
    type: T.invalidToken,
  },
  {
    name: "token: HS256 keyed with the IdP's public key (algorithm confusion)",
    send: () =>
      call('POST', offersUrl(), {
        token: hmacCompact(
          { typ: 'at+jwt', kid: ctx.idpJwks.keys[0].kid },
          accessTokenClaims({ issuer: ctx.urls.idp, audience: ctx.urls.gatewayB, clientId: DEMO.clientA.id, scope: 'portability:offer' }),
          JSON.stringify(ctx.idpJwks.keys[0]),
        ),
        json: offer(),
      }),
    status: 401,
    type: T.invalidToken,
  },
  {
    name: `token: genuine IdP token verified, then presented again after it expired (TTL ${TOKEN_TTL_SECONDS} s, + 5 s tolerance)`,
    send: async () => {
      const token = await aToB('portability:offer');
      const { exp, iat } = decodePart(token, 1);
      expect(exp - iat).toBe(TOKEN_TTL_SECONDS);
      // Verified while valid (then refused for its scope, which changes nothing): the gateway
      // keeps the tokens it verified until their expiry (issue 17), never beyond.
      const early = await call('GET', capabilitiesUrl(), { token });
      expect([early.status, ((await early.json()) as any).type]).toEqual([403, T.insufficientScope]);
      await sleep(Math.max(0, (exp + 7) * 1000 - Date.now()));
      return call('POST', offersUrl(), { token, json: offer() });
    },
    status: 401,
    type: T.invalidToken,
    check: (body) => expect(body.detail).toMatch(/expired/),
  },
  {
    name: 'token: issued for another audience (gateway A)',
    send: async () => call('POST', offersUrl(), { token: await tokenFor(DEMO.clientA, ctx.urls.gatewayA, 'portability:offer'), json: offer() }),
    status: 403,
    type: T.wrongAudience,
  },
  {
    name: 'token: without the scope of the operation (already accepted for the one it has)',
    send: async () => {
      const token = await aToB('portability:capabilities');
      expect((await call('GET', capabilitiesUrl(), { token })).status).toBe(200);
      return call('POST', offersUrl(), { token, json: offer() });
    },
    status: 403,
    type: T.insufficientScope,
  },
  {
    name: 'token: ent-c, known to the IdP but not a registered peer',
    send: async () => call('POST', offersUrl(), { token: await tokenFor(DEMO.clientC, ctx.urls.gatewayB, 'portability:offer'), json: offer() }),
    status: 403,
    type: T.unknownPeer,
  },
  {
    name: "token: gateway B's own client calling B (not its own peer)",
    send: async () => call('POST', offersUrl(), { token: await tokenFor(DEMO.clientB, ctx.urls.gatewayB, 'portability:offer'), json: offer() }),
    status: 403,
    type: T.unknownPeer,
  },
  {
    name: "token: a teacher's ID token used as an access token",
    send: () => call('POST', offersUrl(), { token: ctx.teacher.idToken, json: offer() }),
    status: 401,
    type: T.invalidToken,
  },
  {
    name: "token: a teacher's (opaque) user access token",
    send: () => call('POST', offersUrl(), { token: ctx.teacher.accessToken, json: offer() }),
    status: 401,
    type: T.invalidToken,
  },

  // ---- deliveries (B is the arrival; A's deliver token)
  {
    name: 'delivery: for an unknown offer',
    send: () => postDelivery(randomUUID(), { manifest: ctx.t1.manifest }),
    status: 404,
    type: T.notFound,
  },
  {
    name: 'delivery: offerId in the path is not a UUID',
    send: () => postDelivery('..%2F..%2Fetc', { manifest: ctx.t1.manifest }),
    status: 400,
    type: T.validation,
  },
  {
    name: 'delivery: manifest is not a JWS',
    send: () => postDelivery(ctx.t2.id, { manifest: '{"objects":[]}' }),
    status: 400,
    type: T.validation,
    check: expectField('manifest'),
  },
  {
    name: 'delivery: unknown field beside the manifest',
    send: () => postDelivery(ctx.t2.id, { manifest: ctx.t1.manifest, objects: [] }),
    status: 400,
    type: T.validation,
    check: expectField('objects'),
  },
  {
    name: "delivery: manifest signed by a foreign key under A's kid, claiming to be A",
    send: () => {
      const payload = { ...decodePart(ctx.t1.manifest, 1), offerId: ctx.t2.id, issuedAt: new Date().toISOString() };
      return postDelivery(ctx.t2.id, { manifest: signCompact({ typ: MANIFEST_TYP, kid: ctx.aJwks.keys[0].kid }, payload, 'ES256') });
    },
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: 'delivery: manifest with alg "none"',
    send: () => postDelivery(ctx.t2.id, { manifest: unsignedCompact({ typ: MANIFEST_TYP, kid: ctx.aJwks.keys[0].kid }, { ...decodePart(ctx.t1.manifest, 1), offerId: ctx.t2.id }, 'AAAA') }),
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: "delivery: manifest HS256-keyed with A's public key (algorithm confusion)",
    send: () =>
      postDelivery(ctx.t2.id, {
        manifest: hmacCompact({ typ: MANIFEST_TYP, kid: ctx.aJwks.keys[0].kid }, { ...decodePart(ctx.t1.manifest, 1), offerId: ctx.t2.id }, JSON.stringify(ctx.aJwks.keys[0])),
      }),
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: "delivery: A's genuine manifest tampered (sizes and checksums changed, signature kept)",
    send: () =>
      postDelivery(ctx.t1.id, {
        manifest: withPayload(ctx.t1.manifest, (m) => ({ ...m, objects: m.objects.map((o: any) => ({ ...o, sizeBytes: o.sizeBytes + 1, sha256: '0'.repeat(64) })) })),
      }),
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: "delivery: A's genuine manifest (transfer 1) replayed for another offer",
    send: () => postDelivery(ctx.t2.id, { manifest: ctx.t1.manifest }),
    status: 400,
    type: T.validation,
    check: (body) => expect(JSON.stringify(body.errors)).toMatch(/offerId does not match/),
  },
  {
    name: "delivery: A's genuine manifest replayed for its own offer is an idempotent 202",
    send: () => postDelivery(ctx.t1.id, { manifest: ctx.t1.manifest }),
    status: 202,
    type: 'replay',
    check: (body) => expect(body).toMatchObject({ offerId: ctx.t1.id, status: 'DONE', objects: decodePart(ctx.t1.manifest, 1).objects.length }),
  },
  {
    name: "delivery: B's own genuine receipt presented as A's manifest",
    send: () => postDelivery(ctx.t2.id, { manifest: ctx.t1.receipt }),
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: 'delivery: token with the fetch scope only',
    send: async () => postDelivery(ctx.t2.id, { manifest: ctx.t1.manifest }, await aToB('portability:fetch')),
    status: 403,
    type: T.insufficientScope,
  },
  {
    name: 'delivery: ent-c token',
    send: async () => postDelivery(ctx.t2.id, { manifest: ctx.t1.manifest }, await tokenFor(DEMO.clientC, ctx.urls.gatewayB, 'portability:deliver')),
    status: 403,
    type: T.unknownPeer,
  },

  // ---- content (A is the departure; B's fetch token)
  {
    name: 'content: unknown transfer id',
    send: () => getContent(randomUUID(), 'x1'),
    status: 404,
    type: T.notFound,
  },
  {
    name: 'content: transfer id is not a UUID',
    send: () => getContent('not-a-uuid', 'x1'),
    status: 400,
    type: T.validation,
  },
  {
    name: 'content: itemId with encoded path traversal (..%2F..%2Fetc%2Fpasswd)',
    send: () => getContent(ctx.t1.id, '..%2F..%2Fetc%2Fpasswd'),
    status: 400,
    type: T.validation,
  },
  {
    name: 'metadata: itemId with encoded path traversal',
    send: () => getContent(ctx.t1.id, '..%2F..%2F..%2Fdeparture', undefined, 'metadata'),
    status: 400,
    type: T.validation,
  },
  {
    name: 'content: itemId with a right-to-left override',
    send: () => getContent(ctx.t1.id, encodeURIComponent('x\u202Efdp')),
    status: 400,
    type: T.validation,
  },
  {
    name: 'content: transfer already receipted and cleaned',
    send: () => getContent(ctx.t1.id, ctx.t1.items.pdf.id),
    status: 409,
    type: T.invalidState,
  },
  {
    name: 'content: transfer never delivered',
    send: () => getContent(ctx.t2.id, ctx.t2.itemId),
    status: 409,
    type: T.invalidState,
  },
  {
    name: "content: another peer's request (ent-c token)",
    send: async () => getContent(ctx.t1.id, ctx.t1.items.pdf.id, await tokenFor(DEMO.clientC, ctx.urls.gatewayA, 'portability:fetch')),
    status: 403,
    type: T.unknownPeer,
  },
  {
    name: "content: A's own client token at A",
    send: async () => getContent(ctx.t1.id, ctx.t1.items.pdf.id, await tokenFor(DEMO.clientA, ctx.urls.gatewayA, 'portability:fetch')),
    status: 403,
    type: T.unknownPeer,
  },

  // ---- receipts (A is the departure; B's receipt token)
  {
    name: "receipt: signed by a foreign key under B's kid",
    send: () => {
      const payload = { ...decodePart(ctx.t1.receipt, 1), issuedAt: new Date().toISOString() };
      return postReceipt(ctx.t1.id, { receipt: signCompact({ typ: RECEIPT_TYP, kid: ctx.bJwks.keys[0].kid }, payload, 'ES256') });
    },
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: 'receipt: a different receipt for a receipted transfer (only forgeable: foreign key, items all IMPORTED)',
    send: () => {
      const payload = decodePart(ctx.t1.receipt, 1);
      const different = { ...payload, items: payload.items.map((i: any) => ({ ...i, status: 'IMPORTED' })) };
      return postReceipt(ctx.t1.id, { receipt: signCompact({ typ: RECEIPT_TYP, kid: ctx.bJwks.keys[0].kid }, different, 'ES256') });
    },
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: 'receipt: for an unknown transfer',
    send: () => postReceipt(randomUUID(), { receipt: ctx.t1.receipt }),
    status: 404,
    type: T.notFound,
  },
  {
    name: 'receipt: not a JWS',
    send: () => postReceipt(ctx.t1.id, { receipt: 'IMPORTED' }),
    status: 400,
    type: T.validation,
    check: expectField('receipt'),
  },
  {
    name: "receipt: B's genuine receipt tampered (an item's status changed, signature kept)",
    send: () => postReceipt(ctx.t1.id, { receipt: withPayload(ctx.t1.receipt, (r) => ({ ...r, items: r.items.map((i: any) => ({ ...i, status: 'FAILED' })) })) }),
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: "receipt: B's genuine receipt replayed after completion is an idempotent 200",
    send: () => postReceipt(ctx.t1.id, { receipt: ctx.t1.receipt }),
    status: 200,
    type: 'replay',
    check: (body) => expect(body).toEqual({ offerId: ctx.t1.id, status: 'CLEANED' }),
  },
  {
    name: "receipt: B's genuine receipt (transfer 1) replayed for another transfer",
    send: () => postReceipt(ctx.t2.id, { receipt: ctx.t1.receipt }),
    status: 400,
    type: T.validation,
  },
  {
    name: "receipt: A's own manifest presented as B's receipt",
    send: () => postReceipt(ctx.t1.id, { receipt: ctx.t1.manifest }),
    status: 400,
    type: T.invalidSignature,
  },
  {
    name: 'receipt: token with the deliver scope only',
    send: async () => postReceipt(ctx.t1.id, { receipt: ctx.t1.receipt }, await bToA('portability:deliver')),
    status: 403,
    type: T.insufficientScope,
  },

  // ---- teacher API
  {
    name: 'teacher: list transfers without a session',
    send: () => atA(undefined, 'GET', '/api/transfers'),
    status: 401,
    type: T.unauthenticated,
  },
  {
    name: 'teacher: create a transfer without a session',
    send: () => atA(undefined, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiB, itemIds: ['ent-a-marie-fiche-demarche'] } }),
    status: 401,
    type: T.unauthenticated,
  },
  {
    name: 'teacher: forged session cookie',
    send: () => atA(undefined, 'GET', '/api/transfers', { cookie: 'gateway_a.sid=s%3Aforged-session-id.c2lnbmF0dXJl' }),
    status: 401,
    type: T.unauthenticated,
  },
  {
    name: "teacher: A's session cookie replayed at B",
    send: () => atB(undefined, 'GET', '/api/received', { cookie: `gateway_b.sid=${ctx.marieA.jar.get(ctx.urls.gatewayA, 'gateway_a.sid')}` }),
    status: 401,
    type: T.unauthenticated,
  },
  {
    name: "teacher: another teacher's transfer (lucas reads marie's)",
    send: () => atA(ctx.lucasA, 'GET', `/api/transfers/${ctx.t1.id}`),
    status: 404,
    type: T.notFound,
  },
  {
    name: "teacher: another teacher's proof",
    send: () => atA(ctx.lucasA, 'GET', `/api/transfers/${ctx.t1.id}/proof`),
    status: 404,
    type: T.notFound,
  },
  {
    name: "teacher: another teacher starts marie's analysed transfer",
    send: () => atA(ctx.lucasA, 'POST', `/api/transfers/${ctx.t2.id}/start`),
    status: 404,
    type: T.notFound,
  },
  {
    name: 'teacher: invalid arrivalUai, with a French message',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: '69002B', itemIds: ['ent-a-marie-fiche-demarche'] } }),
    status: 400,
    type: T.validation,
    check: (body) => {
      expect(fieldsOf(body)).toContain('arrivalUai');
      expect(body.detail).toMatch(/7 chiffres suivis d'une lettre majuscule/);
    },
  },
  {
    name: 'teacher: arrivalUai of a school no peer serves',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: '0130003C', itemIds: ['ent-a-marie-fiche-demarche'] } }),
    status: 422,
    type: T.unknownArrival,
    check: (body) => expect(body.detail).toMatch(/Aucun ENT partenaire/),
  },
  {
    name: 'teacher: arrivalUai served by this very ENT',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiA, itemIds: ['ent-a-marie-fiche-demarche'] } }),
    status: 422,
    type: T.unknownArrival,
  },
  {
    name: "teacher: items not owned (lucas's content picked by marie)",
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiB, itemIds: ['ent-a-lucas-tp-titrage'] } }),
    status: 404,
    type: T.notFound,
  },
  {
    name: "teacher: a teacher of a school this ENT does not serve (paul, from B's school)",
    send: () => atA(ctx.paulA, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiB, itemIds: ['ent-a-marie-fiche-demarche'] } }),
    status: 403,
    type: T.forbidden,
  },
  {
    name: 'teacher: itemIds with path traversal',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiB, itemIds: ['../../etc/passwd'] } }),
    status: 400,
    type: T.validation,
  },
  {
    name: 'teacher: itemIds with a right-to-left override',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiB, itemIds: ['ent-a-marie\u202Efiche'] } }),
    status: 400,
    type: T.validation,
  },
  {
    name: 'teacher: the same item twice',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiB, itemIds: ['ent-a-marie-fiche-demarche', 'ent-a-marie-fiche-demarche'] } }),
    status: 400,
    type: T.validation,
  },
  {
    name: 'teacher: unknown field in the request',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { json: { arrivalUai: DEMO.uaiB, itemIds: ['ent-a-marie-fiche-demarche'], owner: 'lucas.moreau' } }),
    status: 400,
    type: T.validation,
    check: expectField('owner'),
  },
  {
    name: 'teacher: malformed JSON',
    send: () => atA(ctx.marieA, 'POST', '/api/transfers', { raw: '{"arrivalUai": "0690002B", ' }),
    status: 400,
    type: T.malformedJson,
  },
  {
    name: 'teacher: transfer id with encoded path traversal',
    send: () => atA(ctx.marieA, 'GET', '/api/transfers/..%2F..%2F..%2Fetc%2Fpasswd'),
    status: 404,
    type: T.notFound,
  },
  {
    name: 'teacher: download with encoded path traversal in the item id (nothing read)',
    send: () => atB(ctx.marieB, 'GET', `/api/received/${ctx.t1.id}/items/..%2F..%2F..%2Fetc%2Fpasswd/download`),
    status: 404,
    type: T.notFound,
  },
  {
    name: 'teacher: download with a NUL in the item id',
    send: () => atB(ctx.marieB, 'GET', `/api/received/${ctx.t1.id}/items/${ctx.t1.items.slip.id}%00/download`),
    status: 404,
    type: T.notFound,
  },
  {
    name: "teacher: another teacher downloads marie's received item",
    send: () => atB(ctx.lucasB, 'GET', `/api/received/${ctx.t1.id}/items/${ctx.t1.items.slip.id}/download`),
    status: 404,
    type: T.notFound,
  },

  // ---- hostile documents travel as opaque bytes (the gateway neither unpacks nor parses them)
  {
    name: 'document: received view returns the RTL / XML titles unchanged',
    send: () => atB(ctx.marieB, 'GET', `/api/received/${ctx.t1.id}`),
    status: 200,
    type: 'json',
    check: (body) => {
      const titles = Object.fromEntries(body.items.map((i: any) => [i.itemId, i.title]));
      expect(titles[ctx.t1.items.slip.id]).toBe(RTL_TITLE);
      expect(titles[ctx.t1.items.xxe.id]).toBe(XXE_TITLE);
    },
  },
  {
    name: 'document: zip-slip archive downloads byte-identical, RTL title sanitised in Content-Disposition',
    send: () => atB(ctx.marieB, 'GET', `/api/received/${ctx.t1.id}/items/${ctx.t1.items.slip.id}/download`),
    status: 200,
    type: 'download',
    check: (_b, res, bytes) => {
      expect(sha256Hex(bytes)).toBe(sha256Hex(ctx.t1.items.slip.bytes));
      const { ascii, decoded } = expectSafeDisposition(res);
      expect(ascii).not.toContain('"');
      // U+202E survives only percent-encoded in filename* (RFC 8187), never raw in the header.
      expect(decoded.normalize('NFC')).toContain('gpj.exe');
    },
    stores: onlyDownloadEvent(() => ctx.t1.id, () => ctx.t1.items.slip.id),
  },
  {
    name: 'document: zip bomb downloads byte-identical (never inflated)',
    send: () => atB(ctx.marieB, 'GET', `/api/received/${ctx.t1.id}/items/${ctx.t1.items.bomb.id}/download`),
    status: 200,
    type: 'download',
    check: (_b, res, bytes) => {
      expect(bytes.length).toBe(ctx.t1.items.bomb.bytes.length);
      expect(sha256Hex(bytes)).toBe(sha256Hex(ctx.t1.items.bomb.bytes));
      expectSafeDisposition(res);
    },
    stores: onlyDownloadEvent(() => ctx.t1.id, () => ctx.t1.items.bomb.id),
  },
  {
    name: 'document: XXE / billion-laughs XML downloads byte-identical (never parsed nor expanded)',
    send: () => atB(ctx.marieB, 'GET', `/api/received/${ctx.t1.id}/items/${ctx.t1.items.xxe.id}/download`),
    status: 200,
    type: 'download',
    check: (_b, res, bytes) => {
      expect(sha256Hex(bytes)).toBe(sha256Hex(ctx.t1.items.xxe.bytes));
      expect(bytes.toString('utf8')).not.toMatch(/root:.*:0:0:/);
      const { decoded } = expectSafeDisposition(res);
      expect(decoded).not.toContain('<!DOCTYPE t [');
    },
    stores: onlyDownloadEvent(() => ctx.t1.id, () => ctx.t1.items.xxe.id),
  },
];

// ------------------------------------------------------------------ the suite

describe('hostile input: every bad request gets a clear 4xx and changes nothing', () => {
  let pg: ThrowawayPostgres | undefined;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    const dbs = await createGatewayDatabases(pg, ['gw_a', 'gw_b']);
    ctx.env = await bootStack('hostile', {
      databaseUrls: { a: dbs.gw_a, b: dbs.gw_b },
      env: {
        'idp-sim': { IDP_ACCESS_TOKEN_TTL: String(TOKEN_TTL_SECONDS) },
        // A staging window long enough to tamper with a staged object before the arrival pulls it.
        'ent-sim-a': { ENT_SIM_LATENCY_MS: '1500' },
        // One item staged at a time, so each staged object sits 1.5 s before the next and the
        // manifest: with several staging slots all three finish together and the window closes.
        'gateway-a': { JOB_CONCURRENCY_BY_KIND: 'departure.stage-item=1' },
        'gateway-b': { JOB_MAX_ATTEMPTS: '3', JOB_BACKOFF_BASE_MS: '100', JOB_BACKOFF_MAX_MS: '400' },
      },
    });
    const urls = (ctx.urls = ctx.env.stack.urls);
    ctx.probe = await GatewayStateProbe.open({ a: dbs.gw_a, b: dbs.gw_b }, ctx.env.s3, ctx.env.buckets);
    const idpMeta = (await (await fetch(`${urls.idp}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    ctx.idpJwks = (await (await fetch(idpMeta.jwks_uri)).json()) as { keys: any[] };
    ctx.aJwks = (await (await fetch(`${urls.gatewayA}/.well-known/ent-portability/jwks.json`)).json()) as { keys: any[] };
    ctx.bJwks = (await (await fetch(`${urls.gatewayB}/.well-known/ent-portability/jwks.json`)).json()) as { keys: any[] };

    // Hostile documents, put into ENT A by marie herself (through ENT A's connector).
    const put = (importKey: string, mediaType: string, title: string, bytes: Buffer) =>
      putIntoEnt({ entUrl: urls.entA, connectorToken: DEMO.connectorTokenA, userId: 'marie.dupont', importKey, category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType, title, bytes });
    const slipBytes = zipSlip();
    const bombBytes = zipBomb();
    const xxeBytes = xxeRecord();
    const slip = await put('hostile:zip-slip', 'application/zip', RTL_TITLE, slipBytes);
    const bomb = await put('hostile:zip-bomb', 'application/zip', 'Archive 42 (bombe)', bombBytes);
    const xxe = await put('hostile:xxe', 'application/xml', XXE_TITLE, xxeBytes);
    const pdfId = 'ent-a-marie-fiche-demarche';
    const pdfBytes = await exportFromEnt(urls.entA, DEMO.connectorTokenA, 'marie.dupont', pdfId, 'binary');

    ctx.marieA = await TeacherClient.login(urls.gatewayA, 'marie.dupont', 'demo-marie');
    ctx.lucasA = await TeacherClient.login(urls.gatewayA, 'lucas.moreau', 'demo-lucas');
    ctx.paulA = await TeacherClient.login(urls.gatewayA, 'paul.martin', 'demo-paul');
    ctx.lucasB = await TeacherClient.login(urls.gatewayB, 'lucas.moreau', 'demo-lucas');
    ctx.teacher = await teacherTokens({ idpUrl: urls.idp, client: DEMO.clientA, redirectUri: `${urls.gatewayA}/auth/callback`, login: 'marie.dupont', password: 'demo-marie' });

    // Transfer 1: the hostile documents and a PDF, A → B, to the end (CLEANED / DONE).
    const t1 = await ctx.marieA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [slip.localId, bomb.localId, xxe.localId, pdfId] });
    const analysed = await ctx.marieA.json('POST', `/api/transfers/${t1.id}/analysis`);
    const decisions = Object.fromEntries(analysed.items.map((i: any) => [i.itemId, i.decision]));
    expect(decisions).toEqual({ [slip.localId]: 'MANUAL', [bomb.localId]: 'MANUAL', [xxe.localId]: 'MANUAL', [pdfId]: 'IMPORT' });
    await ctx.marieA.json('POST', `/api/transfers/${t1.id}/start`);
    ctx.marieB = await TeacherClient.login(urls.gatewayB, 'marie.dupont', 'demo-marie');
    await waitUntil('transfer 1 DONE at B', async () => (await ctx.marieB.json('GET', `/api/received/${t1.id}`)).state === 'DONE', 120_000);
    await waitUntil('transfer 1 CLEANED at A', async () => (await ctx.marieA.json('GET', `/api/transfers/${t1.id}`)).state === 'CLEANED', 60_000);
    const proof = await ctx.marieA.json('GET', `/api/transfers/${t1.id}/proof`);
    ctx.t1 = {
      id: t1.id,
      manifest: proof.manifest,
      receipt: proof.jws,
      items: {
        slip: { id: slip.localId, bytes: slipBytes, title: RTL_TITLE },
        bomb: { id: bomb.localId, bytes: bombBytes, title: 'Archive 42 (bombe)' },
        xxe: { id: xxe.localId, bytes: xxeBytes, title: XXE_TITLE },
        pdf: { id: pdfId, bytes: pdfBytes, title: '' },
      },
    };

    // Transfer 2: analysed (ANSWERED on both sides), never started.
    const t2 = await ctx.marieA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdfId] });
    await ctx.marieA.json('POST', `/api/transfers/${t2.id}/analysis`);
    ctx.t2 = { id: t2.id, itemId: pdfId };

    await quiescent();
  });

  afterAll(async () => {
    if (results.length) {
      const width = Math.max(...results.map((r) => r.name.length));
      console.log(
        ['hostile-input results:', ...results.map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(width)}  expected ${r.expected}  got ${r.actual}`)].join('\n'),
      );
    }
    await ctx.probe?.close();
    await ctx.env?.close();
    await pg?.stop();
  });

  /** No runnable job pending or running on either side, and two identical snapshots in a row (the last one is returned). */
  async function quiescent(): Promise<Snapshot> {
    for (const side of ['a', 'b'] as const) {
      await waitUntil(`no pending job at gateway ${side}`, async () => {
        // Jobs scheduled for later (offer expiry) do not count.
        const r = await ctx.probe.db(side).query("SELECT count(*)::int AS n FROM jobs WHERE state IN ('PENDING', 'RUNNING') AND run_at <= now()");
        return r.rows[0].n === 0;
      });
    }
    let previous = await ctx.probe.snapshot();
    return waitUntil('stable gateway state', async () => {
      await sleep(200);
      const now = await ctx.probe.snapshot();
      const same = describeDiff(diffSnapshots(previous, now)) === '';
      previous = now;
      return same && now;
    });
  }

  it(`has at least 40 rows (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name → $status $type', async (c) => {
    // Leftovers of an earlier row (e.g. a job it set off) must not be blamed on this one.
    const before: Snapshot = await quiescent();
    const res = await c.send();
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const contentType = res.headers.get('content-type') ?? '';
    const row = {
      name: c.name,
      expected: `${c.status} ${c.type}`,
      actual: `${res.status} ${body?.type ?? contentType}${res.status >= 400 && body?.detail ? ` (${String(body.detail).slice(0, 200)})` : ''}`,
      ok: false,
    };
    results.push(row);
    if (res.status !== c.status) {
      // Say what the wrong answer left behind, and whether both gateways still answer.
      await sleep(400);
      const leftovers = describeDiff(diffSnapshots(before, await ctx.probe.snapshot()));
      const health = await Promise.all([ctx.urls.gatewayA, ctx.urls.gatewayB].map((u) => fetch(`${u}/health`).then((r) => r.status, (e) => String(e))));
      row.actual += leftovers ? ' [stored: ' + leftovers.split('\n').map((l) => l.slice(0, 120)).join(' | ') + ']' : ' [nothing stored]';
      throw new Error(
        `expected ${c.status} ${c.type}, got ${res.status} ${contentType}: ${text.slice(0, 600)}\n` +
          `health A/B after it: ${health.join('/')}\n` +
          `what it changed: ${leftovers || 'nothing'}`,
      );
    }
    if (c.type.startsWith('urn:') || c.type === 'about:blank') {
      expect(contentType).toMatch(/^application\/problem\+json/);
      expect(body).toMatchObject({ type: c.type, status: c.status });
      expect(typeof body.title).toBe('string');
    } else if (c.type.startsWith('decision:')) {
      expect(contentType).toMatch(/^application\/json/);
      const [decision, reason] = c.type.slice('decision:'.length).split('/');
      expect(body.items).toHaveLength(1);
      expect(body.items[0].decision).toBe(decision);
      if (reason) expect(body.items[0].reasons.map((r: any) => r.code)).toContain(reason);
      row.actual = `${res.status} decision:${body.items[0].decision}/${body.items[0].reasons?.[0]?.code}`;
    } else if (c.type === 'replay' || c.type === 'json') {
      expect(contentType).toMatch(/^application\/json/);
      row.actual = `${res.status} ${c.type}`;
    } else if (c.type === 'download') {
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      row.actual = `${res.status} ${c.type} (${contentType})`;
    }
    await c.check?.(body, res, bytes);
    // Anything the request set off in the background would show within a few job polls.
    await sleep(400);
    const diff = diffSnapshots(before, await ctx.probe.snapshot());
    if (c.stores) await c.stores(diff, body);
    else expect(describeDiff(diff)).toBe('');
    row.ok = true;
  });

  it('a staged object altered before the arrival pulls it (wrong checksum, wrong size) is never stored nor imported at arrival', async () => {
    const { urls, probe } = ctx;
    const contents = (await ctx.marieA.json('GET', '/api/contents')).items as any[];
    const picked = [
      contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE'),
      contents.find((c) => c.category === 'CAHIER_TEXTES'),
      contents.find((c) => c.id === 'ent-a-marie-fiche-demarche'),
    ];
    const draft = await ctx.marieA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: picked.map((c) => c.id) });
    const analysed = await ctx.marieA.json('POST', `/api/transfers/${draft.id}/analysis`);
    expect(analysed.items.map((i: any) => i.decision)).toEqual(['IMPORT', 'IMPORT', 'IMPORT']);
    await ctx.marieA.json('POST', `/api/transfers/${draft.id}/start`);

    // Tamper with the first staged object (same length, other bytes) and the second (one byte more),
    // each while the departure is still staging the next item: the manifest A signs afterwards lists
    // the genuine size and SHA-256, the bucket serves something else.
    const tampered: { itemId: string; how: 'checksum' | 'size' }[] = [];
    const bucketA = ctx.env.buckets.a;
    await waitUntil(
      'two items staged and tampered with',
      async () => {
        const t = await probe.db('a').query("SELECT state, manifest_jws FROM transfers WHERE id = $1 AND role = 'DEPARTURE'", [draft.id]);
        const staged = await probe.db('a').query("SELECT item_id FROM transfer_items WHERE transfer_id = $1 AND role = 'DEPARTURE' AND state = 'STAGED' ORDER BY updated_at", [draft.id]);
        for (const { item_id } of staged.rows) {
          if (tampered.some((x) => x.itemId === item_id) || tampered.length >= 2) continue;
          if (t.rows[0].state !== 'STAGING' || t.rows[0].manifest_jws) throw new Error(`too late to tamper: the transfer is ${t.rows[0].state}`);
          const key = `departure/${draft.id}/${item_id}/content`;
          const original = Buffer.concat(await streamToBuffers(await probe.s3Client.getObject(bucketA, key)));
          const how = tampered.length === 0 ? 'checksum' : 'size';
          const altered = how === 'checksum' ? Buffer.from(original.map((b, i) => (i === original.length >> 1 ? b ^ 0xff : b))) : Buffer.concat([original, Buffer.from('!')]);
          await probe.s3Client.putObject(bucketA, key, altered, altered.length);
          tampered.push({ itemId: item_id, how });
        }
        return tampered.length >= 2;
      },
      60_000,
    );
    const untouched = picked.map((c) => c.id).find((id) => !tampered.some((x) => x.itemId === id))!;

    // The arrival pulls, checks, retries (JOB_MAX_ATTEMPTS=3) and gives up on the two altered objects.
    await waitUntil('arrival settled', async () => {
      const r = await probe.db('b').query("SELECT state FROM transfers WHERE id = $1 AND role = 'ARRIVAL'", [draft.id]);
      return ['AWAITING_OWNER', 'IMPORTING', 'DONE', 'PARTIAL'].includes(r.rows[0]?.state);
    }, 120_000);
    const itemsB = (await probe.db('b').query("SELECT item_id, state, last_error, object_key FROM transfer_items WHERE transfer_id = $1 AND role = 'ARRIVAL'", [draft.id])).rows;
    for (const x of tampered) {
      const row = itemsB.find((i) => i.item_id === x.itemId);
      expect(row).toMatchObject({ state: 'FAILED', object_key: null });
      // Stable reason codes only (ADR 009): never the raw message of the failed check.
      expect(row.last_error).toMatch(x.how === 'checksum' ? /^CONTENT_INTEGRITY_MISMATCH$/ : /^CONTENT_(INTEGRITY_MISMATCH|TOO_LARGE)$/);
    }
    const keptAtB = (await probe.listObjects('b', `arrival/${draft.id}/`)).map((o) => o.name);
    for (const x of tampered) expect(keptAtB).not.toContain(`arrival/${draft.id}/${x.itemId}/content`);
    expect(keptAtB).toContain(`arrival/${draft.id}/${untouched}/content`);

    // The owner logs in: only the untouched item is imported; the receipt says FAILED for the others.
    const marieB = await TeacherClient.login(urls.gatewayB, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('arrival PARTIAL', async () => {
      const t = await marieB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL'].includes(t.state) && t;
    }, 60_000);
    expect(received.state).toBe('PARTIAL');
    const entB = await entContents(urls.entB, DEMO.connectorTokenB, 'marie.dupont');
    for (const x of tampered) expect(entB.filter((c) => c.importKey === `${draft.id}:${x.itemId}`)).toHaveLength(0);
    expect(entB.filter((c) => c.importKey === `${draft.id}:${untouched}`)).toHaveLength(1);
    await waitUntil('departure CLEANED', async () => (await ctx.marieA.json('GET', `/api/transfers/${draft.id}`)).state === 'CLEANED', 60_000);
    const proof = await ctx.marieA.json('GET', `/api/transfers/${draft.id}/proof`);
    const receipt = decodePart(proof.jws, 1);
    const statuses = Object.fromEntries(receipt.items.map((i: any) => [i.itemId, i.status]));
    for (const x of tampered) expect(statuses[x.itemId]).toBe('FAILED');
    expect(statuses[untouched]).toBe('IMPORTED');
  });
});

async function streamToBuffers(stream: NodeJS.ReadableStream): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return chunks;
}
