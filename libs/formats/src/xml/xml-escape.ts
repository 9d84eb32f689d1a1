import { FormatError } from '../errors';

/**
 * Characters that XML 1.0 cannot carry at all (not even as character
 * references): C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE/U+FFFF.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertXmlChars(value: string): void {
  const m = FORBIDDEN_XML_CHARS.exec(value);
  if (m) {
    const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new FormatError('INVALID_INPUT', `character U+${code} cannot be represented in XML 1.0`);
  }
}

/** Escapes text content. `>` is escaped too so that `]]>` can never appear. */
export function escapeXmlText(value: string): string {
  assertXmlChars(value);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes an attribute value for use between double quotes. Tabs and line
 * breaks are written as character references so that attribute-value
 * normalisation does not turn them into spaces.
 */
export function escapeXmlAttr(value: string): string {
  assertXmlChars(value);
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Tiny builder for indented, deterministic XML. */
export class XmlWriter {
  private readonly lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  private depth = 0;

  constructor(private readonly indent = '  ') {}

  private pad(): string {
    return this.indent.repeat(this.depth);
  }

  private static attrs(attrs?: Record<string, string | number | undefined>): string {
    if (!attrs) return '';
    let out = '';
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      out += ` ${k}="${escapeXmlAttr(String(v))}"`;
    }
    return out;
  }

  open(name: string, attrs?: Record<string, string | number | undefined>): this {
    this.lines.push(`${this.pad()}<${name}${XmlWriter.attrs(attrs)}>`);
    this.depth++;
    return this;
  }

  close(name: string): this {
    this.depth--;
    this.lines.push(`${this.pad()}</${name}>`);
    return this;
  }

  /** `<name attrs>text</name>` on one line (text escaped). */
  leaf(name: string, text: string | number, attrs?: Record<string, string | number | undefined>): this {
    this.lines.push(`${this.pad()}<${name}${XmlWriter.attrs(attrs)}>${escapeXmlText(String(text))}</${name}>`);
    return this;
  }

  empty(name: string, attrs?: Record<string, string | number | undefined>): this {
    this.lines.push(`${this.pad()}<${name}${XmlWriter.attrs(attrs)}/>`);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}
