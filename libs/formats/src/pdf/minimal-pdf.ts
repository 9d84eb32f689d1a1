import { createHash } from 'node:crypto';
import { FormatError } from '../errors';

export const PDF_MEDIA_TYPE = 'application/pdf';

/** Unicode → WinAnsiEncoding for the characters outside Latin-1 that it has (PDF 1.7 Annex D). */
const WIN_ANSI_EXTRA: Record<string, number> = {
  '€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89,
  'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95,
  '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
};

/** Encodes text for a Helvetica/WinAnsi literal string: `\ ( )` escaped, unknown characters as `?`. */
function winAnsiLiteral(text: string): Buffer {
  const bytes: number[] = [];
  for (const ch of text.normalize('NFC')) {
    const cp = ch.codePointAt(0)!;
    let b: number;
    if (WIN_ANSI_EXTRA[ch] !== undefined) b = WIN_ANSI_EXTRA[ch];
    else if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) b = cp;
    else if (cp === 0x09) b = 0x20;
    else b = 0x3f; // '?'
    if (b === 0x5c || b === 0x28 || b === 0x29) bytes.push(0x5c);
    bytes.push(b);
  }
  return Buffer.from(bytes);
}

/** PDF text string for the Info dictionary: UTF-16BE with BOM, hex-encoded (any Unicode). */
function utf16Hex(text: string): string {
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) {
    be[i] = le[i + 1];
    be[i + 1] = le[i];
  }
  return `<FEFF${be.toString('hex').toUpperCase()}>`;
}

/** Approximate wrap for Helvetica 11 pt on an A4 page with 56 pt margins. */
function wrap(line: string, max: number): string[] {
  if (line.length <= max) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current === '') current = word;
    else if (current.length + 1 + word.length <= max) current += ' ' + word;
    else {
      out.push(current);
      current = word;
    }
    while (current.length > max) {
      out.push(current.slice(0, max));
      current = current.slice(max);
    }
  }
  out.push(current);
  return out;
}

const PAGE_WIDTH = 595; // A4
const PAGE_HEIGHT = 842;
const MARGIN = 56;
const TITLE_SIZE = 16;
const BODY_SIZE = 11;
const LEADING = 15;
const WRAP_AT = 90;

/**
 * A one-page PDF 1.4: the title in Helvetica-Bold, the lines in Helvetica
 * (WinAnsiEncoding, so French accents print), exact cross-reference offsets.
 * Deterministic (no date, fixed /ID). Throws if the lines do not fit on a page.
 */
export function writeMinimalPdf(title: string, lines: string[]): Buffer {
  if (typeof title !== 'string') throw new FormatError('INVALID_INPUT', 'title is required');
  const body = lines.flatMap((l) => wrap(l.replace(/\r?\n/g, ' '), WRAP_AT));
  const maxLines = Math.floor((PAGE_HEIGHT - 2 * MARGIN - TITLE_SIZE - LEADING) / LEADING);
  if (body.length > maxLines) {
    throw new FormatError('INVALID_INPUT', `text needs ${body.length} lines, one page holds ${maxLines}`);
  }

  const content: Buffer[] = [];
  const push = (s: string | Buffer) => content.push(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  push(`BT\n/F2 ${TITLE_SIZE} Tf\n${MARGIN} ${PAGE_HEIGHT - MARGIN - TITLE_SIZE} Td\n(`);
  push(winAnsiLiteral(title));
  push(`) Tj\n/F1 ${BODY_SIZE} Tf\n${LEADING} TL\n0 ${-LEADING * 2} Td\n`);
  for (const line of body) {
    push('(');
    push(winAnsiLiteral(line));
    push(") Tj T*\n");
  }
  push('ET\n');
  const stream = Buffer.concat(content);

  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 'latin1'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
        '/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>',
      'latin1',
    ),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>', 'latin1'),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>', 'latin1'),
    Buffer.concat([
      Buffer.from(`<< /Length ${stream.length} >>\nstream\n`, 'latin1'),
      stream,
      Buffer.from('\nendstream', 'latin1'),
    ]),
    Buffer.from(`<< /Title ${utf16Hex(title)} /Producer (ent-formats minimal PDF writer) >>`, 'latin1'),
  ];

  return assemble(objects, 7);
}

/** Numbers the objects from 1 (object 1 is the catalog), writes the exact cross-reference table and the trailer. */
function assemble(objects: Buffer[], infoObject: number): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n', 'latin1')];
  let offset = parts[0].length;
  const offsets: number[] = [];
  objects.forEach((obj, i) => {
    offsets.push(offset);
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), obj, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(chunk);
    offset += chunk.length;
  });
  const xrefOffset = offset;
  let xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offsets) xref += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  // /ID from the content itself keeps the output deterministic.
  const id = createHash('md5').update(Buffer.concat(parts)).digest('hex').toUpperCase();
  xref +=
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${infoObject} 0 R /ID [<${id}> <${id}>] >>\n` +
    `startxref\n${xrefOffset}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

const FONTS = [
  Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>', 'latin1'),
  Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>', 'latin1'),
];

export interface PdfBlock {
  text: string;
  bold?: boolean;
  /** Space before the block, in lines (a new section). */
  spaceBefore?: number;
}

/**
 * A text document of any length on A4 pages: the title in Helvetica-Bold, then each block (bold
 * or not) wrapped, flowing onto new pages as needed. The standard fonts with WinAnsiEncoding
 * print every French letter (é, à, ç, œ, «, », ’, €); a character they lack prints as `?`.
 * Deterministic (no date, /ID from the content).
 */
export function writeDocumentPdf(title: string, blocks: PdfBlock[]): Buffer {
  if (typeof title !== 'string') throw new FormatError('INVALID_INPUT', 'title is required');
  type Line = { text: string; bold: boolean; gap: number };
  const lines: Line[] = blocks.flatMap((b) =>
    b.text.split(/\r?\n/).flatMap((l, i) => wrap(l, WRAP_AT).map((w, j) => ({ text: w, bold: !!b.bold, gap: i === 0 && j === 0 ? (b.spaceBefore ?? 0) : 0 }))),
  );
  const perPage = Math.floor((PAGE_HEIGHT - 2 * MARGIN) / LEADING);
  const pages: Line[][] = [[]];
  let used = 2; // the title takes two lines on the first page
  for (const line of lines) {
    const need = 1 + line.gap;
    if (used + need > perPage) {
      pages.push([]);
      used = 0;
      line.gap = 0;
    }
    pages[pages.length - 1].push(line);
    used += 1 + line.gap;
  }
  const firstPage = 6;
  const contents = pages.map((page, n) => {
    const out: Buffer[] = [];
    const push = (x: string | Buffer) => out.push(typeof x === 'string' ? Buffer.from(x, 'latin1') : x);
    push(`BT\n${LEADING} TL\n${MARGIN} ${PAGE_HEIGHT - MARGIN - TITLE_SIZE} Td\n`);
    if (n === 0) {
      push(`/F2 ${TITLE_SIZE} Tf\n(`);
      push(winAnsiLiteral(title));
      push(`) Tj\n0 ${-LEADING * 2} Td\n`);
    }
    let font = '';
    for (const line of page) {
      const f = line.bold ? 'F2' : 'F1';
      if (f !== font) push(`/${f} ${BODY_SIZE} Tf\n`);
      font = f;
      for (let g = 0; g < line.gap; g++) push('T*\n');
      push('(');
      push(winAnsiLiteral(line.text));
      push(') Tj T*\n');
    }
    push('ET\n');
    return Buffer.concat(out);
  });
  const kids = pages.map((_, n) => `${firstPage + 2 * n} 0 R`).join(' ');
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'),
    Buffer.from(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`, 'latin1'),
    ...FONTS,
    Buffer.from(`<< /Title ${utf16Hex(title)} /Producer (ent-formats document PDF writer) >>`, 'latin1'),
    ...contents.flatMap((stream, n) => [
      Buffer.from(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${firstPage + 2 * n + 1} 0 R >>`,
        'latin1',
      ),
      Buffer.concat([Buffer.from(`<< /Length ${stream.length} >>\nstream\n`, 'latin1'), stream, Buffer.from('\nendstream', 'latin1')]),
    ]),
  ];
  return assemble(objects, 5);
}
