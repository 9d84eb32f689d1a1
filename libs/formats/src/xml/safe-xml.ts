import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FormatError } from '../errors';

/**
 * A minimal namespace-aware element tree, enough for the readers of this
 * library. Built from fast-xml-parser's ordered output.
 */
export interface XmlElement {
  /** Qualified name as written (`lomimscc:lom`). */
  name: string;
  /** Local name (`lom`). */
  local: string;
  /** Namespace URI resolved from the in-scope `xmlns` declarations ('' if none). */
  ns: string;
  /** Attributes by qualified name, entity references decoded. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside this element. */
  text: string;
}

export interface SafeXmlOptions {
  /** Maximum size of the document in UTF-8 bytes (default 16 MiB). */
  maxBytes?: number;
}

const DEFAULT_MAX_XML_BYTES = 16 * 1024 * 1024;

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references; anything else is an error. */
function decodeEntities(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&([^;\s&]{0,32});/g, (_m, ref: string) => {
    if (ref in PREDEFINED) return PREDEFINED[ref];
    let code: number | undefined;
    if (/^#x[0-9a-fA-F]{1,6}$/.test(ref)) code = parseInt(ref.slice(2), 16);
    else if (/^#[0-9]{1,7}$/.test(ref)) code = parseInt(ref.slice(1), 10);
    if (code === undefined || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new FormatError('XML_FORBIDDEN_CONSTRUCT', `undeclared or invalid entity reference &${ref};`);
    }
    return String.fromCodePoint(code);
  });
}

/**
 * Rejects documents that declare a DTD or entities. Comments and CDATA
 * sections are ignored for the check (an HTML snippet quoted in CDATA may
 * legitimately contain the text `<!DOCTYPE html>`).
 */
function assertNoDtd(text: string): void {
  const scrubbed = text.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<!--[\s\S]*?-->/g, '');
  if (/<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(scrubbed)) {
    throw new FormatError(
      'XML_FORBIDDEN_CONSTRUCT',
      'XML documents with a DOCTYPE or entity declarations are refused (XXE / entity expansion protection)',
    );
  }
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Entities are decoded by decodeEntities() above: only the predefined ones
  // and character references, never anything declared by the document.
  processEntities: false,
  htmlEntities: false,
});

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function build(node: OrderedNode, scope: Map<string, string>): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (!name || name === '#text' || name.startsWith('?')) return null;
  const rawAttrs = node[':@'] ?? {};
  const attrs: Record<string, string> = {};
  let localScope = scope;
  for (const [k, v] of Object.entries(rawAttrs)) {
    const value = decodeEntities(String(v));
    attrs[k] = value;
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (localScope === scope) localScope = new Map(scope);
      localScope.set(k === 'xmlns' ? '' : k.slice(6), value);
    }
  }
  const colon = name.indexOf(':');
  const prefix = colon >= 0 ? name.slice(0, colon) : '';
  const local = colon >= 0 ? name.slice(colon + 1) : name;
  const el: XmlElement = { name, local, ns: localScope.get(prefix) ?? '', attrs, children: [], text: '' };
  const content = node[name];
  if (Array.isArray(content)) {
    for (const child of content as OrderedNode[]) {
      if ('#text' in child) {
        el.text += decodeEntities(String(child['#text']));
        continue;
      }
      const built = build(child, localScope);
      if (built) el.children.push(built);
    }
  }
  return el;
}

/**
 * Parses untrusted XML: bounded size, well-formedness checked, no DTD, no
 * entity other than the XML predefined ones, no external resource ever loaded.
 * Returns the root element.
 */
export function parseXmlSafely(input: string | Buffer, options: SafeXmlOptions = {}): XmlElement {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > maxBytes) throw new FormatError('XML_TOO_LARGE', `XML document is ${size} bytes, limit is ${maxBytes}`);
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  assertNoDtd(text);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new FormatError(
      'XML_MALFORMED',
      `XML is not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  const ordered = parser.parse(text) as OrderedNode[];
  const roots = ordered.map((n) => build(n, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]))).filter(
    (e): e is XmlElement => e !== null,
  );
  if (roots.length !== 1) throw new FormatError('XML_MALFORMED', `expected one root element, found ${roots.length}`);
  return roots[0];
}

/** Children of `el` with this local name (and namespace, when given). */
export function childrenNamed(el: XmlElement, local: string, ns?: string): XmlElement[] {
  return el.children.filter((c) => c.local === local && (ns === undefined || c.ns === ns));
}

export function firstChild(el: XmlElement | undefined, local: string, ns?: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && (ns === undefined || c.ns === ns));
}

/** Depth-first list of all descendants with this local name. */
export function descendantsNamed(el: XmlElement, local: string, ns?: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.local === local && (ns === undefined || c.ns === ns)) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}
