import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FormatError } from '../errors';
import { decodeXmlBytes } from './xml-decode';

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
  /** Maximum element nesting depth (default 256). */
  maxDepth?: number;
}

const DEFAULT_MAX_XML_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_XML_DEPTH = 256;

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references; anything else is an error. */
function decodeEntities(value: string, where = 'text'): string {
  if (!value.includes('&')) return value;
  return value.replace(/&([^;\s&]{0,32});/g, (_m, ref: string) => {
    if (ref in PREDEFINED) return PREDEFINED[ref];
    let code: number | undefined;
    if (/^#x[0-9a-fA-F]{1,6}$/.test(ref)) code = parseInt(ref.slice(2), 16);
    else if (/^#[0-9]{1,7}$/.test(ref)) code = parseInt(ref.slice(1), 10);
    if (code === undefined || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new FormatError(
        'XML_FORBIDDEN_CONSTRUCT',
        `undeclared or invalid entity reference &${ref}; in ${where} (only the five XML entities and character references are accepted)`,
        'UNDECLARED_ENTITY',
      );
    }
    return String.fromCodePoint(code);
  });
}

/**
 * Rejects documents that declare a DTD or entities, with the precise reason
 * (external DTD, external entity, parameter entity, entity expansion…).
 * Comments and CDATA sections are ignored for the check (an HTML snippet
 * quoted in CDATA may legitimately contain the text `<!DOCTYPE html>`).
 */
function assertNoDtd(text: string): void {
  const scrubbed = text.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<!--[\s\S]*?-->/g, '');
  const m = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.exec(scrubbed);
  if (!m) return;
  const rest = scrubbed.slice(m.index);
  const fail = (reason: string, what: string): never => {
    throw new FormatError(
      'XML_FORBIDDEN_CONSTRUCT',
      `${what}: XML documents with a DOCTYPE or entity declarations are refused (XXE / entity expansion protection)`,
      reason,
    );
  };
  if (/<!ENTITY\s+%/i.test(rest)) fail('PARAMETER_ENTITY', 'parameter entity declared in the DTD');
  if (/<!ENTITY\s+[^\s>]+\s+(SYSTEM|PUBLIC)\b/i.test(rest)) fail('EXTERNAL_ENTITY', 'external entity declared (XXE)');
  if (/<!ENTITY\s+[^\s>]+\s+("[^"]*&|'[^']*&)/i.test(rest)) fail('ENTITY_EXPANSION', 'entity defined in terms of other entities (entity expansion / billion laughs)');
  if (/<!ENTITY\b/i.test(rest)) fail('ENTITY_DECLARATION', 'internal entity declared');
  if (/^<!\s*DOCTYPE\s+[^\s>[]+\s+(SYSTEM|PUBLIC)\b/i.test(rest)) fail('EXTERNAL_DTD', 'external DTD referenced by the DOCTYPE');
  fail('DOCTYPE', `<!${m[1].toUpperCase()}> declaration`);
}

const PARSER_OPTIONS = {
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
} as const;

const parsers = new Map<number, XMLParser>();
function parserFor(maxDepth: number): XMLParser {
  let p = parsers.get(maxDepth);
  if (!p) {
    p = new XMLParser({ ...PARSER_OPTIONS, maxNestedTags: maxDepth });
    if (parsers.size < 16) parsers.set(maxDepth, p);
  }
  return p;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function build(node: OrderedNode, scope: Map<string, string>): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (!name || name === '#text' || name.startsWith('?')) return null;
  const rawAttrs = node[':@'] ?? {};
  const attrs: Record<string, string> = {};
  let localScope = scope;
  for (const [k, v] of Object.entries(rawAttrs)) {
    const value = decodeEntities(String(v), `attribute ${k} of <${name}>`);
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
        el.text += decodeEntities(String(child['#text']), `the text of <${name}>`);
        continue;
      }
      const built = build(child, localScope);
      if (built) el.children.push(built);
    }
  }
  return el;
}

/**
 * Parses untrusted XML: bounded size and depth, well-formedness checked, no
 * DTD, no entity other than the XML predefined ones, no external resource ever
 * loaded. A Buffer is decoded from its BOM or encoding declaration (UTF-8,
 * UTF-16, ISO-8859-1, windows-1252, US-ASCII). Returns the root element.
 */
export function parseXmlSafely(input: string | Buffer, options: SafeXmlOptions = {}): XmlElement {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > maxBytes) {
    throw new FormatError('XML_TOO_LARGE', `XML document is ${size} bytes, limit is ${maxBytes}`, 'DOCUMENT_SIZE');
  }
  let text = typeof input === 'string' ? input : decodeXmlBytes(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  assertNoDtd(text);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new FormatError(
      'XML_MALFORMED',
      `XML is not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  let ordered: OrderedNode[];
  try {
    ordered = parserFor(maxDepth).parse(text) as OrderedNode[];
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/nested tags/i.test(msg)) {
      throw new FormatError('XML_TOO_LARGE', `XML elements are nested deeper than ${maxDepth} levels`, 'NESTING_DEPTH');
    }
    throw new FormatError('XML_MALFORMED', `XML could not be parsed: ${msg}`);
  }
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
