/**
 * Reading schema.org / LRMI JSON-LD as found in the wild: a JSON document, or
 * `<script type="application/ld+json">` blocks in HTML or text. Properties
 * are brought back to their schema.org local names whatever the context does
 * (`"schema": "http://schema.org/"` prefixes, `@vocab`, plain
 * `"@context": "http://schema.org/"`, LRMI's own `lrmi:` terms), so the
 * crosswalk sees one shape.
 *
 * Findings (code, severity):
 * - `LRMI_NO_JSONLD` (error): no JSON-LD in the text
 * - `LRMI_JSON_MALFORMED` (error): a block is not JSON
 * - `LRMI_EMPTY_BLOCK` (info): an empty script block
 * - `LRMI_NO_SCHEMA_CONTEXT` (error): the context does not bind schema.org
 * - `LRMI_TYPE_USED_AS_PROPERTY` (warning): a type name used as a property
 *   (`"AlignmentObject": [...]` instead of `educationalAlignment`); read as the property it stands for
 * - `LRMI_LANGUAGE_NOT_A_CODE` (warning): `inLanguage` is a language name, not a BCP 47 tag
 * - `LRMI_DATE_NOT_ISO` / `LRMI_DURATION_NOT_ISO` (warning): date or duration not in ISO 8601
 * - `LRMI_VALUE_WHITESPACE` (warning): a value with leading or trailing spaces (read trimmed)
 * - `LRMI_MISSING_NAME` (warning): a resource without `name`
 */
import type { Finding } from '../scolomfr/findings';
import type { JsonLd } from './to-schemaorg';

const SCHEMA_IRIS = ['http://schema.org/', 'https://schema.org/'];
const LRMI_IRIS = ['http://lrmi.net/the-specification#', 'http://purl.org/dcx/lrmi-terms/'];
/** Type names that some producers use as property names, and the property they mean. */
const TYPE_AS_PROPERTY: Record<string, string> = { AlignmentObject: 'educationalAlignment', EducationalAudience: 'audience' };

export interface LrmiReadResult {
  /** Top-level resources, properties as schema.org local names. */
  items: JsonLd[];
  findings: Finding[];
}

interface Ctx {
  vocab?: string;
  prefixes: Map<string, string>;
  terms: Map<string, string>;
}

function readContext(raw: unknown, ctx: Ctx): void {
  const list = Array.isArray(raw) ? raw : [raw];
  for (const c of list) {
    if (typeof c === 'string') {
      if (SCHEMA_IRIS.some((s) => c.replace(/\/?$/, '/') === s)) ctx.vocab = 'http://schema.org/';
    } else if (c && typeof c === 'object') {
      for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
        if (k === '@vocab' && typeof v === 'string') ctx.vocab = v;
        else if (typeof v === 'string') {
          if (/[/#:]$/.test(v)) ctx.prefixes.set(k, v);
          else ctx.terms.set(k, v);
        } else if (v && typeof v === 'object' && typeof (v as { '@id'?: unknown })['@id'] === 'string') ctx.terms.set(k, (v as { '@id': string })['@id']);
      }
    }
  }
}

function expand(key: string, ctx: Ctx): string {
  if (key.startsWith('@')) return key;
  const term = ctx.terms.get(key);
  if (term) return expand(term, { ...ctx, terms: new Map() });
  const colon = key.indexOf(':');
  if (colon > 0 && !key.startsWith('http')) {
    const ns = ctx.prefixes.get(key.slice(0, colon));
    if (ns) return ns + key.slice(colon + 1);
  }
  if (/^https?:/.test(key)) return key;
  return (ctx.vocab ?? '') + key;
}

function compact(iri: string): string {
  for (const ns of [...SCHEMA_IRIS, ...LRMI_IRIS]) if (iri.startsWith(ns)) return iri.slice(ns.length);
  return iri;
}

function schemaBound(ctx: Ctx): boolean {
  return SCHEMA_IRIS.some((s) => ctx.vocab?.replace(/\/?$/, '/') === s) || [...ctx.prefixes.values()].some((v) => SCHEMA_IRIS.includes(v.replace(/\/?$/, '/')));
}

const ISO_DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;
const ISO_DURATION = /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/;

/** Normalises one JSON-LD node (recursively). */
export function normaliseJsonLd(node: unknown, parentCtx?: Ctx, findings: Finding[] = [], path = '$'): unknown {
  if (Array.isArray(node)) return node.map((n, i) => normaliseJsonLd(n, parentCtx, findings, `${path}[${i}]`));
  if (typeof node === 'string') {
    const t = node.trim();
    if (t !== node && t !== '') {
      findings.push({ code: 'LRMI_VALUE_WHITESPACE', severity: 'warning', path, value: t, message: `${path} : espaces en début ou fin de valeur, retirés` });
    }
    return t;
  }
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const ctx: Ctx = parentCtx ? { vocab: parentCtx.vocab, prefixes: new Map(parentCtx.prefixes), terms: new Map(parentCtx.terms) } : { prefixes: new Map(), terms: new Map() };
  if ('@context' in obj) readContext(obj['@context'], ctx);
  const out: JsonLd = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === '@context') continue;
    let key = k.startsWith('@') ? k : compact(expand(k, ctx));
    if (TYPE_AS_PROPERTY[key]) {
      findings.push({
        code: 'LRMI_TYPE_USED_AS_PROPERTY',
        severity: 'warning',
        path: `${path}.${k}`,
        message: `${path} : « ${k} » est un type, employé comme propriété ; lu comme « ${TYPE_AS_PROPERTY[key]} »`,
      });
      key = TYPE_AS_PROPERTY[key];
    }
    let value: unknown;
    if (k === '@type') value = Array.isArray(v) ? v.map((t) => compact(expand(String(t), ctx))) : compact(expand(String(v), ctx));
    else value = normaliseJsonLd(v, ctx, findings, `${path}.${key}`);
    if (key in out) {
      const prev = out[key];
      out[key] = [...(Array.isArray(prev) ? prev : [prev]), ...(Array.isArray(value) ? value : [value])];
    } else out[key] = value;
  }
  return out;
}

function checkItem(item: JsonLd, path: string, findings: Finding[]): void {
  if (!item.name) findings.push({ code: 'LRMI_MISSING_NAME', severity: 'warning', path, message: `${path} : ressource sans nom (name)` });
  for (const lang of [item.inLanguage].flat().filter((x): x is string => typeof x === 'string')) {
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang)) {
      findings.push({ code: 'LRMI_LANGUAGE_NOT_A_CODE', severity: 'warning', path: `${path}.inLanguage`, value: lang, message: `${path} : inLanguage « ${lang} » n'est pas une étiquette BCP 47` });
    }
  }
  for (const k of ['dateCreated', 'datePublished', 'dateModified']) {
    for (const d of [item[k]].flat().filter((x): x is string => typeof x === 'string')) {
      if (!ISO_DATE.test(d)) findings.push({ code: 'LRMI_DATE_NOT_ISO', severity: 'warning', path: `${path}.${k}`, value: d, message: `${path} : ${k} « ${d} » n'est pas une date ISO 8601` });
    }
  }
  for (const d of [item.timeRequired].flat().filter((x): x is string => typeof x === 'string')) {
    if (!ISO_DURATION.test(d)) findings.push({ code: 'LRMI_DURATION_NOT_ISO', severity: 'warning', path: `${path}.timeRequired`, value: d, message: `${path} : timeRequired « ${d} » n'est pas une durée ISO 8601` });
  }
}

/** JSON-LD blocks of a text: the whole text when it is JSON, else its `application/ld+json` scripts. */
export function jsonLdBlocks(text: string): string[] {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (t.startsWith('{') || t.startsWith('[')) return [t];
  return [...t.matchAll(/<script\b[^>]*type\s*=\s*["']application\/ld\+json["'][^>]*>([\s\S]*?)<\/script\s*>/gi)].map((m) => m[1]);
}

export function readLrmi(text: string | Buffer): LrmiReadResult {
  const findings: Finding[] = [];
  const items: JsonLd[] = [];
  const blocks = jsonLdBlocks(typeof text === 'string' ? text : text.toString('utf8'));
  if (blocks.length === 0) {
    findings.push({ code: 'LRMI_NO_JSONLD', severity: 'error', message: 'aucun JSON-LD (ni document JSON, ni bloc <script type="application/ld+json">)' });
    return { items, findings };
  }
  blocks.forEach((b, bi) => {
    const where = `bloc ${bi + 1}`;
    if (b.trim() === '') {
      findings.push({ code: 'LRMI_EMPTY_BLOCK', severity: 'info', path: where, message: `${where} : vide` });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(b);
    } catch (e) {
      findings.push({ code: 'LRMI_JSON_MALFORMED', severity: 'error', path: where, message: `${where} : JSON invalide (${(e as Error).message})` });
      return;
    }
    const roots = Array.isArray(json) ? json : [json];
    roots.forEach((r, ri) => {
      const path = blocks.length > 1 || roots.length > 1 ? `$[${bi}${roots.length > 1 ? `.${ri}` : ''}]` : '$';
      const rootCtx: Ctx = { prefixes: new Map(), terms: new Map() };
      if (r && typeof r === 'object' && '@context' in (r as object)) readContext((r as Record<string, unknown>)['@context'], rootCtx);
      const n = normaliseJsonLd(r, undefined, findings, path) as JsonLd;
      if (!schemaBound(rootCtx)) {
        findings.push({ code: 'LRMI_NO_SCHEMA_CONTEXT', severity: 'error', path, message: `${path} : le @context ne désigne pas schema.org` });
        return;
      }
      const graph = Array.isArray(n['@graph']) ? (n['@graph'] as JsonLd[]) : [n];
      graph.forEach((item, gi) => {
        const p = graph.length > 1 ? `${path}.@graph[${gi}]` : path;
        checkItem(item, p, findings);
        items.push(item);
      });
    });
  });
  return { items, findings };
}
