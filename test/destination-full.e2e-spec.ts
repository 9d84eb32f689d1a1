import { randomUUID } from 'node:crypto';
import { bootStack, clientCredentialsToken, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * "Destination full": the arrival ENT refuses an import with 413 (quota). The
 * transfer pauses and tells the teacher instead of retrying; once space is
 * freed, the teacher resumes and the rest is imported, once.
 */
jest.setTimeout(300_000);

describe('destination full (413 from the arrival ENT)', () => {
  let env: StackSession;
  // ENT B asks its gateway not to reuse its capabilities (by default the simulated ENT lets it for
  // 60 s): an offer reaches ENT B whenever the ENT is up, and fails with 503 whenever it is down.
  const NO_CACHE = { ENT_SIM_CAPABILITIES_MAX_AGE: '0' };
  beforeAll(async () => {
    env = await bootStack('full', { env: { 'ent-sim-b': NO_CACHE } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('pauses with a French notice, then resumes on request and completes', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await atA.json('GET', '/api/contents')).items as any[];
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE');
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    expect(course.formats[0].sizeBytes).toBeGreaterThan(3000);
    expect(pdf.formats[0].sizeBytes).toBeLessThan(3000);
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [course.id, pdf.id] });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivered', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED');

    // ENT B's space shrinks to 3 000 bytes per item after it answered the offer.
    await env.stack.kill('ent-sim-b');
    env.stack.options.env = { ...env.stack.options.env, 'ent-sim-b': { ...NO_CACHE, ENT_SIM_MAX_ITEM_BYTES: '3000' } };
    await env.stack.start('ent-sim-b');

    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const paused = await waitUntil('PAUSED', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return t.state === 'PAUSED' && t.items.every((i: any) => i.state !== 'FETCHED' || i.itemId === course.id) && t;
    });
    expect(paused.notice).toMatch(/plein/);
    expect(paused.items.find((i: any) => i.itemId === pdf.id).state).toBe('IMPORTED');
    expect(paused.items.find((i: any) => i.itemId === course.id).state).toBe('FETCHED');
    // Not retried: one refusal, one pause.
    await new Promise((r) => setTimeout(r, 1500));
    const still = await atB.json('GET', `/api/received/${draft.id}`);
    expect(still.state).toBe('PAUSED');
    expect(still.events.filter((e: any) => e.type === 'DESTINATION_FULL')).toHaveLength(1);
    // Resuming before anything changed is allowed; resuming a transfer that is not paused is not.
    await env.stack.kill('ent-sim-b');
    env.stack.options.env = { ...env.stack.options.env, 'ent-sim-b': NO_CACHE };
    await env.stack.start('ent-sim-b');
    const resumed = await atB.json('POST', `/api/received/${draft.id}/resume`);
    expect(resumed.state).toBe('IMPORTING');
    const done = await waitUntil('DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return t.state === 'DONE' && t;
    });
    expect(done.items.map((i: any) => i.state)).toEqual(['IMPORTED', 'IMPORTED']);
    expect(done.notice).toBeUndefined();
    const again = await atB.request('POST', `/api/received/${draft.id}/resume`);
    expect(again.status).toBe(409);
    const list = (await (await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`, { headers: { authorization: `Bearer ${DEMO.connectorTokenB}` } })).json()) as any;
    expect(list.items.filter((c: any) => c.importKey === `${draft.id}:${course.id}`)).toHaveLength(1);
    await waitUntil('departure cleaned', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'CLEANED');
  });

  it('a delivery refused for lack of space (413) pauses the departure, changes nothing at the arrival, and resumes on request', async () => {
    // Gateway B keeps at most 1 000 bytes of received content: it already holds the previous
    // test's transfer, so any delivery goes past its quota.
    await env.stack.kill('gateway-b');
    env.stack.options.env = { ...env.stack.options.env, 'gateway-b': { ARRIVAL_STORAGE_QUOTA_BYTES: '1000' } };
    await env.stack.start('gateway-b');

    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const contents = (await atA.json('GET', '/api/contents')).items as any[];
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [pdf.id] });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    const resumedTooEarly = await atA.request('POST', `/api/transfers/${draft.id}/resume`);
    expect(resumedTooEarly.status).toBe(409);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    const paused = await waitUntil('departure PAUSED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return t.state === 'PAUSED' && t;
    });
    expect(paused.notice).toMatch(/n'a plus assez de place/);
    const pause = paused.events.filter((e: any) => e.type === 'DELIVERY_PAUSED');
    expect(pause).toHaveLength(1);
    expect(pause[0].data).toMatchObject({ reason: 'DESTINATION_FULL', status: 413 });
    expect(pause[0].data.detail).toMatch(/destination full|needs \d+ bytes/i);
    // Not retried: still one pause a while later; the staged copy is kept.
    await new Promise((r) => setTimeout(r, 1500));
    const still = await atA.json('GET', `/api/transfers/${draft.id}`);
    expect(still.state).toBe('PAUSED');
    expect(still.events.filter((e: any) => e.type === 'DELIVERY_PAUSED')).toHaveLength(1);
    expect(still.items[0].state).toBe('STAGED');
    // The arrival recorded nothing of the refused delivery.
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const atArrival = await atB.json('GET', `/api/received/${draft.id}`);
    expect(atArrival.state).toBe('ANSWERED');
    expect(atArrival.events.some((e: any) => e.type === 'MANIFEST_RECEIVED')).toBe(false);

    // The operator gives B room; the teacher resumes at A and the transfer completes once.
    await env.stack.kill('gateway-b');
    env.stack.options.env = { ...env.stack.options.env, 'gateway-b': {} };
    await env.stack.start('gateway-b');
    const resumed = await atA.json('POST', `/api/transfers/${draft.id}/resume`);
    expect(resumed.state).toBe('STAGING');
    expect(resumed.notice).toBeUndefined();
    await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const done = await waitUntil('departure CLEANED', async () => {
      const t = await atA.json('GET', `/api/transfers/${draft.id}`);
      return t.state === 'CLEANED' && t;
    }, 120_000);
    expect(done.items[0].state).toBe('IMPORTED');
    expect(done.events.filter((e: any) => e.type === 'MANIFEST_DELIVERED')).toHaveLength(1);
    const list = (await (await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`, { headers: { authorization: `Bearer ${DEMO.connectorTokenB}` } })).json()) as any;
    expect(list.items.filter((c: any) => c.importKey === `${draft.id}:${pdf.id}`)).toHaveLength(1);
  });

  const offerTo = async () => {
    const { idp, gatewayB } = env.stack.urls;
    const token = await clientCredentialsToken(idp, DEMO.clientA, gatewayB, 'portability:offer');
    const offer = (offerId: string) => ({
      offerId, contractVersion: '1', departure: { entId: 'ent-a', uai: DEMO.uaiA }, arrival: { uai: DEMO.uaiB },
      owner: { identityClaim: 'sub', identity: 'marie.dupont', displayName: 'Marie Dupont' }, expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      items: [{ itemId: 'cours-1', title: 'Cours 1', category: 'STOCKAGE_PARTAGE', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 100 }] }],
    });
    const post = (body: unknown) => fetch(`${gatewayB}/portability/v1/offers`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { offer, post };
  };

  it('answers an offer sent again from what it stored while its ENT is down; a new offer gets 503 and stores nothing', async () => {
    const { offer, post } = await offerTo();
    const known = offer(randomUUID());
    const first = await post(known);
    expect(first.status).toBe(200);
    const answer = await first.json();
    await env.stack.kill('ent-sim-b');
    try {
      const again = await post(known);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(answer);
      const fresh = offer(randomUUID());
      const refused = await post(fresh);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      // Nothing of it was kept: once the ENT is back, the same offer is answered as new.
      await env.stack.start('ent-sim-b');
      const later = await post(fresh);
      expect(later.status).toBe(200);
      expect(((await later.json()) as any).items[0].decision).not.toBe('REFUSED');
    } finally {
      if (env.stack.processes.get('ent-sim-b')?.exitCode !== null) await env.stack.start('ent-sim-b');
    }
  });

  it('answers new offers from the capabilities its ENT let it keep (Cache-Control: max-age) while the ENT is down; its health still says the ENT is down', async () => {
    await env.stack.kill('ent-sim-b');
    env.stack.options.env = { ...env.stack.options.env, 'ent-sim-b': { ENT_SIM_CAPABILITIES_MAX_AGE: '600' } };
    await env.stack.start('ent-sim-b');
    try {
      const { offer, post } = await offerTo();
      // Read while the ENT is up: its answer now says it may be reused for 600 s.
      expect((await post(offer(randomUUID()))).status).toBe(200);
      await env.stack.kill('ent-sim-b');
      const answered = await post(offer(randomUUID()));
      expect(answered.status).toBe(200);
      expect(((await answered.json()) as any).items[0].decision).not.toBe('REFUSED');
      const health = await fetch(`${env.stack.urls.gatewayB}/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as any).checks.connector.ok).toBe(false);
    } finally {
      if (env.stack.processes.get('ent-sim-b')?.exitCode === null) await env.stack.kill('ent-sim-b');
      env.stack.options.env = { ...env.stack.options.env, 'ent-sim-b': NO_CACHE };
      await env.stack.start('ent-sim-b');
    }
  });
});
