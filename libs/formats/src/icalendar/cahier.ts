/**
 * Cahier de textes: iCalendar (RFC 5545) → the sessions and homework it
 * holds → a Common Cartridge course of web pages (for an ENT that imports
 * cartridges but has no cahier de textes import).
 *
 * - `readCahierFromICalendar`: VEVENT = session (SUMMARY, DESCRIPTION,
 *   CATEGORIES = discipline, DTSTART/DTEND in UTC, with a TZID or as DATE),
 *   VTODO = homework (DUE, DESCRIPTION, RELATED-TO its session).
 * - `cahierToCcWebContent`: one section per discipline, one page per session
 *   (date and times written out in French, Europe/Paris, description, the
 *   homework given that day), and a last section « Travail à faire » listing
 *   every homework by due date. The course goes to `writeCommonCartridge`.
 *
 * Loss code `ICAL_CALENDAR_STRUCTURE_LOST`: dates become text in pages; the
 * calendar (times as data, recurrence rules, alarms, attendees) is not kept.
 */
import { FormatError } from '../errors';
import type { CcCourse, CcItem, CcSection } from '../commoncartridge/cc-types';
import { escapeXmlText } from '../xml/xml-escape';
import { IcalComponent, IcalProperty, parseICalendar, unescapeIcalText } from './icalendar';

export interface ReadCahierSession {
  uid: string;
  start?: Date;
  end?: Date;
  /** Whole-day session (DTSTART;VALUE=DATE). */
  allDay: boolean;
  subject: string;
  summary: string;
  description: string;
}

export interface ReadCahierHomework {
  uid: string;
  due?: Date;
  summary: string;
  text: string;
  subject: string;
  /** UID of the session the homework was given in. */
  sessionUid?: string;
}

export interface ReadCahier {
  title: string;
  sessions: ReadCahierSession[];
  homework: ReadCahierHomework[];
  /** What the reading could not keep (recurrences, alarms…), for the loss report. */
  notKept: string[];
}

export const ICAL_TO_CC_LOSS = {
  code: 'ICAL_CALENDAR_STRUCTURE_LOST',
  message:
    'Le cahier de textes devient une suite de pages web : les séances et le travail à faire gardent leur texte et leur date écrite, mais ne sont plus placés dans un calendrier.',
} as const;

const TZ = 'Europe/Paris';

function prop(c: IcalComponent, name: string): IcalProperty | undefined {
  return c.properties.find((p) => p.name === name);
}

function text(c: IcalComponent, name: string): string {
  const p = prop(c, name);
  return p ? unescapeIcalText(p.value) : '';
}

/** Offset (minutes) of a time zone at a UTC instant, from Intl. */
function tzOffsetMinutes(timeZone: string, utc: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utc));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - utc) / 60000);
}

/** DATE-TIME (UTC `Z`, floating, or with TZID) or DATE → instant; `allDay` for DATE values. */
export function icalDate(p: IcalProperty | undefined): { date: Date; allDay: boolean } | undefined {
  if (!p) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(p.value.trim());
  if (!m) throw new FormatError('INVALID_INPUT', `not an iCalendar date: ${p.name}:${p.value}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  if (m[4] === undefined) return { date: new Date(Date.UTC(y, mo, d)), allDay: true };
  const local = Date.UTC(y, mo, d, Number(m[4]), Number(m[5]), Number(m[6]));
  if (m[7]) return { date: new Date(local), allDay: false };
  let tz = (p.params.TZID ?? TZ).replace(/^"|"$/g, '');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    tz = TZ; // unknown TZID (custom VTIMEZONE names): the ENTs are in metropolitan France
  }
  // two passes: the offset at the local time read as UTC, then at the corrected instant
  let utc = local - tzOffsetMinutes(tz, local) * 60000;
  utc = local - tzOffsetMinutes(tz, utc) * 60000;
  return { date: new Date(utc), allDay: false };
}

export function readCahierFromICalendar(ical: string | Buffer): ReadCahier {
  const root = parseICalendar(typeof ical === 'string' ? ical : ical.toString('utf8'));
  if (root.type !== 'VCALENDAR') throw new FormatError('INVALID_INPUT', `not an iCalendar object: BEGIN:${root.type}`);
  const notKept = new Set<string>();
  const sessions: ReadCahierSession[] = [];
  const homework: ReadCahierHomework[] = [];
  root.components.forEach((c, i) => {
    const uid = text(c, 'UID') || `${c.type.toLowerCase()}-${i + 1}`;
    if (c.components.some((x) => x.type === 'VALARM')) notKept.add('rappels (VALARM)');
    for (const p of ['RRULE', 'RDATE', 'EXDATE']) if (prop(c, p)) notKept.add(`récurrence (${p}) non dépliée`);
    if (prop(c, 'ATTENDEE') || prop(c, 'ORGANIZER')) notKept.add('participants (ATTENDEE, ORGANIZER)');
    if (prop(c, 'ATTACH')) notKept.add('pièces jointes référencées (ATTACH)');
    const subject = text(c, 'CATEGORIES').split(',')[0]?.trim() || 'Sans discipline';
    if (c.type === 'VEVENT') {
      const start = icalDate(prop(c, 'DTSTART'));
      const end = icalDate(prop(c, 'DTEND'));
      sessions.push({
        uid,
        start: start?.date,
        end: end?.date,
        allDay: start?.allDay ?? false,
        subject,
        summary: text(c, 'SUMMARY'),
        description: text(c, 'DESCRIPTION'),
      });
    } else if (c.type === 'VTODO') {
      homework.push({
        uid,
        due: icalDate(prop(c, 'DUE'))?.date,
        summary: text(c, 'SUMMARY'),
        text: text(c, 'DESCRIPTION'),
        subject,
        sessionUid: prop(c, 'RELATED-TO')?.value.trim() || undefined,
      });
    } else if (c.type !== 'VTIMEZONE') notKept.add(`composants ${c.type}`);
  });
  const byTime = (a?: Date, b?: Date) => (a?.getTime() ?? Infinity) - (b?.getTime() ?? Infinity);
  sessions.sort((a, b) => byTime(a.start, b.start) || (a.uid < b.uid ? -1 : 1));
  homework.sort((a, b) => byTime(a.due, b.due) || (a.uid < b.uid ? -1 : 1));
  return { title: text(root, 'X-WR-CALNAME') || 'Cahier de textes', sessions, homework, notKept: [...notKept].sort() };
}

const fmt = (opts: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('fr-FR', { timeZone: TZ, ...opts });
const DAY = fmt({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const TIME = fmt({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** « mardi 2 septembre 2025, 08:00 – 09:00 » (Europe/Paris). */
export function frenchSessionDate(s: { start?: Date; end?: Date; allDay?: boolean }): string {
  if (!s.start) return 'date non précisée';
  if (s.allDay) return DAY.format(s.start);
  return `${DAY.format(s.start)}, ${TIME.format(s.start)}${s.end ? ` – ${TIME.format(s.end)}` : ''}`;
}

const html = (s: string) => escapeXmlText(s).replace(/\r\n|\r|\n/g, '<br/>');

function homeworkHtml(h: ReadCahierHomework): string {
  const due = h.due ? `pour le ${DAY.format(h.due)}` : 'sans date';
  return `<strong>${html(due)}</strong> — ${html(h.text || h.summary)}`;
}

export interface CahierCcResult {
  course: CcCourse;
  losses: { code: string; message: string; details: string[] }[];
}

/** iCalendar cahier de textes → Common Cartridge course (pages), for `writeCommonCartridge`. */
export function cahierToCcWebContent(ical: string | Buffer, opts: { identifier?: string; author?: string } = {}): CahierCcResult {
  const cahier = readCahierFromICalendar(ical);
  const bySubject = new Map<string, CcItem[]>();
  const given = new Map<string, ReadCahierHomework[]>();
  for (const h of cahier.homework) if (h.sessionUid) given.set(h.sessionUid, [...(given.get(h.sessionUid) ?? []), h]);
  cahier.sessions.forEach((s, i) => {
    const hw = given.get(s.uid) ?? [];
    const parts = [
      `<h1>${html(s.summary || 'Séance')}</h1>`,
      `<p class="date">${html(frenchSessionDate(s))} — ${html(s.subject)}</p>`,
      s.description ? `<div class="contenu"><p>${html(s.description)}</p></div>` : '',
      hw.length > 0 ? `<h2>Travail à faire</h2><ul>${hw.map((h) => `<li>${homeworkHtml(h)}</li>`).join('')}</ul>` : '',
    ].filter(Boolean);
    const day = s.start ? new Intl.DateTimeFormat('fr-FR', { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric' }).format(s.start) : '';
    const item: CcItem = { kind: 'page', key: `seance-${i + 1}`, title: `${day ? `${day} — ` : ''}${s.summary || 'Séance'}`, html: parts.join('\n') };
    bySubject.set(s.subject, [...(bySubject.get(s.subject) ?? []), item]);
  });
  const sections: CcSection[] = [...bySubject.entries()].map(([title, items]) => ({ title, items }));
  if (cahier.homework.length > 0) {
    const lines = cahier.homework.map((h) => `<li><strong>${html(h.subject)}</strong> — ${homeworkHtml(h)}</li>`);
    sections.push({
      title: 'Travail à faire',
      items: [{ kind: 'page', key: 'travail-a-faire', title: 'Travail à faire (par date)', html: `<h1>Travail à faire</h1>\n<ul>${lines.join('')}</ul>` }],
    });
  }
  const dates = [...cahier.sessions.flatMap((s) => [s.start, s.end]), ...cahier.homework.map((h) => h.due)].filter((d): d is Date => !!d);
  const updatedAt = dates.length > 0 ? new Date(Math.max(...dates.map((d) => d.getTime()))) : new Date(0);
  const course: CcCourse = {
    identifier: opts.identifier ?? `cahier-de-textes-${cahier.sessions[0]?.uid ?? 'vide'}`.replace(/[^A-Za-z0-9._-]/g, '_'),
    title: cahier.title,
    language: 'fr',
    description: `Cahier de textes : ${cahier.sessions.length} séance(s), ${cahier.homework.length} travail(aux) à faire.`,
    ...(opts.author ? { author: opts.author } : {}),
    updatedAt,
    sections,
  };
  const details = [
    `${cahier.sessions.length} séance(s) et ${cahier.homework.length} travail(aux) à faire écrits en pages web (dates en texte, fuseau Europe/Paris)`,
    ...cahier.notKept,
  ];
  return { course, losses: [{ ...ICAL_TO_CC_LOSS, details }] };
}
