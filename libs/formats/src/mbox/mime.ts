import { FormatError } from '../errors';

/** Helpers for RFC 5322 headers, RFC 2047 encoded-words and RFC 2045 quoted-printable. */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

function assertDate(date: Date, what: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new FormatError('INVALID_INPUT', `${what} is not a valid date`);
}

/** RFC 5322 date-time in UTC: `Mon, 01 Sep 2025 08:30:00 +0000`. */
export function formatRfc5322Date(date: Date): string {
  assertDate(date, 'date');
  return (
    `${DAYS[date.getUTCDay()]}, ${p2(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} +0000`
  );
}

/** asctime(3) form used on mbox `From ` lines, in UTC: `Mon Sep  1 08:30:00 2025`. */
export function formatAsctime(date: Date): string {
  assertDate(date, 'date');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} ${date.getUTCFullYear()}`
  );
}

// eslint-disable-next-line no-control-regex
const NON_ASCII_OR_CTL = /[^\x20-\x7e]/;

export function assertNoLineBreak(value: string, what: string): void {
  if (/[\r\n]/.test(value)) throw new FormatError('INVALID_INPUT', `${what} must not contain a line break`);
}

/**
 * Splits `text` into RFC 2047 `B` encoded-words of at most `maxWordLength`
 * characters each, never cutting a UTF-8 sequence (or a surrogate pair).
 */
export function encodeWords(text: string, firstMaxLength = 75, maxWordLength = 75): string[] {
  const overhead = '=?UTF-8?B??='.length;
  const bytesFor = (len: number) => Math.max(3, Math.floor((len - overhead) / 4) * 3);
  const words: string[] = [];
  let chunk = '';
  let chunkBytes = 0;
  let limit = bytesFor(Math.min(firstMaxLength, maxWordLength));
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (chunkBytes + n > limit && chunk !== '') {
      words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
      chunk = '';
      chunkBytes = 0;
      limit = bytesFor(maxWordLength);
    }
    chunk += ch;
    chunkBytes += n;
  }
  if (chunk !== '' || words.length === 0) words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
  return words;
}

/**
 * An unstructured header field (`Subject`): written as is when it is printable
 * ASCII and short, otherwise as encoded-words folded on several lines.
 * `eol` is the line ending used for folding.
 */
export function formatUnstructuredHeader(name: string, value: string, eol = '\r\n'): string {
  assertNoLineBreak(value, name);
  const prefix = `${name}: `;
  if (!NON_ASCII_OR_CTL.test(value) && !/=\?/.test(value) && prefix.length + value.length <= 78) return prefix + value;
  if (!NON_ASCII_OR_CTL.test(value) && !/=\?/.test(value)) {
    // Long ASCII: fold at spaces (RFC 5322 §2.2.3).
    const words = value.split(' ');
    const lines: string[] = [];
    let line = prefix + words.shift()!;
    for (const w of words) {
      if (line.length + 1 + w.length > 78) {
        lines.push(line);
        line = ' ' + w;
      } else line += ' ' + w;
    }
    lines.push(line);
    return lines.join(eol);
  }
  const words = encodeWords(value, 78 - prefix.length, 75);
  return prefix + words.join(`${eol} `);
}

const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;
const ADDR_SPEC = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

export interface ParsedAddress {
  name?: string;
  address: string;
}

/** Parses `Name <local@domain>` or `local@domain`. */
export function parseAddress(input: string): ParsedAddress {
  assertNoLineBreak(input, 'address');
  const m = /^\s*(?:"?(.*?)"?\s*)<([^<>]+)>\s*$/.exec(input);
  const name = m ? m[1].trim() : undefined;
  const address = (m ? m[2] : input).trim();
  if (!ADDR_SPEC.test(address)) throw new FormatError('INVALID_INPUT', `not an ASCII e-mail address: ${JSON.stringify(address)}`);
  return name ? { name, address } : { address };
}

/** RFC 5322 mailbox with the display name quoted or encoded (RFC 2047 §5(3)) as needed. */
export function formatMailbox(input: string): string {
  const { name, address } = parseAddress(input);
  if (!name) return address;
  let phrase: string;
  if (NON_ASCII_OR_CTL.test(name)) phrase = encodeWords(name).join(' ');
  else if (ATEXT_PHRASE.test(name)) phrase = name;
  else phrase = `"${name.replace(/(["\\])/g, '\\$1')}"`;
  return `${phrase} <${address}>`;
}

/** Address-list header, one mailbox per folded line when it gets long. */
export function formatAddressHeader(name: string, mailboxes: string[], eol = '\r\n'): string {
  if (mailboxes.length === 0) throw new FormatError('INVALID_INPUT', `${name} needs at least one address`);
  const parts = mailboxes.map(formatMailbox);
  let out = `${name}: ${parts[0]}`;
  let lineLength = out.length;
  for (const part of parts.slice(1)) {
    if (lineLength + 2 + part.length > 78) {
      out += `,${eol} ${part}`;
      lineLength = 1 + part.length;
    } else {
      out += `, ${part}`;
      lineLength += 2 + part.length;
    }
  }
  return out;
}

/**
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text. Line breaks of the input
 * become `eol`; encoded lines are at most 76 characters. A line starting with
 * `From ` gets its `F` encoded so that it survives any mbox variant, and a
 * lone `.` is encoded so that SMTP dot-stuffing cannot bite.
 */
export function encodeQuotedPrintable(text: string, eol = '\r\n'): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  return lines
    .map((line) => {
      const bytes = Buffer.from(line, 'utf8');
      const tokens: string[] = [];
      bytes.forEach((b, i) => {
        const last = i === bytes.length - 1;
        const literal =
          (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
        tokens.push(literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`);
      });
      if (line.startsWith('From ')) tokens[0] = '=46';
      if (line === '.') tokens[0] = '=2E';
      const out: string[] = [];
      let current = '';
      for (const t of tokens) {
        if (current.length + t.length > 75) {
          out.push(current + '=');
          current = '';
        }
        current += t;
      }
      out.push(current);
      return out.join(eol);
    })
    .join(eol);
}

export function decodeQuotedPrintable(body: string): Buffer {
  const joined = body.replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset: string): string {
  const cs = charset.toLowerCase();
  if (cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii') return bytes.toString('utf8');
  if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'windows-1252') return bytes.toString('latin1');
  try {
    return new TextDecoder(cs).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Decodes RFC 2047 encoded-words (B and Q); whitespace between adjacent encoded-words is dropped. */
export function decodeEncodedWords(value: string): string {
  const re = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, '$1')
    .replace(re, (_m, charset: string, enc: string, data: string) => {
      const cs = charset.split('*')[0];
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : decodeQuotedPrintable(data.replace(/_/g, ' '));
      return decodeCharset(bytes, cs);
    });
}

export { decodeCharset };
