import { FormatError } from '../errors';
import {
  assertNoLineBreak,
  decodeCharset,
  decodeEncodedWords,
  decodeQuotedPrintable,
  encodeQuotedPrintable,
  formatAddressHeader,
  formatAsctime,
  formatMailbox,
  formatRfc5322Date,
  formatUnstructuredHeader,
  parseAddress,
} from './mime';

export interface MboxMessage {
  /** `Name <address>` or `address`. */
  from: string;
  to: string[];
  subject: string;
  date: Date;
  /** Plain-text body (UTF-8). */
  text: string;
  /** With or without angle brackets. */
  messageId: string;
}

export const MBOX_MEDIA_TYPE = 'application/mbox';

function normaliseMessageId(id: string): string {
  assertNoLineBreak(id, 'messageId');
  const bare = id.trim().replace(/^<|>$/g, '');
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(bare)) {
    throw new FormatError('INVALID_INPUT', `messageId must look like local@domain: ${JSON.stringify(id)}`);
  }
  return `<${bare}>`;
}

/** mboxrd: every line that matches `>*From ` gets one more `>`. */
function escapeFromLines(text: string): string {
  return text.replace(/^(>*From )/gm, '>$1');
}

/**
 * Writes an mbox file in the mboxrd variant (RFC 4155 + the `>From ` quoting
 * that is reversible). Lines end with LF, as in mbox files on disk; each
 * message is an RFC 5322 message with MIME headers: encoded-words for non-ASCII
 * subjects and display names, UTF-8 quoted-printable body.
 */
export function writeMbox(messages: MboxMessage[]): Buffer {
  const eol = '\n';
  const out: string[] = [];
  for (const [i, m] of messages.entries()) {
    const where = `messages[${i}]`;
    if (!m || typeof m.subject !== 'string' || typeof m.text !== 'string') {
      throw new FormatError('INVALID_INPUT', `${where} needs subject and text`);
    }
    if (!Array.isArray(m.to) || m.to.length === 0) throw new FormatError('INVALID_INPUT', `${where}.to is empty`);
    const sender = parseAddress(m.from).address;
    const headers = [
      `From: ${formatMailbox(m.from)}`,
      formatAddressHeader('To', m.to, eol),
      formatUnstructuredHeader('Subject', m.subject, eol),
      `Date: ${formatRfc5322Date(m.date)}`,
      `Message-ID: ${normaliseMessageId(m.messageId)}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
    ];
    const body = encodeQuotedPrintable(m.text, eol);
    const message = `${headers.join(eol)}${eol}${eol}${body}${body.endsWith(eol) ? '' : eol}`;
    out.push(`From ${sender} ${formatAsctime(m.date)}${eol}${escapeFromLines(message)}${eol}`);
  }
  return Buffer.from(out.join(''), 'utf8');
}

export interface ParsedMboxMessage {
  envelopeSender: string;
  envelopeDate: string;
  /** Header fields in order, unfolded, encoded-words decoded. */
  headers: { name: string; value: string }[];
  from: string;
  to: string[];
  subject: string;
  date: Date | undefined;
  messageId: string;
  /** Decoded body text (trailing line break removed). */
  text: string;
}

function header(headers: { name: string; value: string }[], name: string): string | undefined {
  return headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

/** Reads an mboxrd (or mboxo) file: splits on `From ` lines and undoes the `>From ` quoting. */
export function parseMbox(data: Buffer | string): ParsedMboxMessage[] {
  const text = (typeof data === 'string' ? data : data.toString('utf8')).replace(/\r\n/g, '\n');
  if (text.length > 0 && !text.startsWith('From ')) throw new FormatError('INVALID_INPUT', 'an mbox starts with a "From " line');
  const chunks = text.split(/\n(?=From )/);
  const messages: ParsedMboxMessage[] = [];
  for (const chunk of chunks) {
    if (chunk.trim() === '') continue;
    const nl = chunk.indexOf('\n');
    const fromLine = nl >= 0 ? chunk.slice(0, nl) : chunk;
    let raw = nl >= 0 ? chunk.slice(nl + 1) : '';
    raw = raw.replace(/^>(>*From )/gm, '$1');
    // The blank line that separates messages belongs to the mbox, not to the message.
    if (raw.endsWith('\n\n')) raw = raw.slice(0, -1);
    const m = /^From (\S+) (.*)$/.exec(fromLine);
    const sep = raw.indexOf('\n\n');
    const headerBlock = sep >= 0 ? raw.slice(0, sep) : raw;
    let body = sep >= 0 ? raw.slice(sep + 2) : '';
    const headers = headerBlock
      .replace(/\n[ \t]+/g, (s) => ' ' + s.slice(1).replace(/^[ \t]+/, ''))
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => {
        const c = l.indexOf(':');
        return { name: l.slice(0, c).trim(), value: decodeEncodedWords(l.slice(c + 1).trim()) };
      });
    const cte = (header(headers, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
    const charset = /charset="?([^";\s]+)"?/i.exec(header(headers, 'Content-Type') ?? '')?.[1] ?? 'utf-8';
    if (body.endsWith('\n')) body = body.slice(0, -1);
    const bytes =
      cte === 'quoted-printable'
        ? decodeQuotedPrintable(body)
        : cte === 'base64'
          ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
          : Buffer.from(body, 'utf8');
    const dateHeader = header(headers, 'Date');
    const date = dateHeader ? new Date(dateHeader) : undefined;
    messages.push({
      envelopeSender: m?.[1] ?? '',
      envelopeDate: m?.[2] ?? '',
      headers,
      from: header(headers, 'From') ?? '',
      to: (header(headers, 'To') ?? '')
        .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
        .map((s) => s.trim())
        .filter(Boolean),
      subject: header(headers, 'Subject') ?? '',
      date: date && !Number.isNaN(date.getTime()) ? date : undefined,
      messageId: header(headers, 'Message-ID') ?? '',
      text: decodeCharset(bytes, charset),
    });
  }
  return messages;
}
