/**
 * vCard (RFC 6350, version 4.0; reads 3.0 and 2.1 too): contacts moving
 * between ENT address books, and the `entity` of LOM contributions.
 *
 * Writing: CRLF line ends, lines folded at 75 octets (never inside a UTF-8
 * sequence), TEXT values escaped (`\\`, `\n`, `,`, `;`), structured values
 * (N, ADR, ORG) with their `;` separated components. Deterministic.
 *
 * Reading: several cards per file, unfolding (CRLF or LF followed by a space
 * or a tab), property groups (`item1.EMAIL`), case-insensitive names,
 * parameters with quoted or comma-separated values, TEXT unescaping, and the
 * 2.1 `ENCODING=QUOTED-PRINTABLE` (with `CHARSET`) and 3.0 `ENCODING=b`
 * forms. Unknown properties are kept as they are.
 */
import { FormatError } from '../errors';

export interface VcardProperty {
  group?: string;
  /** Upper case. */
  name: string;
  /** Parameter names upper case; values as written (unquoted, split on commas). */
  params: Record<string, string[]>;
  /** Raw value (escapes not decoded, except QP/base64 transfer encodings). */
  value: string;
}

export interface VcardName {
  family: string[];
  given: string[];
  additional: string[];
  prefixes: string[];
  suffixes: string[];
}

export interface VcardAddress {
  poBox: string;
  extended: string;
  street: string;
  locality: string;
  region: string;
  postalCode: string;
  country: string;
  types: string[];
}

export interface VcardTyped {
  value: string;
  types: string[];
}

export interface Vcard {
  version: string;
  /** Formatted name (FN), required by RFC 6350. */
  fn: string;
  n?: VcardName;
  /** ORG components: organisation, then units. */
  org?: string[];
  title?: string;
  role?: string;
  emails: VcardTyped[];
  tels: VcardTyped[];
  adrs: VcardAddress[];
  urls: string[];
  note?: string;
  uid?: string;
  kind?: string;
  nicknames: string[];
  categories: string[];
  bday?: string;
  rev?: string;
  /** Every other property, kept as read (written back after the known ones). */
  extra: VcardProperty[];
}

export const VCARD_MEDIA_TYPE = 'text/vcard';
const CRLF = '\r\n';

/** RFC 6350 §3.4 TEXT escaping (component separators too, for structured values). */
export function escapeVcardText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/;/g, '\\;').replace(/\r\n|\r|\n/g, '\\n');
}

export function unescapeVcardText(value: string): string {
  return value.replace(/\\([\\,;nN:])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** Splits on a separator not preceded by a backslash escape. */
function splitUnescaped(value: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      cur += ch + value[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** RFC 6350 §3.2: lines of at most 75 octets, continuation lines start with one space. */
export function foldVcardLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= 75) return line;
  const parts: string[] = [];
  let cur = '';
  let bytes = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > 75) {
      parts.push(cur);
      cur = ' ';
      bytes = 1;
    }
    cur += ch;
    bytes += n;
  }
  parts.push(cur);
  return parts.join(CRLF);
}

function assertOneLine(value: string, what: string): void {
  if (/[\r\n]/.test(value)) throw new FormatError('INVALID_INPUT', `${what} must be one line`);
}

function paramString(params: Record<string, string[]>): string {
  return Object.entries(params)
    .filter(([, v]) => v.length > 0)
    .map(([k, v]) => {
      for (const x of v) assertOneLine(x, `parameter ${k}`);
      const vals = v.map((x) => (/[;:,"]/.test(x) ? `"${x.replace(/"/g, "'")}"` : x));
      return `;${k.toUpperCase()}=${vals.join(',')}`;
    })
    .join('');
}

/** Empty card with the required FN. */
export function vcard(fn: string, init: Partial<Vcard> = {}): Vcard {
  return { version: '4.0', fn, emails: [], tels: [], adrs: [], urls: [], nicknames: [], categories: [], extra: [], ...init };
}

/** Writes one or more cards (RFC 6350 4.0 by default; `version: '3.0'` also supported). */
export function writeVcard(cards: Vcard | Vcard[], opts: { version?: '4.0' | '3.0' } = {}): string {
  const list = Array.isArray(cards) ? cards : [cards];
  const version = opts.version ?? '4.0';
  const lines: string[] = [];
  const comp = (xs: string[] | undefined) => (xs ?? []).map(escapeVcardText).join(',');
  for (const [i, c] of list.entries()) {
    if (!c || typeof c.fn !== 'string' || c.fn.trim() === '') throw new FormatError('INVALID_INPUT', `cards[${i}].fn is required`);
    const typeParam = (types: string[]): Record<string, string[]> => (types.length > 0 ? { TYPE: types.map((t) => t.toLowerCase()) } : {});
    lines.push('BEGIN:VCARD', `VERSION:${version}`);
    if (c.kind && version === '4.0') lines.push(`KIND:${escapeVcardText(c.kind)}`);
    lines.push(`FN:${escapeVcardText(c.fn)}`);
    if (c.n) {
      lines.push(`N:${[c.n.family, c.n.given, c.n.additional, c.n.prefixes, c.n.suffixes].map(comp).join(';')}`);
    } else if (version === '3.0') {
      lines.push('N:;;;;'); // required in 3.0
    }
    for (const nick of c.nicknames) lines.push(`NICKNAME:${escapeVcardText(nick)}`);
    if (c.bday) lines.push(`BDAY:${escapeVcardText(c.bday)}`);
    for (const a of c.adrs) {
      const v = [a.poBox, a.extended, a.street, a.locality, a.region, a.postalCode, a.country].map((x) => escapeVcardText(x ?? '')).join(';');
      lines.push(`ADR${paramString(typeParam(a.types))}:${v}`);
    }
    for (const t of c.tels) {
      assertOneLine(t.value, 'tel');
      const valueParam: Record<string, string[]> = version === '4.0' && /^tel:/i.test(t.value) ? { VALUE: ['uri'] } : {};
      lines.push(`TEL${paramString({ ...valueParam, ...typeParam(t.types) })}:${t.value}`);
    }
    for (const e of c.emails) {
      assertOneLine(e.value, 'email');
      lines.push(`EMAIL${paramString(typeParam(e.types))}:${e.value}`);
    }
    if (c.title) lines.push(`TITLE:${escapeVcardText(c.title)}`);
    if (c.role) lines.push(`ROLE:${escapeVcardText(c.role)}`);
    if (c.org && c.org.length > 0) lines.push(`ORG:${c.org.map(escapeVcardText).join(';')}`);
    if (c.categories.length > 0) lines.push(`CATEGORIES:${c.categories.map(escapeVcardText).join(',')}`);
    if (c.note) lines.push(`NOTE:${escapeVcardText(c.note)}`);
    for (const u of c.urls) {
      assertOneLine(u, 'url');
      lines.push(`URL:${u}`);
    }
    if (c.uid) {
      assertOneLine(c.uid, 'uid');
      lines.push(`UID:${c.uid}`);
    }
    if (c.rev) lines.push(`REV:${c.rev}`);
    for (const p of c.extra) {
      if (['BEGIN', 'END', 'VERSION'].includes(p.name)) continue;
      assertOneLine(p.value, p.name);
      lines.push(`${p.group ? `${p.group}.` : ''}${p.name}${paramString(p.params)}:${p.value}`);
    }
    lines.push('END:VCARD');
  }
  return lines.map(foldVcardLine).join(CRLF) + CRLF;
}

function decodeQuotedPrintable(value: string, charset: string): string {
  const bytes: number[] = [];
  const s = value.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  const buf = Buffer.from(bytes);
  return /^(iso-8859-1|latin1|windows-1252)$/i.test(charset) ? buf.toString('latin1') : buf.toString('utf8');
}

/** Content lines of a vCard text, unfolded (2.1 quoted-printable soft breaks joined too). */
function contentLines(text: string): string[] {
  const raw = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const unfolded = raw.replace(/\n[ \t]/g, '');
  const out: string[] = [];
  for (const line of unfolded.split('\n')) {
    const prev = out[out.length - 1];
    if (prev !== undefined && /ENCODING=QUOTED-PRINTABLE/i.test(prev.split(':')[0]) && prev.endsWith('=')) {
      out[out.length - 1] = prev.slice(0, -1) + line;
    } else if (line.trim() !== '') out.push(line);
  }
  return out;
}

export function parseVcardProperty(line: string): VcardProperty {
  // name and params up to the first colon that is not inside a quoted parameter value
  let inQuote = false;
  let colon = -1;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') inQuote = !inQuote;
    else if (line[i] === ':' && !inQuote) {
      colon = i;
      break;
    }
  }
  if (colon < 0) throw new FormatError('INVALID_INPUT', `not a vCard content line: ${line.slice(0, 80)}`);
  const head = line.slice(0, colon);
  let value = line.slice(colon + 1);
  const parts = splitParams(head);
  const nameWithGroup = parts.shift()!;
  const dot = nameWithGroup.lastIndexOf('.');
  const group = dot >= 0 ? nameWithGroup.slice(0, dot) : undefined;
  const name = (dot >= 0 ? nameWithGroup.slice(dot + 1) : nameWithGroup).toUpperCase();
  if (!/^[A-Z0-9-]+$/.test(name)) throw new FormatError('INVALID_INPUT', `invalid vCard property name: ${nameWithGroup}`);
  const params: Record<string, string[]> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    // vCard 2.1 bare parameters (`TEL;WORK;VOICE:`) are TYPE values
    const k = eq >= 0 ? p.slice(0, eq).toUpperCase() : 'TYPE';
    const v = eq >= 0 ? p.slice(eq + 1) : p;
    const vals = splitUnescaped(v, ',').map((x) => x.replace(/^"|"$/g, ''));
    params[k] = [...(params[k] ?? []), ...vals];
  }
  const enc = (params.ENCODING?.[0] ?? '').toLowerCase();
  if (enc === 'quoted-printable') {
    value = decodeQuotedPrintable(value, params.CHARSET?.[0] ?? 'utf-8');
    delete params.ENCODING;
  } else if (enc === 'b' || enc === 'base64') {
    if (!['PHOTO', 'LOGO', 'SOUND', 'KEY'].includes(name)) {
      value = Buffer.from(value, 'base64').toString('utf8');
      delete params.ENCODING;
    }
  }
  return { ...(group ? { group } : {}), name, params, value };
}

function splitParams(head: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  for (const ch of head) {
    if (ch === '"') inQuote = !inQuote;
    if (ch === ';' && !inQuote) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** TYPE values, lower case; `internet` (3.0 e-mail default) dropped. */
const types = (p: VcardProperty) => (p.params.TYPE ?? []).map((t) => t.toLowerCase()).filter((t) => t !== 'internet');

/** Reads every card of a vCard text (4.0, 3.0 or 2.1). */
export function parseVcard(text: string): Vcard[] {
  const cards: Vcard[] = [];
  let cur: Vcard | undefined;
  for (const line of contentLines(text)) {
    const p = parseVcardProperty(line);
    if (p.name === 'BEGIN') {
      if (p.value.trim().toUpperCase() !== 'VCARD') throw new FormatError('INVALID_INPUT', `BEGIN:${p.value} is not a vCard`);
      if (cur) throw new FormatError('INVALID_INPUT', 'nested BEGIN:VCARD');
      cur = vcard('', { version: '' });
      continue;
    }
    if (!cur) throw new FormatError('INVALID_INPUT', `property outside BEGIN:VCARD … END:VCARD: ${p.name}`);
    const text0 = () => unescapeVcardText(p.value);
    const comps = () => splitUnescaped(p.value, ';').map((c) => splitUnescaped(c, ',').map(unescapeVcardText).filter((x) => x !== ''));
    switch (p.name) {
      case 'END':
        if (!cur.fn) {
          // RFC 6350 requires FN; derive it from N or ORG (older cards omit it)
          const n = cur.n;
          cur.fn = n ? [...n.prefixes, ...n.given, ...n.additional, ...n.family, ...n.suffixes].join(' ').trim() : '';
          if (!cur.fn && cur.org) cur.fn = cur.org[0] ?? '';
        }
        cards.push(cur);
        cur = undefined;
        break;
      case 'VERSION':
        cur.version = p.value.trim();
        break;
      case 'FN':
        cur.fn = text0().trim();
        break;
      case 'N': {
        const c = comps();
        cur.n = { family: c[0] ?? [], given: c[1] ?? [], additional: c[2] ?? [], prefixes: c[3] ?? [], suffixes: c[4] ?? [] };
        break;
      }
      case 'ORG':
        cur.org = splitUnescaped(p.value, ';').map(unescapeVcardText);
        break;
      case 'TITLE':
        cur.title = text0();
        break;
      case 'ROLE':
        cur.role = text0();
        break;
      case 'EMAIL':
        cur.emails.push({ value: p.value.trim(), types: types(p) });
        break;
      case 'TEL':
        cur.tels.push({ value: p.value.trim(), types: types(p) });
        break;
      case 'ADR': {
        const c = splitUnescaped(p.value, ';').map(unescapeVcardText);
        cur.adrs.push({
          poBox: c[0] ?? '',
          extended: c[1] ?? '',
          street: c[2] ?? '',
          locality: c[3] ?? '',
          region: c[4] ?? '',
          postalCode: c[5] ?? '',
          country: c[6] ?? '',
          types: types(p),
        });
        break;
      }
      case 'URL':
        cur.urls.push(p.value.trim());
        break;
      case 'NOTE':
        cur.note = text0();
        break;
      case 'UID':
        cur.uid = p.value.trim();
        break;
      case 'KIND':
        cur.kind = text0().toLowerCase();
        break;
      case 'NICKNAME':
        cur.nicknames.push(...splitUnescaped(p.value, ',').map(unescapeVcardText));
        break;
      case 'CATEGORIES':
        cur.categories.push(...splitUnescaped(p.value, ',').map(unescapeVcardText));
        break;
      case 'BDAY':
        cur.bday = p.value.trim();
        break;
      case 'REV':
        cur.rev = p.value.trim();
        break;
      default:
        cur.extra.push(p);
    }
  }
  if (cur) throw new FormatError('INVALID_INPUT', 'unterminated vCard (no END:VCARD)');
  return cards;
}

/** Display name of a card: FN, else N, else ORG. */
export function vcardDisplayName(c: Vcard): string {
  return c.fn || c.org?.[0] || '';
}
