/**
 * Mail between ENTs: an mbox (mboxrd / mboxo) ↔ one RFC 5322 message per
 * `.eml` file. Messages are handled as bytes (8-bit and Latin-1 bodies go
 * through untouched); only the mbox framing changes: the `From ` separator
 * line, the `>From ` quoting (mboxrd, undone and redone), the line ends
 * (`.eml` files use CRLF as RFC 5322 says, an mbox on disk LF).
 *
 * `splitMboxStream` reads an mbox from a stream, one message at a time
 * (bounded memory: the largest message), for large mailboxes.
 */
import type { Readable } from 'node:stream';
import { FormatError } from '../errors';
import { decodeEncodedWords, formatAsctime, parseAddress } from './mime';

export interface RawMessage {
  /** The mbox `From ` line without `From ` (`sender asctime-date`), when read from an mbox. */
  envelope?: string;
  /** RFC 5322 message, CRLF line ends. */
  raw: Buffer;
}

export interface EmlFile {
  name: string;
  data: Buffer;
}

export const EML_MEDIA_TYPE = 'message/rfc822';
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

function isFromLine(line: Buffer): boolean {
  return line.length >= 5 && line.subarray(0, 5).toString('latin1') === 'From ';
}

/** mboxrd: `>From `, `>>From `… lose one `>`. */
function unquote(line: Buffer): Buffer {
  let i = 0;
  while (i < line.length && line[i] === 0x3e) i++;
  if (i > 0 && line.subarray(i, i + 5).toString('latin1') === 'From ') return line.subarray(1);
  return line;
}

/** Incremental mbox parser: feed lines (without their line end), get messages. */
class MboxAssembler {
  private envelope: string | undefined;
  private lines: Buffer[] = [];
  private size = 0;
  private started = false;
  private pendingBlank = 0;

  constructor(private readonly maxMessageBytes: number) {}

  line(line: Buffer): RawMessage | undefined {
    if (isFromLine(line) && (!this.started || this.pendingBlank > 0)) {
      const done = this.started ? this.finish() : undefined;
      this.started = true;
      this.envelope = line.subarray(5).toString('latin1').trim();
      this.lines = [];
      this.size = 0;
      this.pendingBlank = 0;
      return done;
    }
    if (!this.started) {
      if (line.length === 0) return undefined;
      throw new FormatError('INVALID_INPUT', 'an mbox starts with a "From " line');
    }
    // blank lines are held back: the one before the next "From " line belongs to the mbox, not to the message
    if (line.length === 0) {
      this.pendingBlank++;
      return undefined;
    }
    for (; this.pendingBlank > 0; this.pendingBlank--) this.push(Buffer.alloc(0));
    this.push(unquote(line));
    return undefined;
  }

  private push(line: Buffer): void {
    this.size += line.length + 2;
    if (this.size > this.maxMessageBytes) throw new FormatError('INVALID_INPUT', `a message of the mbox exceeds ${this.maxMessageBytes} bytes`);
    this.lines.push(line);
  }

  finish(): RawMessage | undefined {
    if (!this.started) return undefined;
    // keep the blank lines that were inside the message's last part, minus the mbox separator
    for (; this.pendingBlank > 1; this.pendingBlank--) this.push(Buffer.alloc(0));
    this.pendingBlank = 0;
    const parts: Buffer[] = [];
    for (const l of this.lines) parts.push(l, Buffer.from('\r\n'));
    const msg = { envelope: this.envelope, raw: Buffer.concat(parts) };
    this.lines = [];
    this.started = false;
    return msg;
  }
}

function splitLines(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0a) {
      const end = i > start && data[i - 1] === 0x0d ? i - 1 : i;
      out.push(data.subarray(start, end));
      start = i + 1;
    }
  }
  if (start < data.length) out.push(data.subarray(start));
  return out;
}

/** Splits an mbox held in memory. */
export function splitMbox(data: Buffer | string, maxMessageBytes = MAX_MESSAGE_BYTES): RawMessage[] {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const a = new MboxAssembler(maxMessageBytes);
  const out: RawMessage[] = [];
  for (const line of splitLines(buf)) {
    const m = a.line(line);
    if (m) out.push(m);
  }
  const last = a.finish();
  if (last) out.push(last);
  return out;
}

/** Splits an mbox read from a stream, yielding each message as soon as it is complete. */
export async function* splitMboxStream(input: Readable | AsyncIterable<Buffer | string>, maxMessageBytes = MAX_MESSAGE_BYTES): AsyncGenerator<RawMessage> {
  const a = new MboxAssembler(maxMessageBytes);
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const buf = rest.length > 0 ? Buffer.concat([rest, Buffer.from(chunk)]) : Buffer.from(chunk);
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] === 0x0a) {
        const end = i > start && buf[i - 1] === 0x0d ? i - 1 : i;
        const m = a.line(buf.subarray(start, end));
        if (m) yield m;
        start = i + 1;
      }
    }
    rest = buf.subarray(start);
    if (rest.length > maxMessageBytes) throw new FormatError('INVALID_INPUT', `a line of the mbox exceeds ${maxMessageBytes} bytes`);
  }
  if (rest.length > 0) {
    const m = a.line(rest);
    if (m) yield m;
  }
  const last = a.finish();
  if (last) yield last;
}

/** Unfolded header fields of a raw message (values as bytes read in Latin-1, encoded-words decoded). */
export function messageHeaders(raw: Buffer): { name: string; value: string }[] {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  return block
    .split(/\r?\n/)
    .filter((l) => /^[!-9;-~]+:/.test(l))
    .map((l) => {
      const c = l.indexOf(':');
      const value = l.slice(c + 1).trim();
      let decoded = value;
      try {
        decoded = decodeEncodedWords(Buffer.from(value, 'latin1').toString('utf8'));
      } catch {
        decoded = value;
      }
      return { name: l.slice(0, c), value: decoded };
    });
}

function header(raw: Buffer, name: string): string | undefined {
  return messageHeaders(raw).find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

function slug(value: string): string {
  return (
    value
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'message'
  );
}

/** `0001-sujet-du-message.eml` */
export function emlFileName(index: number, raw: Buffer): string {
  return `${String(index + 1).padStart(4, '0')}-${slug(header(raw, 'Subject') ?? '')}.eml`;
}

/** An mbox → one `.eml` file per message (CRLF, `>From ` quoting undone). */
export function mboxToEml(mbox: Buffer | string): EmlFile[] {
  return splitMbox(mbox).map((m, i) => ({ name: emlFileName(i, m.raw), data: m.raw }));
}

/** Normalises a message to CRLF line ends. */
function toCrlf(raw: Buffer): Buffer {
  return Buffer.concat(splitLines(raw).flatMap((l) => [l, Buffer.from('\r\n')]));
}

/** The `From ` line for a message: sender from Return-Path / Sender / From, date from Date (UTC asctime). */
export function envelopeFor(raw: Buffer): string {
  const rp = header(raw, 'Return-Path')?.replace(/[<>]/g, '').trim();
  let sender = rp && rp !== '' ? rp : undefined;
  if (!sender) {
    try {
      sender = parseAddress(header(raw, 'Sender') ?? header(raw, 'From') ?? '').address;
    } catch {
      sender = undefined;
    }
  }
  const date = new Date(header(raw, 'Date') ?? '');
  return `${sender && !/\s/.test(sender) ? sender : 'MAILER-DAEMON'} ${formatAsctime(Number.isNaN(date.getTime()) ? new Date(0) : date)}`;
}

/** One message as an mboxrd entry (LF line ends, `>From ` quoting, blank line after). */
export function mboxEntry(raw: Buffer, envelope?: string): Buffer {
  const lines = splitLines(raw);
  while (lines.length > 0 && lines[lines.length - 1].length === 0) lines.pop();
  const parts: Buffer[] = [Buffer.from(`From ${envelope ?? envelopeFor(raw)}\n`, 'latin1')];
  for (const l of lines) {
    let i = 0;
    while (i < l.length && l[i] === 0x3e) i++;
    if (l.subarray(i, i + 5).toString('latin1') === 'From ') parts.push(Buffer.from('>'));
    parts.push(l, Buffer.from('\n'));
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** Checks that `data` looks like an RFC 5322 message (starts with a header field) and gives it CRLF line ends. */
export function asRfc5322Message(data: Buffer, name?: string): Buffer {
  if (!/^[!-9;-~]+:/.test(data.subarray(0, 1000).toString('latin1'))) {
    throw new FormatError('INVALID_INPUT', `not an RFC 5322 message${name ? `: ${name}` : ''}`);
  }
  return toCrlf(data);
}

/** `.eml` messages → one mboxrd mailbox, in the order given. */
export function emlToMbox(messages: (Buffer | string | EmlFile)[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      if (Buffer.isBuffer(m)) return mboxEntry(asRfc5322Message(m));
      if (typeof m === 'string') return mboxEntry(asRfc5322Message(Buffer.from(m, 'utf8')));
      return mboxEntry(asRfc5322Message(m.data, m.name));
    }),
  );
}
