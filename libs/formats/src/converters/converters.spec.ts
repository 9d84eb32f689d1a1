import { readScolomfr } from '../scolomfr/reader';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_CONVERTERS } from '@ent/negotiation';
import { readCommonCartridgeManifest } from '../commoncartridge/cc-reader';
import { writeCommonCartridge } from '../commoncartridge/cc-writer';
import { writeICalendar } from '../icalendar/icalendar';
import { validateLheo } from '../lheo/lheo';
import { writeMbox } from '../mbox/mbox';
import { parseVcard } from '../vcard/vcard';
import { xmllintAvailable } from '../scolomfr/xsd';
import { openZipSafely } from '../zip/safe-zip';
import { descriptorsOf, EXECUTABLE_CONVERTERS, findExecutableConverter } from './converters';
import type { ConverterRunResult } from './types';

jest.setTimeout(60_000);

const CORPUS = resolve(__dirname, '../../../..', '..', 'shared', 'corpus');
const corpus = (p: string) => readFileSync(join(CORPUS, p));
const hasXmllint = xmllintAvailable();

async function bytes(r: ConverterRunResult): Promise<Buffer> {
  if (Buffer.isBuffer(r.output)) return r.output;
  const chunks: Buffer[] = [];
  for await (const c of r.output) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const run = (id: string, input: Buffer | Readable) => findExecutableConverter(id)!.run(input);

describe('executable converters', () => {
  it('declare exactly what negotiation knows: same ids, formats, costs, loss codes and messages', () => {
    const expected = new Map(DEFAULT_CONVERTERS.map((c) => [c.id, c]));
    for (const d of descriptorsOf()) {
      const n = expected.get(d.id);
      expect({ id: d.id, known: !!n }).toEqual({ id: d.id, known: true });
      expect(d).toEqual({ id: n!.id, from: n!.from, to: n!.to, cost: n!.cost, losses: n!.losses.map((l) => ({ code: l.code, message: l.message })) });
    }
    expect(descriptorsOf().map((d) => d.id)).toEqual([
      'imscc-1.1-to-imscc-1.3',
      'imscc-1.3-to-imscc-1.1',
      'mbox-to-eml',
      'eml-to-mbox',
      'contacts-csv-to-vcard',
      'lheo-2.2-to-lheo-2.3',
      'lheo-2.3-to-lheo-2.2',
      'ical-to-imscc-1.3',
      'scolomfr-3.1-to-schemaorg-jsonld',
      'schemaorg-jsonld-to-scolomfr-3.1',
    ]);
    expect(new Set(EXECUTABLE_CONVERTERS.map((c) => c.descriptor.id)).size).toBe(EXECUTABLE_CONVERTERS.length);
  });

  it('contacts-csv → vcard: every contact as vCard 4.0, the losses that applied among those announced', async () => {
    const csv = 'Prénom,Nom,Courriel,Groupes,Profil ENT\r\nInès,Haddad,ines.haddad@ac-paris.fr,Élèves,Élève\r\nLucas,Moreau,lucas.moreau@ac-paris.fr,,\r\n';
    const r = await run('contacts-csv-to-vcard', Readable.from([Buffer.from(csv, 'utf8')]));
    expect(r.mediaType).toBe('text/vcard');
    expect(r.extension).toBe('.vcf');
    const cards = parseVcard((await bytes(r)).toString('utf8'));
    expect(cards.map((c) => c.fn)).toEqual(['Inès Haddad', 'Lucas Moreau']);
    expect(r.losses.map((l) => [l.code, l.details])).toEqual([
      ['CONTACTS_ENT_FIELDS_DROPPED', ['Profil ENT']],
      ['CONTACTS_GROUPS_AS_CATEGORIES', ['Inès Haddad : Élèves']],
    ]);
    const announced = findExecutableConverter('contacts-csv-to-vcard')!.descriptor.losses.map((l) => l.code);
    expect(announced).toEqual(expect.arrayContaining(r.losses.map((l) => l.code)));
    await expect(run('contacts-csv-to-vcard', Buffer.from('%PDF-1.4 not a csv'))).rejects.toThrow(/not an address book/);
  });

  it('imscc-1.1 → imscc-1.3 (real Canvas 1.1 cartridge, streamed in and out)', async () => {
    const r = await run('imscc-1.1-to-imscc-1.3', Readable.from([corpus('commoncartridge/packages/canvas_small_cc1.1.imscc')]));
    expect(r.output).toBeInstanceOf(Readable);
    expect(r.mediaType).toBe('application/vnd.ims.imsccv1p3');
    const summary = await readCommonCartridgeManifest(await bytes(r));
    expect(summary.version).toBe('1.3');
    expect(summary.missingFiles).toEqual([]);
    expect(r.losses).toEqual([]);
  });

  it('imscc-1.3 → imscc-1.1 reports the assignments it cannot keep', async () => {
    const cc13 = await writeCommonCartridge(
      {
        identifier: 'c1',
        title: 'Cours',
        language: 'fr',
        updatedAt: '2025-09-01T00:00:00Z',
        sections: [
          {
            title: 'S1',
            items: [
              { kind: 'page', title: 'Page', html: '<p>x</p>' },
              { kind: 'assignment', title: 'Devoir', text: '<p>Rendre le TP</p>' },
            ],
          },
        ],
      } as Parameters<typeof writeCommonCartridge>[0],
      { version: '1.3' },
    );
    const r = await run('imscc-1.3-to-imscc-1.1', cc13);
    const summary = await readCommonCartridgeManifest(await bytes(r));
    expect(summary.version).toBe('1.1');
    expect(r.losses.map((l) => l.code)).toEqual(['CC13_ASSIGNMENTS_DROPPED', 'CC_MOODLE_SECTION_TITLES']);
    expect(r.losses[0].message).toMatch(/devoirs à rendre/);
  });

  it('imscc-1.3 → imscc-1.1 declares every loss, with what real importers (Moodle) are known to do (defects 5, 9, 10)', async () => {
    const r = await run('imscc-1.3-to-imscc-1.1', Readable.from([corpus('commoncartridge/packages/canvas_large_cc1.3.imscc')]));
    const codes = r.losses.map((l) => l.code);
    expect(codes).toEqual(
      expect.arrayContaining(['CC_QUESTION_TYPES_DROPPED', 'CC_OUTLINE_COMPLETED', 'CC_MOODLE_FORUM_TOPIC_AS_INTRO', 'CC_MOODLE_SECTION_TITLES']),
    );
    const outline = r.losses.find((l) => l.code === 'CC_OUTLINE_COMPLETED')!;
    expect(outline.message).toMatch(/« Autres ressources »/);
    expect(outline.details!.join(' ')).toMatch(/\d+ resource\(s\) outside the outline/);
    // Every applied loss is one the descriptor announces, so that the teacher saw it before anything moved.
    const announced = findExecutableConverter('imscc-1.3-to-imscc-1.1')!.descriptor.losses.map((l) => l.code);
    expect(announced).toEqual(expect.arrayContaining(codes));
    for (const l of r.losses) expect(l.message).toMatch(/[éèàç]|les|des/);
  });

  it('mbox → eml (zip of messages) → mbox gives the mailbox back', async () => {
    const mbox = writeMbox([
      { from: 'a@b.fr', to: ['c@d.fr'], subject: 'Un', date: new Date('2025-01-01T10:00:00Z'), text: 'un\nFrom x', messageId: '1@b.fr' },
      { from: 'a@b.fr', to: ['c@d.fr'], subject: 'Deux', date: new Date('2025-01-02T10:00:00Z'), text: 'deux', messageId: '2@b.fr' },
    ]);
    const zipped = await bytes(await run('mbox-to-eml', Readable.from([mbox.subarray(0, 50), mbox.subarray(50)])));
    const zip = await openZipSafely(zipped);
    expect(zip.entries.map((e) => e.name)).toEqual(['0001-un.eml', '0002-deux.eml']);
    zip.close();
    expect(await bytes(await run('mbox-to-eml', mbox))).toEqual(zipped);
    const back = await run('eml-to-mbox', Readable.from([zipped]));
    expect((await bytes(back)).toString()).toBe(mbox.toString());
    const single = await run('eml-to-mbox', Buffer.from('From: a@b.fr\r\nSubject: seul\r\nDate: Wed, 01 Jan 2025 10:00:00 +0000\r\n\r\ncorps\r\n'));
    expect((await bytes(single)).toString()).toBe('From a@b.fr Wed Jan  1 10:00:00 2025\nFrom: a@b.fr\nSubject: seul\nDate: Wed, 01 Jan 2025 10:00:00 +0000\n\ncorps\n\n');
  });

  it('lheo-2.2 → lheo-2.3 → lheo-2.2', async () => {
    const up = await run('lheo-2.2-to-lheo-2.3', corpus('lheo/onisep_exemple-bts-nrc_lheo-2.2.xml'));
    expect(up.losses).toEqual([]);
    if (hasXmllint) expect((await validateLheo(await bytes(up))).valid).toBe(true);
    const down = await run('lheo-2.3-to-lheo-2.2', await bytes(up));
    expect(down.losses.map((l) => l.code)).toEqual(['LHEO23_ELEMENTS_MOVED_TO_EXTRAS']);
    if (hasXmllint) expect((await validateLheo(await bytes(down))).valid).toBe(true);
  });

  it('ical → imscc-1.3', async () => {
    const ics = writeICalendar({
      title: 'Cahier',
      sessions: [{ uid: 's1', start: new Date('2025-09-02T06:00:00Z'), end: new Date('2025-09-02T07:00:00Z'), subject: 'Maths', summary: 'Fractions', description: 'd' }],
    });
    const r = await run('ical-to-imscc-1.3', Buffer.from(ics));
    expect((await readCommonCartridgeManifest(await bytes(r))).version).toBe('1.3');
    expect(r.losses.map((l) => l.code)).toEqual(['ICAL_CALENDAR_STRUCTURE_LOST']);
  });

  it('scolomfr-3.1 → schemaorg-jsonld', async () => {
    const r = await run('scolomfr-3.1-to-schemaorg-jsonld', corpus('scolomfr/records/official_ExempleManuelReferenceScoLOMFRv3-1.xml'));
    const json = JSON.parse((await bytes(r)).toString('utf8'));
    expect(json['@type']).toBe('LearningResource');
    expect(r.mediaType).toBe('application/ld+json');
    expect(r.losses.map((l) => l.code)).toEqual(['SCOLOMFR_VOCABULARIES_APPROXIMATED', 'SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED']);
    expect(r.losses[1].details).toContain('general/aggregationLevel');
  });

  it('schemaorg-jsonld → scolomfr-3.1 (the crosswalk back: what an arrival taking ScoLOMFR only runs)', async () => {
    const source = await bytes(await run('scolomfr-3.1-to-schemaorg-jsonld', corpus('scolomfr/records/official_ExempleManuelReferenceScoLOMFRv3-1.xml')));
    const r = await run('schemaorg-jsonld-to-scolomfr-3.1', source);
    expect(r.mediaType).toBe('application/xml');
    const { record } = readScolomfr(await bytes(r));
    expect(record.general.title).toBeTruthy();
    expect(JSON.stringify(record.general.title)).toContain(JSON.parse(source.toString('utf8')).name);
    for (const l of r.losses) expect(['SCHEMAORG_PROPERTIES_DROPPED', 'SCHEMAORG_VALUES_NOT_IN_VOCABULARIES', 'SCHEMAORG_VALUES_APPROXIMATED']).toContain(l.code);
    await expect(run('schemaorg-jsonld-to-scolomfr-3.1', Buffer.from('[]'))).rejects.toThrow(/no schema.org resource/);
  });

  it('refuse inputs that are not of their source format', async () => {
    await expect(run('lheo-2.3-to-lheo-2.2', corpus('lheo/onisep_exemple-bts-nrc_lheo-2.2.xml'))).rejects.toThrow(/2\.3 expected/);
    await expect(run('scolomfr-3.1-to-schemaorg-jsonld', Buffer.from('<x/>'))).rejects.toThrow(/not a LOM/);
    await expect(run('eml-to-mbox', Buffer.from('\u0000binary'))).rejects.toThrow(/RFC 5322/);
    await expect(run('imscc-1.1-to-imscc-1.3', Buffer.from('not a zip'))).rejects.toThrow();
  });
});
