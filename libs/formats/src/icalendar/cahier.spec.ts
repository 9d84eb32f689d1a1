import { readCommonCartridgeManifest } from '../commoncartridge/cc-reader';
import { writeCommonCartridge } from '../commoncartridge/cc-writer';
import { cahierToCcWebContent, frenchSessionDate, icalDate, readCahierFromICalendar } from './cahier';
import { CahierDeTextes, writeICalendar } from './icalendar';

const cahier: CahierDeTextes = {
  title: 'Cahier de textes 2nde 3 — Physique-Chimie',
  sessions: [
    {
      uid: 's1@ent-a',
      start: new Date('2025-09-02T06:00:00Z'),
      end: new Date('2025-09-02T07:00:00Z'),
      subject: 'Physique-Chimie',
      summary: "Chapitre 1 ; l'Univers <échelles>",
      description: 'Activité 1 : ordres de grandeur.\nCorrection en classe & notes.',
      homework: { uid: 'h1@ent-a', due: new Date('2025-09-09T06:00:00Z'), text: 'Exercices 12 et 14 p. 23.' },
    },
    { uid: 's2@ent-a', start: new Date('2025-12-04T08:00:00Z'), end: new Date('2025-12-04T09:30:00Z'), subject: 'SNT', summary: 'Internet', description: '' },
  ],
};

describe('cahier de textes → Common Cartridge', () => {
  const ics = writeICalendar(cahier);

  it('reads sessions and homework back from the iCalendar', () => {
    const r = readCahierFromICalendar(ics);
    expect(r.title).toBe(cahier.title);
    expect(r.sessions.map((s) => [s.uid, s.subject, s.summary, s.start?.toISOString()])).toEqual([
      ['s1@ent-a', 'Physique-Chimie', "Chapitre 1 ; l'Univers <échelles>", '2025-09-02T06:00:00.000Z'],
      ['s2@ent-a', 'SNT', 'Internet', '2025-12-04T08:00:00.000Z'],
    ]);
    expect(r.homework).toEqual([
      expect.objectContaining({ uid: 'h1@ent-a', sessionUid: 's1@ent-a', text: 'Exercices 12 et 14 p. 23.', subject: 'Physique-Chimie' }),
    ]);
  });

  it('makes one page per session, grouped by discipline, plus the homework list, dates in French (Paris time)', () => {
    const { course, losses } = cahierToCcWebContent(ics);
    expect(course.sections.map((s) => [s.title, s.items.map((i) => i.title)])).toEqual([
      ['Physique-Chimie', ["02/09/2025 — Chapitre 1 ; l'Univers <échelles>"]],
      ['SNT', ['04/12/2025 — Internet']],
      ['Travail à faire', ['Travail à faire (par date)']],
    ]);
    const page = course.sections[0].items[0] as { html: string };
    expect(page.html).toContain('mardi 2 septembre 2025, 08:00 – 09:00');
    expect(page.html).toContain('&lt;échelles&gt;');
    expect(page.html).toContain('Correction en classe &amp; notes.');
    expect(page.html).toContain('pour le mardi 9 septembre 2025');
    expect((course.sections[1].items[0] as { html: string }).html).toContain('jeudi 4 décembre 2025, 09:00 – 10:30');
    expect(losses.map((l) => l.code)).toEqual(['ICAL_CALENDAR_STRUCTURE_LOST']);
  });

  it('gives a course the CC writer packages (1.3)', async () => {
    const zip = await writeCommonCartridge(cahierToCcWebContent(ics).course, { version: '1.3' });
    const summary = await readCommonCartridgeManifest(zip);
    expect(summary).toMatchObject({ version: '1.3', title: cahier.title, itemCount: 3, missingFiles: [] });
    expect(await writeCommonCartridge(cahierToCcWebContent(ics).course, { version: '1.3' })).toEqual(zip);
  });

  it('reads TZID and DATE values, and reports recurrences and alarms as not kept', () => {
    const text = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//FR',
      'BEGIN:VEVENT',
      'UID:r1',
      'DTSTART;TZID=Europe/Paris:20250915T081000',
      'DTEND;TZID=Europe/Paris:20250915T090500',
      'RRULE:FREQ=WEEKLY;COUNT=10',
      'SUMMARY:Cours hebdomadaire',
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      'TRIGGER:-PT10M',
      'END:VALARM',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:r2',
      'DTSTART;VALUE=DATE:20251010',
      'SUMMARY:Sortie',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const r = readCahierFromICalendar(text);
    expect(r.sessions[0].start?.toISOString()).toBe('2025-09-15T06:10:00.000Z');
    expect(r.sessions[1]).toMatchObject({ allDay: true });
    expect(frenchSessionDate(r.sessions[1])).toBe('vendredi 10 octobre 2025');
    expect(r.notKept).toEqual(['rappels (VALARM)', 'récurrence (RRULE) non dépliée']);
    expect(icalDate({ name: 'DTSTART', params: { TZID: 'Europe/Paris' }, value: '20260115T100000' })?.date.toISOString()).toBe('2026-01-15T09:00:00.000Z');
  });

  it('refuses what is not a calendar', () => {
    expect(() => readCahierFromICalendar('BEGIN:VCARD\r\nEND:VCARD\r\n')).toThrow(/not an iCalendar/);
  });
});
