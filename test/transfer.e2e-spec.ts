import { createHash, randomUUID } from 'node:crypto';
import { PROBLEM_TYPES } from '@ent/contract';
import { verifyCompactJws } from './support/jws';
import { bootStack, clientCredentialsToken, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';
import { s3Client } from './support/s3';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function connectorGet(base: string, token: string, path: string): Promise<Response> {
  return fetch(`${base}/connector/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
}

jest.setTimeout(180_000);

describe('§8.3 transfer between two simulated ENTs (real OIDC, database, S3)', () => {
  let env: StackSession;
  let urls: StackSession['stack']['urls'];
  /** Marie's transfer of the first test, which nobody else may see. */
  let marieTransferId: string | undefined;

  beforeAll(async () => {
    env = await bootStack('transfer');
    urls = env.stack.urls;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('moves a course, a ScoLOMFR-described PDF and mail from ENT A to ENT B, end to end', async () => {
    // --- departure: the teacher logs into ENT A through the Guichet Agents login form
    const atA = await TeacherClient.login(urls.gatewayA, 'marie.dupont', 'demo-marie');
    const me = await atA.json('GET', '/api/me');
    expect(me).toMatchObject({ identity: 'marie.dupont', profiles: ['National_ens'], uais: [DEMO.uaiA] });

    const { items: contents } = await atA.json<{ items: any[] }>('GET', '/api/contents');
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE');
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE' && c.metadataFormats.includes('scolomfr-3.1'));
    const mail = contents.find((c) => c.category === 'COURRIER_ELECTRONIQUE');
    expect(course?.formats.map((f: any) => f.format)).toContain('imscc-1.3');
    expect(pdf?.formats[0]).toMatchObject({ format: 'binary', mediaType: 'application/pdf' });
    expect(mail).toBeDefined();

    // The bytes as ENT A holds them, to compare with what ENT B ends up with.
    const original = new Map<string, Buffer>();
    for (const [item, format] of [[course, 'imscc-1.3'], [pdf, 'binary'], [mail, mail.formats[0].format]] as const) {
      const res = await connectorGet(urls.entA, DEMO.connectorTokenA, `/users/marie.dupont/contents/${encodeURIComponent(item.id)}/export?format=${format}`);
      expect(res.status).toBe(200);
      original.set(item.id, Buffer.from(await res.arrayBuffer()));
    }

    // --- flows 2-3: draft, analysis by the arrival ENT
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [course.id, pdf.id, mail.id] });
    expect(draft.state).toBe('DRAFT');
    marieTransferId = draft.id;
    const analysed = await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    expect(analysed.state).toBe('ANSWERED');
    const decision = (id: string) => analysed.items.find((i: any) => i.itemId === id);
    expect(decision(course.id)).toMatchObject({ decision: 'IMPORT', sourceFormat: 'imscc-1.3', targetFormat: 'imscc-1.3' });
    expect(decision(pdf.id)).toMatchObject({ decision: 'IMPORT', sourceFormat: 'binary' });
    expect(decision(mail.id)).toMatchObject({ decision: 'MANUAL' });
    expect(decision(mail.id).reasons[0].code).toBe('NO_IMPORTABLE_FORMAT');
    expect(decision(mail.id).reasons[0].message).toMatch(/téléchargeable manuellement/);

    // --- flow 4: staging and delivery
    const started = await atA.json('POST', `/api/transfers/${draft.id}/start`);
    expect(started.state).toBe('STAGING');
    await waitUntil('departure DELIVERED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return ['DELIVERED', 'RECEIPTED', 'CLEANED'].includes(t.state) && t;
    });

    // Nothing is imported before the owner logs into the arrival ENT.
    const before = await connectorGet(urls.entB, DEMO.connectorTokenB, '/users/marie.dupont/contents');
    const beforeItems = ((await before.json()) as any).items as any[];
    expect(beforeItems.filter((c) => c.importKey?.startsWith(draft.id))).toHaveLength(0);

    // --- arrival: the teacher logs into ENT B; compatible items are imported automatically
    const atB = await TeacherClient.login(urls.gatewayB, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('arrival DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL'].includes(t.state) && t;
    });
    expect(received.state).toBe('DONE');
    const arrivalItem = (id: string) => received.items.find((i: any) => i.itemId === id);
    expect(arrivalItem(course.id).state).toBe('IMPORTED');
    expect(arrivalItem(pdf.id).state).toBe('IMPORTED');
    expect(arrivalItem(mail.id).state).toBe('AWAITING_MANUAL_DOWNLOAD');

    // The imported items are in ENT B, byte-identical.
    const after = ((await (await connectorGet(urls.entB, DEMO.connectorTokenB, '/users/marie.dupont/contents')).json()) as any).items as any[];
    for (const [item, format] of [[course, 'imscc-1.3'], [pdf, 'binary']] as const) {
      const imported = after.filter((c) => c.importKey === `${draft.id}:${item.id}`);
      expect(imported).toHaveLength(1);
      expect(imported[0].id).toBe(arrivalItem(item.id).localId);
      const res = await connectorGet(urls.entB, DEMO.connectorTokenB, `/users/marie.dupont/contents/${encodeURIComponent(imported[0].id)}/export?format=${format}`);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(original.get(item.id)!));
    }
    // The ScoLOMFR record travelled with the PDF.
    const importedPdf = after.find((c) => c.importKey === `${draft.id}:${pdf.id}`);
    const record = await connectorGet(urls.entB, DEMO.connectorTokenB, `/users/marie.dupont/contents/${encodeURIComponent(importedPdf.id)}/metadata?format=scolomfr-3.1`);
    expect(record.status).toBe(200);
    expect(await record.text()).toContain('http://www.lom-fr.fr/xsd/SCOLOMFR');
    // Mail was not imported (B does not import mail)...
    expect(after.filter((c) => c.importKey === `${draft.id}:${mail.id}`)).toHaveLength(0);
    // ...and downloads byte-identical from B for the owner.
    const download = await atB.request('GET', `/api/received/${draft.id}/items/${encodeURIComponent(mail.id)}/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/attachment/);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(original.get(mail.id)!));

    // Another teacher sees nothing of it.
    const lucasAtB = await TeacherClient.login(urls.gatewayB, 'lucas.moreau', 'demo-lucas');
    expect((await lucasAtB.request('GET', `/api/received/${draft.id}`)).status).toBe(404);
    expect((await lucasAtB.request('GET', `/api/received/${draft.id}/items/${encodeURIComponent(mail.id)}/download`)).status).toBe(404);

    // --- receipt: A holds B's signed receipt, then deletes its staged objects
    const cleaned = await waitUntil('departure CLEANED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return t.state === 'CLEANED' && t;
    });
    const proof = await atA.json('GET', `/api/transfers/${draft.id}/proof`);
    const { header, payload: receipt } = await verifyCompactJws(proof.jws, `${urls.gatewayB}/.well-known/ent-portability/jwks.json`);
    expect(header.typ).toBe('ent-portability-receipt+jws');
    // A receipt signed by anyone else does not verify against B's keys.
    await expect(verifyCompactJws(proof.jws, `${urls.gatewayA}/.well-known/ent-portability/jwks.json`)).rejects.toThrow();
    expect(receipt).toMatchObject({ offerId: draft.id, arrivalEntId: 'ent-b', departureEntId: 'ent-a' });
    expect(Object.fromEntries(receipt.items.map((i: any) => [i.itemId, i.status]))).toEqual({
      [course.id]: 'IMPORTED',
      [pdf.id]: 'IMPORTED',
      [mail.id]: 'AWAITING_MANUAL_DOWNLOAD',
    });

    const s3 = s3Client(env.s3);
    const left: string[] = [];
    for await (const o of s3.listObjectsV2(env.buckets.a, `departure/${draft.id}/`, true)) if (o.name) left.push(o.name);
    expect(left).toEqual([]);
    // B keeps its own copies (manual downloads outlive the departure's retention).
    const kept: string[] = [];
    for await (const o of s3.listObjectsV2(env.buckets.b, `arrival/${draft.id}/`, true)) if (o.name && !o.name.includes('/_index/')) kept.push(o.name);
    expect(kept.sort()).toEqual([
      `arrival/${draft.id}/${course.id}/content`,
      `arrival/${draft.id}/${mail.id}/content`,
      `arrival/${draft.id}/${pdf.id}/content`,
      `arrival/${draft.id}/${pdf.id}/metadata`,
    ].sort());

    // --- the delivery index (§8.3 flow 4): every item as a page, schema.org JSON-LD and ScoLOMFR
    const page = await waitUntil('index.html at the arrival', async () => {
      const res = await atB.request('GET', `/api/received/${draft.id}/index/index.html`);
      return res.status === 200 && res;
    });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await page.text();
    for (const item of [course, pdf, mail]) expect(html).toContain(item.title.replace(/'/g, '&#39;').split('—')[0].trim().slice(0, 20));
    const jsonld = await waitUntil('index.jsonld', async () => {
      const res = await atB.request('GET', `/api/received/${draft.id}/index/index.jsonld`);
      return res.status === 200 && ((await res.json()) as any);
    });
    expect(JSON.stringify(jsonld)).toContain('schema.org');
    for (const item of [course, pdf, mail]) expect(JSON.stringify(jsonld)).toContain(sha256(original.get(item.id)!));
    const lom = await waitUntil('index.scolomfr.xml', async () => {
      const res = await atB.request('GET', `/api/received/${draft.id}/index/index.scolomfr.xml`);
      return res.status === 200 && res.text();
    });
    expect(lom).toContain('http://ltsc.ieee.org/xsd/LOM');
    expect((await atB.request('GET', `/api/received/${draft.id}/index/passwd`)).status).toBe(404);
    expect((await lucasAtB.request('GET', `/api/received/${draft.id}/index/index.html`)).status).toBe(404);

    // --- the event tables tell the whole story, in order
    const chain = (events: any[]) => events.filter((e) => e.itemId === null && e.to !== null);
    const depChain = chain(cleaned.events);
    expect(depChain.map((e: any) => e.to)).toEqual(['DRAFT', 'OFFERED', 'ANSWERED', 'STAGING', 'DELIVERED', 'RECEIPTED', 'CLEANED']);
    depChain.slice(1).forEach((e: any, i: number) => expect(e.from).toBe(depChain[i].to));
    const arrivalEvents = (await atB.json('GET', `/api/received/${draft.id}`)).events;
    const arrChain = chain(arrivalEvents);
    expect(arrChain.map((e: any) => e.to)).toEqual(['OFFER_RECEIVED', 'ANSWERED', 'FETCHING', 'AWAITING_OWNER', 'IMPORTING', 'DONE']);
    arrChain.slice(1).forEach((e: any, i: number) => expect(e.from).toBe(arrChain[i].to));
    expect(arrivalEvents.map((e: any) => e.type)).toEqual(expect.arrayContaining(['OWNER_LOGGED_IN', 'RECEIPT_SENT', 'ITEM_DOWNLOADED']));
    for (const id of [course.id, pdf.id, mail.id]) {
      const itemTo = cleaned.events.filter((e: any) => e.itemId === id && e.to).map((e: any) => e.to);
      expect(itemTo).toEqual(['SELECTED', 'TO_STAGE', 'STAGED', 'DELIVERED', id === mail.id ? 'AWAITING_MANUAL_DOWNLOAD' : 'IMPORTED']);
    }
    const seqs = cleaned.events.map((e: any) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it("gives the head teacher a teacher's rights over her own contents and nothing over others'; refuses a profile §8.3 does not name", async () => {
    expect(marieTransferId).toBeDefined();
    const marieAtA = await TeacherClient.login(urls.gatewayA, 'marie.dupont', 'demo-marie');
    const marieItems = ((await marieAtA.json('GET', '/api/contents')).items as any[]).map((c) => c.id);

    // PERDIR (National_dir): her own file, like any teacher.
    const claire = await TeacherClient.login(urls.gatewayA, 'claire.bernard', 'demo-claire');
    expect(await claire.json('GET', '/api/me')).toMatchObject({ identity: 'claire.bernard', profiles: ['National_dir'], mayTransfer: true });
    const own = ((await claire.json('GET', '/api/contents')).items as any[]).map((c) => c.id);
    expect(own.length).toBeGreaterThan(0);
    expect(own.filter((id) => marieItems.includes(id))).toEqual([]);
    const draft = await claire.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [own[0]] });
    expect((await claire.json('POST', `/api/transfers/${draft.id}/analysis`)).state).toBe('ANSWERED');
    // Nothing over a teacher of her own school: not the list, not the transfer, not its proof, not its contents.
    expect(((await claire.json('GET', '/api/transfers')).items as any[]).map((t) => t.id)).toEqual([draft.id]);
    for (const path of [`/api/transfers/${marieTransferId}`, `/api/transfers/${marieTransferId}/proof`]) {
      expect((await claire.request('GET', path)).status).toBe(404);
    }
    expect((await claire.request('POST', `/api/transfers/${marieTransferId}/start`)).status).toBe(404);
    const taken = await claire.request('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [marieItems[0]] });
    expect(taken.status).toBe(404);
    expect(((await claire.json('GET', '/api/transfers')).items as any[]).map((t) => t.id)).toEqual([draft.id]);

    // Vie scolaire (National_evs): signed in, but the transfer service is not hers.
    const sophie = await TeacherClient.login(urls.gatewayA, 'sophie.girard', 'demo-sophie');
    expect(await sophie.json('GET', '/api/me')).toMatchObject({ identity: 'sophie.girard', mayTransfer: false });
    for (const [method, path, body] of [
      ['GET', '/api/contents'],
      ['GET', '/api/transfers'],
      ['POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [marieItems[0]] }],
      ['GET', `/api/transfers/${marieTransferId}`],
      ['GET', '/api/received'],
    ] as [string, string, unknown?][]) {
      const res = await sophie.request(method, path, body);
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = (await res.json()) as any;
      expect(problem.type).toBe('urn:ent-portability:problem:profile-not-allowed');
      expect(problem.detail).toContain('(vie scolaire)');
    }
    // Marie's transfer is untouched by all of it.
    expect((await marieAtA.json('GET', `/api/transfers/${marieTransferId}`)).state).toBe('CLEANED');
  });

  describe('peer API refuses what it must', () => {
    const offer = (overrides: Record<string, unknown> = {}) => ({
      offerId: randomUUID(),
      contractVersion: '1',
      departure: { entId: 'ent-a', uai: DEMO.uaiA },
      arrival: { uai: DEMO.uaiB },
      owner: { identityClaim: 'sub', identity: 'marie.dupont' },
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      items: [{ itemId: 'x1', title: 'Un contenu', category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 10 }] }],
      ...overrides,
    });
    const post = (token: string | undefined, body: unknown, raw?: string) =>
      fetch(`${urls.gatewayB}/portability/v1/offers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: raw ?? JSON.stringify(body),
      });
    const tokenFromA = (scope = 'portability:offer', resource?: string) =>
      clientCredentialsToken(urls.idp, DEMO.clientA, resource ?? urls.gatewayB, scope);

    async function problem(res: Response, status: number, type: string): Promise<any> {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ status, type });
      return body;
    }

    it('401 without a token, and with a forged one', async () => {
      await problem(await post(undefined, offer()), 401, PROBLEM_TYPES.unauthenticated);
      const real = await tokenFromA();
      const [h, p] = real.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'portability:offer portability:fetch' })).toString('base64url')}.${real.split('.')[2]}`;
      await problem(await post(forged, offer()), 401, PROBLEM_TYPES.invalidToken);
    });

    it('403 for a token meant for another gateway', async () => {
      const forA = await tokenFromA('portability:offer', urls.gatewayA);
      await problem(await post(forA, offer()), 403, PROBLEM_TYPES.wrongAudience);
    });

    it('403 for a token without the scope of the operation', async () => {
      const capsOnly = await tokenFromA('portability:capabilities');
      await problem(await post(capsOnly, offer()), 403, PROBLEM_TYPES.insufficientScope);
      // ...while that same token does read the capabilities.
      const caps = await fetch(`${urls.gatewayB}/portability/v1/capabilities`, { headers: { authorization: `Bearer ${capsOnly}` } });
      expect(caps.status).toBe(200);
      expect(((await caps.json()) as any).entId).toBe('ent-b');
    });

    it('403 for a well-formed token from an ENT that is not a registered peer', async () => {
      const fromC = await clientCredentialsToken(urls.idp, DEMO.clientC, urls.gatewayB, 'portability:offer');
      await problem(await post(fromC, offer()), 403, PROBLEM_TYPES.unknownPeer);
    });

    it('400 problem+json naming the field for a malformed offer, and stores nothing', async () => {
      const token = await tokenFromA();
      const bad = offer({ items: [{ itemId: 'x1', title: 'T', category: 'PAS_UNE_CATEGORIE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: -1 }] }] });
      const body = await problem(await post(token, bad), 400, PROBLEM_TYPES.validation);
      const fields = body.errors.map((e: any) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['items[0].category', 'items[0].formats[0].sizeBytes']));
      const unknown = await problem(await post(token, { ...offer(), surprise: true }), 400, PROBLEM_TYPES.validation);
      expect(unknown.errors.map((e: any) => e.field)).toContain('surprise');
      await problem(await post(token, undefined, '{"offerId": '), 400, PROBLEM_TYPES.malformedJson);
      // Nothing was stored: the same offer id, now well-formed, is answered as new.
      const answered = await post(token, { ...offer(), offerId: bad.offerId });
      expect(answered.status).toBe(200);
    });

    it('answers an unknown format with REFUSED and a reason, not a crash', async () => {
      const token = await tokenFromA();
      const res = await post(token, offer({ items: [{ itemId: 'weird', title: 'Format exotique', category: 'STOCKAGE_PARTAGE', formats: [{ format: 'x-inconnu-9', mediaType: 'application/octet-stream', sizeBytes: 10 }] }] }));
      expect(res.status).toBe(200);
      const answer = (await res.json()) as any;
      expect(answer.items[0]).toMatchObject({ itemId: 'weird', decision: 'REFUSED' });
      expect(answer.items[0].reasons[0].code).toBe('UNKNOWN_FORMAT');
    });

    it('is idempotent on the offer id, and refuses a different offer under the same id', async () => {
      const token = await tokenFromA();
      const o = offer();
      const first = (await (await post(token, o)).json()) as any;
      const again = (await (await post(token, o)).json()) as any;
      expect(again).toEqual(first);
      await problem(await post(token, { ...o, items: [{ ...o.items[0], title: 'Autre titre' }] }), 409, PROBLEM_TYPES.conflict);
    });

    it('refuses a departure that is not the caller', async () => {
      const token = await tokenFromA();
      await problem(await post(token, offer({ departure: { entId: 'ent-z', uai: DEMO.uaiA } })), 403, PROBLEM_TYPES.forbidden);
    });
  });
});
