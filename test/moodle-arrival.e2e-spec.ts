import { openZipSafely, readCommonCartridge, validateCommonCartridge, writeCommonCartridge, writeDeterministicZip } from '@ent/formats';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * An arrival whose courses live in Moodle (ENT_SIM_PROFILE=ent-b-moodle):
 * Moodle imports Common Cartridge 1.0 and 1.1 only and validates a package
 * against its version's XSDs before importing it. The departure holds its
 * course in CC 1.3 only (ENT_SIM_EXPORT_FORMATS). The course must cross as
 * CONVERT 1.3 → 1.1, the losses announced in the analysis before anything
 * moves, and the package that reaches the ENT must pass the 1.1 XSDs
 * (issue 13, defect 8).
 */
jest.setTimeout(240_000);

const auth = { authorization: `Bearer ${DEMO.connectorTokenB}` };

describe('CONVERT: a CC 1.3 course reaches an arrival whose courses live in Moodle as CC 1.1', () => {
  let env: StackSession;
  beforeAll(async () => {
    env = await bootStack('moodle', {
      env: {
        'ent-sim-a': { ENT_SIM_EXPORT_FORMATS: 'imscc-1.3,ical,mbox,binary' },
        'ent-sim-b': { ENT_SIM_PROFILE: 'ent-b-moodle' },
      },
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  const entBContents = async (): Promise<any[]> =>
    ((await (await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents`, { headers: auth })).json()) as any).items;

  it('the Moodle-like ENT refuses a CC 1.3 package and a 1.1 package its XSDs refuse, and stores nothing', async () => {
    const before = (await entBContents()).length;
    const course = { identifier: 'x', title: 'Essai', language: 'fr', author: 'Marie Dupont', sections: [{ title: 'S', items: [{ kind: 'page' as const, title: 'P', html: '<p>x</p>' }] }] };
    const put = (key: string, format: string, body: Buffer) =>
      fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/imports/${key}?${new URLSearchParams({ category: 'PARCOURS_PEDAGOGIQUE', format, title: 'Essai' })}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body,
      });
    const cc13 = await put('t-moodle%2F13', 'imscc-1.3', await writeCommonCartridge(course, { version: '1.3' }));
    expect(cc13.status).toBe(415);
    expect(cc13.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // A 1.1 manifest with a LOM role <source>, as the writer produced before issue 13: the 1.1 XSD refuses it.
    const good11 = await writeCommonCartridge(course, { version: '1.1' });
    const zip = await openZipSafely(good11);
    const manifest = (await zip.read('imsmanifest.xml', 1 << 20)).toString('utf8');
    zip.close();
    expect(manifest).toContain('<lomimscc:value>author</lomimscc:value>');
    const bad11 = await writeDeterministicZip([
      { name: 'imsmanifest.xml', data: manifest.replace('<lomimscc:value>author', '<lomimscc:source>LOMv1.0</lomimscc:source><lomimscc:value>author') },
      { name: 'wiki_content/p.html', data: '<html><body><p>x</p></body></html>' },
    ]);
    const refused = await put('t-moodle%2Fbad11', 'imscc-1.1', bad11);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as any).detail).toMatch(/XSD/);
    expect((await entBContents()).length).toBe(before);
  });

  it('announces CONVERT 1.3 → 1.1 with its losses first, then imports a package valid against the 1.1 XSDs', async () => {
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const course = (await atA.json('GET', '/api/contents')).items.find((c: any) => c.category === 'PARCOURS_PEDAGOGIQUE');
    expect(course.formats.map((f: any) => f.format)).toEqual(['imscc-1.3']);
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [course.id] });
    const analysed = await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    const item = analysed.items[0];
    expect(item).toMatchObject({ decision: 'CONVERT', sourceFormat: 'imscc-1.3', targetFormat: 'imscc-1.1' });
    const codes = item.losses.map((l: any) => l.code);
    // What the teacher reads before anything moves: Moodle's known behaviour included, in French.
    expect(codes).toEqual(expect.arrayContaining(['CC13_ASSIGNMENTS_DROPPED', 'CC_OUTLINE_COMPLETED', 'CC_MOODLE_FORUM_TOPIC_AS_INTRO', 'CC_MOODLE_SECTION_TITLES']));
    for (const l of item.losses) expect(l.message).toMatch(/[éèàêç]/);
    // Nothing has moved yet.
    expect((await entBContents()).filter((c: any) => String(c.importKey ?? '').startsWith(`${draft.id}:`))).toEqual([]);

    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivered', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED');
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const done = await waitUntil('DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL', 'FAILED'].includes(t.state) && t;
    });
    expect(done.state).toBe('DONE');
    expect(done.events.find((e: any) => e.type === 'ITEM_CONVERTED').data).toMatchObject({ converters: ['imscc-1.3-to-imscc-1.1'] });

    const imported = (await entBContents()).find((c: any) => c.importKey === `${draft.id}:${course.id}`);
    expect(imported.formats[0].format).toBe('imscc-1.1');
    const res = await fetch(`${env.stack.urls.entB}/connector/v1/users/marie.dupont/contents/${imported.id}/export?format=imscc-1.1`, { headers: auth });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const v = await validateCommonCartridge(bytes);
    expect({ version: v.version, checked: v.xsd.checked, errors: v.findings.filter((f) => f.severity === 'error') }).toEqual({ version: '1.1', checked: true, errors: [] });
    const cc = await readCommonCartridge(bytes);
    expect(cc.title).toBe(course.title);
    expect(cc.resources.some((r) => r.kind === 'discussion')).toBe(true);
  });
});
