import { FormatError } from '../errors';

export interface CahierHomework {
  uid: string;
  due: Date;
  text: string;
}

export interface CahierSession {
  uid: string;
  start: Date;
  end: Date;
  /** Discipline, e.g. `Physique-Chimie` (written as CATEGORIES). */
  subject: string;
  /** Title of the session (SUMMARY). */
  summary: string;
  description: string;
  homework?: CahierHomework;
}

export interface CahierDeTextes {
  title: string;
  sessions: CahierSession[];
  /**
   * DTSTAMP of every component. Defaults to the latest session end, so the
   * output depends only on the input (no clock read).
   */
  generatedAt?: Date;
}

export const ICAL_MEDIA_TYPE = 'text/calendar';
export const ICAL_PRODID = '-//ENT Portabilite//ent-formats 1.0//FR';

const CRLF = '\r\n';

/** RFC 5545 §3.3.11 TEXT escaping. */
export function escapeIcalText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

export function unescapeIcalText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/**
 * RFC 5545 §3.1 folding: lines of at most 75 octets (excluding CRLF),
 * continuation lines start with one space; never cuts a UTF-8 sequence.
 */
export function foldIcalLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let currentBytes = 0;
  let limit = 75;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (currentBytes + n > limit) {
      parts.push(current);
      current = ' ';
      currentBytes = 1;
      limit = 75;
    }
    current += ch;
    currentBytes += n;
  }
  parts.push(current);
  return parts.join(CRLF);
}

/** UTC DATE-TIME form `20250901T083000Z`. */
export function formatIcalUtc(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new FormatError('INVALID_INPUT', 'invalid date');
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function assertUid(uid: string, where: string): void {
  if (typeof uid !== 'string' || uid.trim() === '' || /[\r\n]/.test(uid)) {
    throw new FormatError('INVALID_INPUT', `${where}.uid is required and must be one line`);
  }
}

/**
 * Writes a cahier de textes as an RFC 5545 iCalendar object: one VEVENT per
 * session (UTC times, discipline as CATEGORIES) and one VTODO per homework
 * (DUE, RELATED-TO the session). CRLF line ends, 75-octet folding, TEXT
 * escaping.
 */
export function writeICalendar(cahier: CahierDeTextes): string {
  if (!cahier || typeof cahier.title !== 'string') throw new FormatError('INVALID_INPUT', 'cahier.title is required');
  const sessions = cahier.sessions ?? [];
  const stamp =
    cahier.generatedAt ??
    (sessions.length > 0 ? new Date(Math.max(...sessions.map((s) => s.end.getTime()))) : new Date(0));
  const dtstamp = formatIcalUtc(stamp);
  const lines: string[] = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${ICAL_PRODID}`,
    'CALSCALE:GREGORIAN',
    `X-WR-CALNAME:${escapeIcalText(cahier.title)}`,
    'X-WR-TIMEZONE:Europe/Paris',
  ];
  const uids = new Set<string>();
  sessions.forEach((s, i) => {
    const where = `sessions[${i}]`;
    assertUid(s.uid, where);
    if (uids.has(s.uid)) throw new FormatError('INVALID_INPUT', `${where}.uid is not unique: ${s.uid}`);
    uids.add(s.uid);
    if (s.end.getTime() < s.start.getTime()) throw new FormatError('INVALID_INPUT', `${where} ends before it starts`);
    lines.push(
      'BEGIN:VEVENT',
      `UID:${s.uid}`,
      `DTSTAMP:${dtstamp}`,
      `DTSTART:${formatIcalUtc(s.start)}`,
      `DTEND:${formatIcalUtc(s.end)}`,
      `SUMMARY:${escapeIcalText(s.summary)}`,
      `DESCRIPTION:${escapeIcalText(s.description)}`,
      `CATEGORIES:${escapeIcalText(s.subject)}`,
      'CLASS:PRIVATE',
      'END:VEVENT',
    );
    if (s.homework) {
      const h = s.homework;
      assertUid(h.uid, `${where}.homework`);
      if (uids.has(h.uid)) throw new FormatError('INVALID_INPUT', `${where}.homework.uid is not unique: ${h.uid}`);
      uids.add(h.uid);
      lines.push(
        'BEGIN:VTODO',
        `UID:${h.uid}`,
        `DTSTAMP:${dtstamp}`,
        `DTSTART:${formatIcalUtc(s.end)}`,
        `DUE:${formatIcalUtc(h.due)}`,
        `SUMMARY:${escapeIcalText(`Travail à faire — ${s.subject}`)}`,
        `DESCRIPTION:${escapeIcalText(h.text)}`,
        `CATEGORIES:${escapeIcalText(s.subject)}`,
        `RELATED-TO:${s.uid}`,
        'STATUS:NEEDS-ACTION',
        'END:VTODO',
      );
    }
  });
  lines.push('END:VCALENDAR');
  return lines.map(foldIcalLine).join(CRLF) + CRLF;
}

export interface IcalProperty {
  name: string;
  params: Record<string, string>;
  value: string;
}

export interface IcalComponent {
  type: string;
  properties: IcalProperty[];
  components: IcalComponent[];
}

/** Minimal RFC 5545 reader: unfolds lines and builds the component tree (values left escaped). */
export function parseICalendar(text: string): IcalComponent {
  const unfolded = text.replace(/\r\n[ \t]/g, '').replace(/\n[ \t]/g, '');
  const lines = unfolded.split(/\r?\n/).filter((l) => l !== '');
  const stack: IcalComponent[] = [];
  let root: IcalComponent | undefined;
  for (const line of lines) {
    const m = /^([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$/.exec(line);
    if (!m) throw new FormatError('INVALID_INPUT', `not an iCalendar content line: ${line.slice(0, 80)}`);
    const [, rawName, rawParams, value] = m;
    const name = rawName.toUpperCase();
    if (name === 'BEGIN') {
      const c: IcalComponent = { type: value.toUpperCase(), properties: [], components: [] };
      if (stack.length > 0) stack[stack.length - 1].components.push(c);
      else if (root) throw new FormatError('INVALID_INPUT', 'more than one top-level component');
      else root = c;
      stack.push(c);
    } else if (name === 'END') {
      const c = stack.pop();
      if (!c || c.type !== value.toUpperCase()) throw new FormatError('INVALID_INPUT', `unbalanced END:${value}`);
    } else {
      const current = stack[stack.length - 1];
      if (!current) throw new FormatError('INVALID_INPUT', `property outside any component: ${name}`);
      const params: Record<string, string> = {};
      for (const p of rawParams.split(';').filter(Boolean)) {
        const eq = p.indexOf('=');
        params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1);
      }
      current.properties.push({ name, params, value });
    }
  }
  if (!root || stack.length > 0) throw new FormatError('INVALID_INPUT', 'unterminated iCalendar object');
  return root;
}
