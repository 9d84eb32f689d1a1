import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { resolve } from 'node:path';
import { createGatewayDatabases, GatewayDb } from './support/gateway-db';
import { entContents } from './support/hostile/ent-content';
import { teacherTokens } from './support/hostile/id-token';
import { decodePart, signCompact } from './support/hostile/jwt';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { s3Client } from './support/s3';
import { bootStack, clientCredentialsToken, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * Issue 14, finding 6 and ADR 010: a peer is trusted to speak for its ENT, not for any teacher.
 *
 * The test plays a compromised departure gateway A: it holds A's client secret and A's manifest
 * signing key (configured here), and it offers to B contents that B really pulls from A (the
 * objects of a real transfer of Marie's, delivered and waiting at B). With no proof that the named
 * owner asked, or with a proof that is not hers, not for B, expired, signed by another key, obtained
 * by another gateway or already used, B must import nothing at her login: the items wait for her
 * explicit acceptance. A proof the real departure obtained from her own login (token exchange at
 * the IdP) lets the import run automatically, as before.
 *
 * Gateways on a real postgresql-15 server, S3 = the test S3 (radosgw in CI), real IdP.
 */
jest.setTimeout(400_000);

const PROOF_TTL_SECONDS = 10;
const MANIFEST_TYP = 'ent-portability-manifest+jws';
const newKey = () => JSON.parse(execFileSync(process.execPath, [resolve(__dirname, '..', 'dist/scripts/generate-signing-key.js')], { encoding: 'utf8' })).keys[0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('owner proof: nothing is imported into an account whose owner did not ask (issue 14, finding 6)', () => {
  let pg: ThrowawayPostgres | undefined;
  let env: StackSession;
  let urls: StackSession['stack']['urls'];
  let dbB: GatewayDb;
  const keyA = newKey();
  /** The real transfer of Marie's PDF whose objects the forged offers point at. */
  const source = {} as { id: string; itemId: string; object: { contentUrl: string; sizeBytes: number; sha256: string; mediaType: string; format: string }; title: string };
  let marieA: TeacherClient;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    const dbs = await createGatewayDatabases(pg, ['owner_a', 'owner_b']);
    env = await bootStack('owner-proof', {
      databaseUrls: { a: dbs.owner_a, b: dbs.owner_b },
      env: {
        'idp-sim': { IDP_OWNER_PROOF_TTL: String(PROOF_TTL_SECONDS) },
        'gateway-a': { SIGNING_JWKS: JSON.stringify({ keys: [keyA] }) },
      },
    });
    urls = env.stack.urls;
    dbB = await GatewayDb.open(dbs.owner_b);

    marieA = await TeacherClient.login(urls.gatewayA, 'marie.dupont', 'demo-marie');
    const pdf = (await marieA.json('GET', '/api/contents')).items.find((c: any) => c.category === 'STOCKAGE_PARTAGE');
    const draft = await marieA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id] });
    await marieA.json('POST', `/api/transfers/${draft.id}/analysis`);
    await marieA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('source transfer DELIVERED', async () => (await marieA.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED');
    const manifest = decodePart((await marieA.json('GET', `/api/transfers/${draft.id}/proof`)).manifest, 1);
    const content = manifest.objects.find((o: any) => o.itemId === pdf.id && o.role === 'content');
    Object.assign(source, { id: draft.id, itemId: pdf.id, object: content, title: pdf.title });
  });
  afterAll(async () => {
    await dbB?.close();
    await env?.close();
    await pg?.stop();
  });

  // ------------------------------------------------------------------ the compromised departure

  /** A's manifest signature, made with A's own key (the compromised gateway holds it). */
  function signAsA(payload: unknown): string {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${enc({ alg: 'ES256', kid: keyA.kid, typ: MANIFEST_TYP })}.${enc(payload)}`;
    const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey({ key: keyA, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  async function asA(path: string, scope: string, body: unknown): Promise<{ status: number; json: any }> {
    const token = await clientCredentialsToken(urls.idp, DEMO.clientA, urls.gatewayB, scope);
    const res = await fetch(`${urls.gatewayB}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  /** Offers Marie's PDF to B in the name of `owner`, with `ownerProof` if given, and delivers it. */
  async function forge(owner: string, ownerProof?: string): Promise<{ id: string; answer: any }> {
    const offerId = randomUUID();
    const offer = {
      offerId,
      contractVersion: '1',
      departure: { entId: 'ent-a', uai: DEMO.uaiA },
      arrival: { uai: DEMO.uaiB },
      owner: { identityClaim: 'sub', identity: owner, displayName: owner },
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      items: [{ itemId: source.itemId, title: `${source.title} (${offerId.slice(0, 8)})`, category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: source.object.sizeBytes }] }],
      ...(ownerProof ? { ownerProof } : {}),
    };
    const answered = await asA('/portability/v1/offers', 'portability:offer', offer);
    expect(answered.status).toBe(200);
    expect(answered.json.items[0].decision).toBe('IMPORT');
    const manifest = signAsA({
      offerId, departureEntId: 'ent-a', arrivalEntId: 'ent-b', issuedAt: new Date().toISOString(),
      objects: [{ itemId: source.itemId, role: 'content', format: 'binary', mediaType: 'application/pdf', sizeBytes: source.object.sizeBytes, sha256: source.object.sha256, contentUrl: source.object.contentUrl }],
    });
    const delivered = await asA(`/portability/v1/offers/${offerId}/deliveries`, 'portability:deliver', { manifest });
    expect(delivered.status).toBe(202);
    return { id: offerId, answer: answered.json };
  }

  /** What B's arrival holds for this transfer once every object was pulled. */
  const settled = (id: string) => waitUntil(`${id} fetched at B`, async () => {
    const state = await dbB.transferState(id, 'ARRIVAL');
    return state !== undefined && !['OFFER_RECEIVED', 'ANSWERED', 'FETCHING'].includes(state) && state;
  });

  async function exchange(client: { id: string; secret: string }, subjectToken: string, resource: string): Promise<string> {
    const meta = (await (await fetch(`${urls.idp}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        resource,
      }).toString(),
    });
    const body = (await res.json()) as { access_token?: string; issued_token_type?: string; token_type?: string };
    if (res.status !== 200 || !body.access_token) throw new Error(`token exchange answered ${res.status}: ${JSON.stringify(body)}`);
    expect(body).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:jwt', token_type: 'N_A' });
    return body.access_token;
  }
  const loginTokens = (login: string, password: string, client: { id: string; secret: string }, gateway: string) =>
    teacherTokens({ idpUrl: urls.idp, client, redirectUri: `${gateway}/auth/callback`, login, password });

  const importsFor = async (id: string) => (await dbB.jobs(`import:${id}`)).length;

  // ------------------------------------------------------------------ the cases

  it('an offer naming a teacher of B who never asked is imported at nobody\'s login: she sees it waiting, accepts, and it is imported once', async () => {
    const before = await entContents(urls.entB, DEMO.connectorTokenB, 'paul.martin');
    const forged = await forge('paul.martin');
    await settled(forged.id);

    // Her next login imports nothing.
    const paulB = await TeacherClient.login(urls.gatewayB, 'paul.martin', 'demo-paul');
    await sleep(3000); // what a login would have started has had time to run
    expect(await entContents(urls.entB, DEMO.connectorTokenB, 'paul.martin')).toEqual(before);
    expect(await importsFor(forged.id)).toBe(0);
    expect(await dbB.transferState(forged.id, 'ARRIVAL')).toBe('AWAITING_ACCEPTANCE');
    expect(forged.answer.ownerProof).toEqual({ status: 'MISSING' });

    // She sees it waiting, with what she would accept, in French.
    const listed = (await paulB.json('GET', '/api/received')).items.find((t: any) => t.id === forged.id);
    expect(listed).toMatchObject({ state: 'AWAITING_ACCEPTANCE' });
    const page = await paulB.request('GET', `/recus/${forged.id}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Accepter ces contenus');
    expect(html).toContain('Refuser');
    expect(html).toMatch(/n(&#39;|')a pas pu prouver/);

    // She accepts: imported, exactly once (a second acceptance changes nothing).
    const accepted = await paulB.json('POST', `/api/received/${forged.id}/accept`);
    expect(['IMPORTING', 'DONE']).toContain(accepted.state);
    await waitUntil('imported after acceptance', async () => (await paulB.json('GET', `/api/received/${forged.id}`)).state === 'DONE');
    const again = await paulB.request('POST', `/api/received/${forged.id}/accept`);
    expect(again.status).toBe(409);
    await sleep(1000);
    const after = await entContents(urls.entB, DEMO.connectorTokenB, 'paul.martin');
    expect(after.length).toBe(before.length + 1);
    expect(after.filter((c: any) => c.title.includes(forged.id.slice(0, 8)))).toHaveLength(1);
    expect(await importsFor(forged.id)).toBe(1);
    const events = await dbB.events(forged.id, 'ARRIVAL');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['OWNER_PROOF_MISSING', 'OWNER_LOGGED_IN', 'OWNER_ACCEPTED', 'ITEM_IMPORTED']));
    expect(events.filter((e) => e.to_state === 'AWAITING_ACCEPTANCE').map((e) => e.type)).toEqual(['ALL_OBJECTS_FETCHED']);
  });

  it('refuses as proofs: another identity, another audience, expired, another key, another gateway, a replay — the items wait', async () => {
    const marieAtA = await loginTokens('marie.dupont', 'demo-marie', DEMO.clientA, urls.gatewayA);
    // Obtained first, presented once it has expired (IdP lifetime 10 s, verifier tolerance 5 s).
    const expiring = await exchange(DEMO.clientA, marieAtA.accessToken, urls.gatewayB);
    const expiredAt = Date.now() + (PROOF_TTL_SECONDS + 7) * 1000;

    const lucasAtA = await loginTokens('lucas.moreau', 'demo-lucas', DEMO.clientA, urls.gatewayA);
    const lucasProof = await exchange(DEMO.clientA, lucasAtA.accessToken, urls.gatewayB);
    const forA = await exchange(DEMO.clientA, marieAtA.accessToken, urls.gatewayA);
    const marieAtB = await loginTokens('marie.dupont', 'demo-marie', DEMO.clientB, urls.gatewayB);
    const byB = await exchange(DEMO.clientB, marieAtB.accessToken, urls.gatewayB);
    const genuine = decodePart(await exchange(DEMO.clientA, marieAtA.accessToken, urls.gatewayB), 1);
    const foreignKey = signCompact({ kid: decodePart(lucasProof, 0).kid, typ: 'owner-proof+jwt' }, { ...genuine });

    const cases: [string, string, string][] = [
      ['another identity', 'paul.martin', lucasProof],
      ['another audience', 'marie.dupont', forA],
      ['another key', 'marie.dupont', foreignKey],
      ['another gateway', 'marie.dupont', byB],
    ];
    const expected: Record<string, string> = {
      'another identity': 'IDENTITY_MISMATCH',
      'another audience': 'WRONG_AUDIENCE',
      'another key': 'INVALID_SIGNATURE',
      'another gateway': 'ACTOR_MISMATCH',
    };
    const forged: { name: string; id: string }[] = [];
    for (const [name, owner, proof] of cases) {
      const f = await forge(owner, proof);
      expect([name, f.answer.ownerProof]).toEqual([name, { status: 'REFUSED', reason: expected[name] }]);
      forged.push({ name, id: f.id });
    }
    // A valid proof is good for one offer only.
    const once = await exchange(DEMO.clientA, marieAtA.accessToken, urls.gatewayB);
    const first = await forge('marie.dupont', once);
    expect(first.answer.ownerProof).toEqual({ status: 'VERIFIED' });
    const replay = await forge('marie.dupont', once);
    expect(replay.answer.ownerProof).toEqual({ status: 'REFUSED', reason: 'REPLAYED' });
    forged.push({ name: 'replay', id: replay.id });

    await sleep(Math.max(0, expiredAt - Date.now()));
    const late = await forge('marie.dupont', expiring);
    expect(late.answer.ownerProof).toEqual({ status: 'REFUSED', reason: 'EXPIRED' });
    forged.push({ name: 'expired', id: late.id });

    for (const f of forged) expect([f.name, await settled(f.id)]).toEqual([f.name, 'AWAITING_ACCEPTANCE']);
    expect(await settled(first.id)).toBe('AWAITING_OWNER');
    (source as any).waiting = forged.filter((f) => f.name !== 'another identity').map((f) => f.id);
    (source as any).verified = first.id;
  });

  it('a transfer whose departure proved that its owner asked is imported automatically at her login, and only that', async () => {
    const before = await entContents(urls.entB, DEMO.connectorTokenB, 'marie.dupont');
    const stored = await waitUntil('the source transfer fetched', async () => {
      const s = await dbB.transferState(source.id, 'ARRIVAL');
      return s === 'AWAITING_OWNER' && s;
    });
    expect(stored).toBe('AWAITING_OWNER');
    expect((await marieA.json('GET', `/api/transfers/${source.id}`)).ownerProof).toEqual({ status: 'VERIFIED' });

    const marieB = await TeacherClient.login(urls.gatewayB, 'marie.dupont', 'demo-marie');
    const verified = [source.id, (source as any).verified as string];
    for (const id of verified) await waitUntil(`${id} imported at her login`, async () => (await marieB.json('GET', `/api/received/${id}`)).state === 'DONE');
    await waitUntil('departure CLEANED after the receipt', async () => (await marieA.json('GET', `/api/transfers/${source.id}`)).state === 'CLEANED');
    for (const id of (source as any).waiting as string[]) {
      expect([id, await dbB.transferState(id, 'ARRIVAL'), await importsFor(id)]).toEqual([id, 'AWAITING_ACCEPTANCE', 0]);
    }
    const after = await entContents(urls.entB, DEMO.connectorTokenB, 'marie.dupont');
    expect(after.length).toBe(before.length + verified.length);
  });

  it('she may refuse what waits: nothing is imported, the copies are deleted, the departure gets its receipt', async () => {
    const marieB = await TeacherClient.login(urls.gatewayB, 'marie.dupont', 'demo-marie');
    const before = await entContents(urls.entB, DEMO.connectorTokenB, 'marie.dupont');
    const id = ((source as any).waiting as string[])[0];
    const refused = await marieB.json('POST', `/api/received/${id}/refuse`);
    expect(refused.state).toBe('REFUSED_BY_OWNER');
    expect(refused.items.every((i: any) => i.state === 'REFUSED')).toBe(true);
    expect((await marieB.request('POST', `/api/received/${id}/accept`)).status).toBe(409);
    expect(await importsFor(id)).toBe(0);
    expect(await entContents(urls.entB, DEMO.connectorTokenB, 'marie.dupont')).toEqual(before);
    const left: string[] = [];
    await new Promise<void>((done, fail) => {
      const stream = s3Client(env.s3).listObjectsV2(env.buckets.b, `arrival/${id}/`, true);
      stream.on('data', (o) => left.push(o.name!));
      stream.on('end', () => done());
      stream.on('error', fail);
    });
    expect(left).toEqual([]);
    expect((await dbB.jobs(`receipt:${id}`)).length).toBe(1);
  });
});
