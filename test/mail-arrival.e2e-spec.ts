import { openZipSafely, parseMbox, parseVcard } from '@ent/formats';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

/*
 * §8.3 names mail among what a teacher takes along. An arrival that takes mail
 * as messages (.eml) rather than as a mailbox, and contacts as vCard: the
 * teacher's mbox is answered CONVERT mbox → eml, her address book (the
 * webmail's CSV export) CONVERT contacts-csv → vcard with what vCard cannot
 * hold announced first; both are converted and imported at ENT B (issue 13:
 * every category crosses end to end at least once).
 */
jest.setTimeout(240_000);

describe('CONVERT: mail (mbox) is imported at an arrival that takes messages (.eml)', () => {
  let env: StackSession;
  beforeAll(async () => {
    const categories = [
      { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.3' }] },
      { category: 'COURRIER_ELECTRONIQUE', imports: [{ format: 'eml' }, { format: 'vcard' }] },
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

  it('brings the teacher’s contacts as vCard 4.0, every loss announced before anything moves, and ENT B reads them back', async () => {
    const auth = { authorization: `Bearer ${DEMO.connectorTokenB}` };
    const atA = await TeacherClient.login(env.stack.urls.gatewayA, 'lucas.moreau', 'demo-lucas');
    const mine = ((await atA.json('GET', '/api/contents')).items as any[]).filter((c) => c.category === 'COURRIER_ELECTRONIQUE');
    const book = mine.find((c) => c.formats.some((f: any) => f.format === 'contacts-csv'));
    const mailbox = mine.find((c) => c.formats.some((f: any) => f.format === 'mbox'));
    expect(book).toBeDefined();
    expect(mailbox).toBeDefined();
    const sourceCsv = await (await fetch(`${env.stack.urls.entA}/connector/v1/users/lucas.moreau/contents/${encodeURIComponent(book.id)}/export?format=contacts-csv`, {
      headers: { authorization: `Bearer ${DEMO.connectorTokenA}` },
    })).text();
    const sourceRows = sourceCsv.trim().split(/\r\n/).length - 1;

    const draft = await atA.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [mailbox.id, book.id] });
    const analysed = await atA.json('POST', `/api/transfers/${draft.id}/analysis`);
    const answer = (id: string) => analysed.items.find((i: any) => i.itemId === id || i.id === id);
    expect(answer(mailbox.id)).toMatchObject({ decision: 'CONVERT', sourceFormat: 'mbox', targetFormat: 'eml' });
    const contactsAnswer = answer(book.id);
    expect(contactsAnswer).toMatchObject({ decision: 'CONVERT', sourceFormat: 'contacts-csv', targetFormat: 'vcard' });
    // What she reads before confirming: every loss of the conversion, in French.
    expect(contactsAnswer.losses.map((l: any) => l.code)).toEqual([
      'CONTACTS_ENT_FIELDS_DROPPED',
      'CONTACTS_GROUPS_AS_CATEGORIES',
      'CONTACTS_LISTS_AS_GROUP_CARDS',
      'CONTACTS_EMPTY_ROWS_SKIPPED',
    ]);
    expect(contactsAnswer.losses[0].message).toContain('vCard n’a pas de champ');
    const page = (await (await atA.request('GET', `/transferts/${draft.id}`)).text()).replace(/&#39;|&rsquo;|&#x27;/g, '’');
    expect(page).toContain('deviennent des catégories');
    // Nothing has moved yet.
    const atBList = async () => ((await (await fetch(`${env.stack.urls.entB}/connector/v1/users/lucas.moreau/contents`, { headers: auth })).json()) as any).items as any[];
    expect((await atBList()).filter((c) => String(c.importKey ?? '').startsWith(`${draft.id}:`))).toEqual([]);

    await atA.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivered', async () => (await atA.json('GET', `/api/transfers/${draft.id}`)).state === 'DELIVERED');
    const atB = await TeacherClient.login(env.stack.urls.gatewayB, 'lucas.moreau', 'demo-lucas');
    const done = await waitUntil('DONE', async () => {
      const t = await atB.json('GET', `/api/received/${draft.id}`);
      return ['DONE', 'PARTIAL', 'FAILED'].includes(t.state) && t;
    });
    expect(done.state).toBe('DONE');
    const converted = done.events.filter((e: any) => e.type === 'ITEM_CONVERTED').map((e: any) => e.data);
    // The run reports the losses that applied (a subset of those announced): this book has ENT
    // fields, groups and a list, and no empty row.
    expect(converted).toEqual(expect.arrayContaining([
      expect.objectContaining({ converters: ['contacts-csv-to-vcard'], losses: ['CONTACTS_ENT_FIELDS_DROPPED', 'CONTACTS_GROUPS_AS_CATEGORIES', 'CONTACTS_LISTS_AS_GROUP_CARDS'] }),
      expect.objectContaining({ converters: ['mbox-to-eml'] }),
    ]));

    const imported = (await atBList()).find((c) => c.importKey === `${draft.id}:${book.id}`);
    expect(imported).toMatchObject({ category: 'COURRIER_ELECTRONIQUE' });
    expect(imported.formats[0]).toMatchObject({ format: 'vcard', mediaType: 'text/vcard' });
    const res = await fetch(`${env.stack.urls.entB}/connector/v1/users/lucas.moreau/contents/${imported.id}/export?format=vcard`, { headers: auth });
    expect(res.status).toBe(200);
    const vcf = Buffer.from(await res.arrayBuffer()).toString('utf8');
    // RFC 6350 on the wire: CRLF line ends, no physical line over 75 octets.
    expect(vcf.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of vcf.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    const cards = parseVcard(vcf);
    expect(cards).toHaveLength(sourceRows);
    expect(cards.every((c) => c.version === '4.0')).toBe(true);
    const byName = new Map(cards.map((c) => [c.fn, c]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['Élodie Girard', 'Françoise Roussel', 'Thomas Lefèvre', 'Labo physique-chimie']));
    // Accents, the escaped semicolon and the newline of her note come back as written.
    expect(byName.get('Françoise Roussel')!.note).toBe('Mère de Noé Roussel (1re 2) ; préfère être appelée après 17 h.\nRendez-vous du 7 octobre : « progrès en méthode ».');
    expect(byName.get('Élodie Girard')!.adrs[0]).toMatchObject({ street: '12, rue des Écoles', locality: 'Paris', postalCode: '75005', country: 'France' });
    expect(byName.get('Marie Dupont')!.categories).toEqual(['Physique-Chimie', 'Labo']);
    const list = byName.get('Labo physique-chimie')!;
    expect(list.kind).toBe('group');
    expect(list.extra.filter((p) => p.name === 'MEMBER').map((m) => m.value)).toEqual(['mailto:marie.dupont@ac-paris.fr', 'mailto:lucas.moreau@ac-paris.fr', 'mailto:karim.benali@ac-paris.fr']);
    // The ENT directory's own fields stayed behind, as announced.
    expect(vcf).not.toMatch(/ENT-A-\d+|Responsable légal/);
  });
});
