import { FormatError } from '../errors';
import { CahierDeTextes, parseICalendar, unescapeIcalText, writeICalendar, foldIcalLine } from './icalendar';

const cahier: CahierDeTextes = {
  title: 'Cahier de textes 2nde 3 — 2025-2026',
  sessions: [
    {
      uid: 's1@ent-a',
      start: new Date('2025-09-02T06:00:00Z'),
      end: new Date('2025-09-02T07:00:00Z'),
      subject: 'Physique-Chimie',
      summary: 'Chapitre 1 ; l\'Univers, les échelles',
      description: 'Activité 1 : ordres de grandeur, puissances de 10.\nCorrection en classe; notes\\remarques, etc. ' + 'é'.repeat(60),
      homework: { uid: 'h1@ent-a', due: new Date('2025-09-09T06:00:00Z'), text: 'Exercices 12, 14 et 17 p. 23 ; apprendre le cours.' },
    },
    {
      uid: 's2@ent-a',
      start: new Date('2025-09-04T08:00:00Z'),
      end: new Date('2025-09-04T09:30:00Z'),
      subject: 'Physique-Chimie',
      summary: 'TP : mesurer une distance par parallaxe',
      description: 'TP en demi-groupe.',
    },
  ],
};

describe('writeICalendar', () => {
  const ics = writeICalendar(cahier);

  it('uses CRLF line ends only and folds lines at 75 octets without cutting characters', () => {
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = ics.split('\r\n').slice(0, -1);
    for (const line of lines) {
      expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
      // every physical line is valid UTF-8 on its own
      expect(Buffer.from(Buffer.from(line, 'utf8').toString('utf8'), 'utf8').toString('utf8')).not.toContain('\uFFFD');
    }
    expect(lines.some((l) => l.startsWith(' '))).toBe(true);
  });

  it('has the calendar envelope, one VEVENT per session and one VTODO per homework', () => {
    const cal = parseICalendar(ics);
    expect(cal.type).toBe('VCALENDAR');
    const prop = (c: typeof cal, n: string) => c.properties.find((p) => p.name === n)?.value;
    expect(prop(cal, 'VERSION')).toBe('2.0');
    expect(prop(cal, 'PRODID')).toMatch(/^-\/\/.+\/\/FR$/);
    expect(unescapeIcalText(prop(cal, 'X-WR-CALNAME')!)).toBe(cahier.title);
    const events = cal.components.filter((c) => c.type === 'VEVENT');
    const todos = cal.components.filter((c) => c.type === 'VTODO');
    expect(events).toHaveLength(2);
    expect(todos).toHaveLength(1);
    expect(prop(events[0], 'DTSTART')).toBe('20250902T060000Z');
    expect(prop(events[0], 'DTEND')).toBe('20250902T070000Z');
    expect(prop(events[0], 'DTSTAMP')).toBe('20250904T093000Z');
    expect(unescapeIcalText(prop(events[0], 'SUMMARY')!)).toBe(cahier.sessions[0].summary);
    expect(unescapeIcalText(prop(events[0], 'DESCRIPTION')!)).toBe(cahier.sessions[0].description);
    expect(prop(todos[0], 'DUE')).toBe('20250909T060000Z');
    expect(prop(todos[0], 'RELATED-TO')).toBe('s1@ent-a');
    expect(unescapeIcalText(prop(todos[0], 'DESCRIPTION')!)).toBe(cahier.sessions[0].homework!.text);
  });

  it('escapes backslash, semicolon, comma and newlines in TEXT values', () => {
    const unfolded = ics.replace(/\r\n /g, '');
    expect(unfolded).toContain('SUMMARY:Chapitre 1 \\; l\'Univers\\, les échelles');
    expect(unfolded).toContain('puissances de 10.\\nCorrection en classe\\; notes\\\\remarques\\, etc.');
  });

  it('is deterministic and refuses duplicate UIDs', () => {
    expect(writeICalendar(cahier)).toBe(ics);
    const dup = { ...cahier, sessions: [cahier.sessions[1], { ...cahier.sessions[1] }] };
    expect(() => writeICalendar(dup)).toThrow(FormatError);
  });
});

describe('foldIcalLine', () => {
  it('folds a 4-byte character sequence at character boundaries', () => {
    const folded = foldIcalLine('DESCRIPTION:' + '😀'.repeat(40));
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(75);
    expect(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe('DESCRIPTION:' + '😀'.repeat(40));
  });
});
