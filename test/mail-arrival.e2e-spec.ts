import { openZipSafely, parseMbox } from '@ent/formats';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * §8.3 names mail among what a teacher takes along. An arrival that takes mail
 * as messages (.eml) rather than as a mailbox: the teacher's mbox is answered
 * CONVERT mbox → eml, converted, and imported at ENT B with every message
 * (issue 13: every category crosses end to end at least once).
 */
jest.setTimeout(240_000);

describe('CONVERT: mail (mbox) is imported at an arrival that takes messages (.eml)', () => {
  let env: StackSession;
  beforeAll(async () => {
    const categories = [
      { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.3' }] },
      { category: 'COURRIER_ELECTRONIQUE', imports: [{ format: 'eml' }] },
    ];
    env = await bootStack('mail', { env: { 'ent-sim-b': { ENT_SIM_CATEGORIES: JSON.stringify(categories) } } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('answers CONVERT mbox → eml before anything moves, then imports every message', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const mail = (await atA.json('GET', '/api/contents')).items.find((c: any) => c.category === 'COURRIER_ELECTRONIQUE');
    expect(mail.formats.map((f: any) => f.format)).toEqual(['mbox']);
    const src = await fetch(`${env.stack.urls.entA}/connector/v1/users/marie.dupont/contents/${encodeURIComponent(mail.id)}/export?format=mbox`, {
      headers: { authorization: `Bearer ${DEMO.connectorTokenA}` },
    });
    const messages = parseMbox(Buffer.from(await src.arrayBuffer()));
    expect(messages.length).toBeGreaterThan(0);

    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [mail.id] });
    const analysed = await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    expect(analysed.items[0]).toMatchObject({ decision: 'CONVERT', sourceFormat: 'mbox', targetFormat: 'eml' });

    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivered', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED');
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const done = await waitUntil('DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL', 'FAILED'].includes(t.state) && t;
    });
    expect(done.state).toBe('DONE');
    expect(done.events.find((e: any) => e.type === 'ITEM_CONVERTED').data).toMatchObject({ converters: ['mbox-to-eml'] });

    const auth = { authorization: `Bearer ${DEMO.connectorTokenB}` };
    const list = (await (await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`, { headers: auth })).json()) as any;
    const imported = list.items.find((c: any) => c.importKey === `${draft.id}:${mail.id}`);
    expect(imported).toMatchObject({ category: 'COURRIER_ELECTRONIQUE' });
    expect(imported.formats[0].format).toBe('eml');
    const res = await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents/${imported.id}/export?format=eml`, { headers: auth });
    expect(res.status).toBe(200);
    const zip = await openZipSafely(Buffer.from(await res.arrayBuffer()));
    try {
      const emls = zip.entries.filter((e) => e.name.endsWith('.eml'));
      expect(emls).toHaveLength(messages.length);
      // Every message arrives, each once, with its body: the Message-IDs of the mailbox are those of the .eml files.
      const texts: string[] = [];
      for (const e of emls) texts.push((await zip.read(e.name, 1 << 24)).toString('utf8'));
      for (const m of messages) {
        expect(m.messageId).toBeTruthy();
        expect(texts.filter((t) => t.includes(String(m.messageId))).length).toBe(1);
      }
    } finally {
      zip.close();
    }
  });
});
