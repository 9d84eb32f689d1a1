import { readCommonCartridge } from '@ent/formats';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * An ENT B with no cahier de textes tool: it takes a cahier as course pages
 * (Common Cartridge 1.3). The teacher's iCalendar cahier is answered CONVERT,
 * with the loss announced before anything moves, then converted and imported.
 */
jest.setTimeout(180_000);

describe('CONVERT: a cahier de textes (iCalendar) becomes course pages at arrival', () => {
  let env: StackSession;
  beforeAll(async () => {
    const categories = [
      { category: 'CAHIER_TEXTES', imports: [{ format: 'imscc-1.3' }] },
      { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.3' }] },
    ];
    env = await bootStack('convert', { env: { 'ent-sim-b': { ENT_SIM_CATEGORIES: JSON.stringify(categories) } } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('announces the loss, converts, imports a valid cartridge with one page per session', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const cahier = (await atA.json('GET', '/api/contents')).items.find((c: any) => c.category === 'CAHIER_TEXTES');
    expect(cahier.formats.map((f: any) => f.format)).toEqual(['ical']);
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [cahier.id] });
    const analysed = await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    const item = analysed.items[0];
    expect(item).toMatchObject({ decision: 'CONVERT', sourceFormat: 'ical', targetFormat: 'imscc-1.3' });
    expect(item.reasons[0].code).toBe('CONVERSION_AVAILABLE');
    expect(item.losses.map((l: any) => l.code)).toContain('ICAL_CALENDAR_STRUCTURE_LOST');
    expect(item.losses[0].message).toMatch(/[éèà]|calendrier|emploi/i);

    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivered', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED');
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const done = await waitUntil('DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL'].includes(t.state) && t;
    });
    expect(done.state).toBe('DONE');
    expect(done.events.find((e: any) => e.type === 'ITEM_CONVERTED').data).toMatchObject({ converters: ['ical-to-imscc-1.3'] });

    const list = (await (await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`, { headers: { authorization: `Bearer ${DEMO.connectorTokenB}` } })).json()) as any;
    const imported = list.items.find((c: any) => c.importKey === `${draft.id}:${cahier.id}`);
    expect(imported.formats[0].format).toBe('imscc-1.3');
    const res = await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents/${imported.id}/export?format=imscc-1.3`, { headers: { authorization: `Bearer ${DEMO.connectorTokenB}` } });
    const cc = await readCommonCartridge(Buffer.from(await res.arrayBuffer()));
    expect(cc.version).toBe('1.3');
    // The seeded cahier has six sessions: each became a page.
    const pages = cc.resources.filter((r: any) => r.kind === 'webcontent');
    expect(pages.length).toBeGreaterThanOrEqual(6);
  });
});
