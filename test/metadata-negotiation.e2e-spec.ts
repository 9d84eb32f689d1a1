import { createHash, randomUUID } from 'node:crypto';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

jest.setTimeout(420_000);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const connector = (base: string, token: string, path: string, init: RequestInit = {}) =>
  fetch(`${base}/connector/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

/**
 * #12: the answer says per item which metadata record the arrival takes, and content and its
 * record are imported together or not at all. Before, the arrival took whichever record was
 * listed first: with schema.org first, ENT B (which takes ScoLOMFR only) refused the record
 * after the PDF was already in it, and the item was reported FAILED with its content orphaned.
 *
 * ENT A holds four PDFs of marie.dupont, described in ScoLOMFR only, schema.org only, both
 * (schema.org listed first) and neither; they are moved to ENT B.
 */
describe('metadata negotiated: ScoLOMFR only, schema.org only, both, neither', () => {
  let env: StackSession;

  beforeAll(async () => {
    // ENT A keeps schema.org records too, so that the test can give its contents one; ENT B keeps the default (ScoLOMFR only).
    env = await bootStack('metadata', { env: { 'ent-sim-a': { ENT_SIM_METADATA_IMPORTS: 'scolomfr-3.1,schemaorg-jsonld' } } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('imports each PDF with the record the answer named, converted to ScoLOMFR when it came as schema.org only', async () => {
    const { entA, entB } = env.stack.urls;
    const tokenA = DEMO.connectorTokenA;
    // A ScoLOMFR record as ENT A holds it (the seeded PDF's), and a schema.org one.
    const seeded = ((await (await connector(entA, tokenA, '/users/marie.dupont/contents')).json()) as any).items.find((c: any) => c.metadataFormats.includes('scolomfr-3.1'));
    const scolomfr = Buffer.from(await (await connector(entA, tokenA, `/users/marie.dupont/contents/${encodeURIComponent(seeded.id)}/metadata?format=scolomfr-3.1`)).arrayBuffer());
    const schemaorg = Buffer.from(JSON.stringify({
      '@context': 'https://schema.org/',
      '@type': 'LearningResource',
      name: 'La photosynthèse en images',
      description: 'Fiche de révision pour la classe de 5e.',
      inLanguage: 'fr',
    }));

    const cases: Record<string, Buffer[]> = { scolomfrOnly: [scolomfr], schemaorgOnly: [schemaorg], both: [schemaorg, scolomfr], neither: [] };
    const ids: Record<string, string> = {};
    for (const [name, records] of Object.entries(cases)) {
      const pdf = Buffer.from(`%PDF-1.4\n% ${name} ${randomUUID()}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
      const key = `seed-${name}-${randomUUID()}`;
      const put = await connector(entA, tokenA, `/users/marie.dupont/imports/${key}?${new URLSearchParams({ category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf', title: `PDF ${name}` })}`, {
        method: 'PUT', body: pdf, headers: { 'content-type': 'application/octet-stream' },
      });
      expect(put.status).toBe(201);
      ids[name] = ((await put.json()) as any).localId;
      for (const record of records) {
        const format = record === scolomfr ? 'scolomfr-3.1' : 'schemaorg-jsonld';
        const meta = await connector(entA, tokenA, `/users/marie.dupont/imports/${key}/metadata?format=${format}`, { method: 'PUT', body: record, headers: { 'content-type': 'application/octet-stream' } });
        expect(meta.status).toBe(204);
      }
    }
    const listed = ((await (await connector(entA, tokenA, '/users/marie.dupont/contents')).json()) as any).items;
    expect(listed.find((c: any) => c.id === ids.both).metadataFormats).toEqual(['schemaorg-jsonld', 'scolomfr-3.1']);

    // --- departure: offer, answer, delivery
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: Object.values(ids) });
    await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('departure DELIVERED', async () => ['DELIVERED', 'RECEIPTED', 'CLEANED'].includes((await atA.json('GET', `/api/transfers/${draft.id}`)).state), 180_000);

    // --- arrival: the teacher logs in, everything is imported, each with its record
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    const received = await waitUntil('arrival done', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL', 'FAILED'].includes(t.state) && t;
    }, 180_000);
    const state = (name: string) => received.items.find((i: any) => i.itemId === ids[name]);
    expect(Object.keys(cases).map((name) => [name, state(name).state])).toEqual(Object.keys(cases).map((name) => [name, 'IMPORTED']));
    expect(received.state).toBe('DONE');

    const atEntB = ((await (await connector(entB, DEMO.connectorTokenB, '/users/marie.dupont/contents')).json()) as any).items;
    const imported = (name: string) => atEntB.filter((c: any) => c.importKey === `${draft.id}:${ids[name]}`);
    const recordAtB = async (name: string) => {
      const res = await connector(entB, DEMO.connectorTokenB, `/users/marie.dupont/contents/${encodeURIComponent(imported(name)[0].id)}/metadata?format=scolomfr-3.1`);
      return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined;
    };
    for (const name of Object.keys(cases)) expect(imported(name)).toHaveLength(1);
    // ScoLOMFR only, and both: the ScoLOMFR record as it was, byte for byte (the native one wins over schema.org listed first).
    expect(sha256((await recordAtB('scolomfrOnly'))!)).toBe(sha256(scolomfr));
    expect(sha256((await recordAtB('both'))!)).toBe(sha256(scolomfr));
    // schema.org only: converted to ScoLOMFR through the crosswalk, keeping its title.
    const converted = (await recordAtB('schemaorgOnly'))!.toString('utf8');
    expect(converted).toContain('http://www.lom-fr.fr/xsd/SCOLOMFR');
    expect(converted).toContain('La photosynthèse en images');
    // Neither: imported without a record.
    expect(imported('neither')[0].metadataFormats).toEqual([]);

    // The answer said so, item by item, before anything moved.
    const answered = (await atA.json('GET', `/api/transfers/${draft.id}`)).items;
    const metadata = (name: string) => answered.find((i: any) => i.itemId === ids[name]).metadata;
    expect(metadata('scolomfrOnly')).toEqual({ format: 'scolomfr-3.1', targetFormat: 'scolomfr-3.1', losses: [] });
    expect(metadata('schemaorgOnly')).toMatchObject({ format: 'schemaorg-jsonld', targetFormat: 'scolomfr-3.1', converters: ['schemaorg-jsonld-to-scolomfr-3.1'] });
    expect(metadata('schemaorgOnly').losses.length).toBeGreaterThan(0);
    expect(metadata('both')).toEqual({ format: 'scolomfr-3.1', targetFormat: 'scolomfr-3.1', losses: [] });
    expect(metadata('neither')).toBeNull();
  });
});
