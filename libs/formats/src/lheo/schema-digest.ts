/**
 * Digest of a LHÉO XSD (as generated from the GeLaBa GML definition: every
 * element global, `X-type` extending `X-subtype` with the `X-attributes`
 * group): per element, its content model (children with cardinalities, or
 * the facets of its simple content) and its attributes. The up/downgrade
 * works from the digests of 2.2 and 2.3 (`schema-tables.ts`, generated with
 * this function from the official XSDs; a spec checks they still match).
 */
import { childrenNamed, parseXmlSafely, XmlElement } from '../xml/safe-xml';

export interface LheoChildRule {
  name: string;
  min: number;
  /** -1: unbounded. */
  max: number;
}

export interface LheoElementRule {
  content: 'sequence' | 'choice' | 'simple' | 'any' | 'empty';
  children?: LheoChildRule[];
  facets?: { enumeration?: string[]; minLength?: number; maxLength?: number; length?: number; pattern?: string[]; base?: string };
  attributes: string[];
}

export interface LheoSchemaDigest {
  namespace: string;
  elements: Record<string, LheoElementRule>;
}

const local = (qname: string | undefined) => (qname ?? '').replace(/^[^:]*:/, '');
const occurs = (v: string | undefined, dflt: number) => (v === undefined ? dflt : v === 'unbounded' ? -1 : Number(v));

export function digestLheoXsd(xsd: string | Buffer): LheoSchemaDigest {
  const root = parseXmlSafely(xsd, { maxBytes: 8 * 1024 * 1024 });
  const named = (kind: string) => new Map(childrenNamed(root, kind).map((e) => [e.attrs.name, e]));
  const complexTypes = named('complexType');
  const simpleTypes = named('simpleType');
  const groups = named('attributeGroup');
  const attrsOf = (holder: XmlElement): string[] => {
    const out: string[] = [];
    for (const c of holder.children) {
      if (c.local === 'attribute' && c.attrs.name) out.push(c.attrs.name);
      else if (c.local === 'attributeGroup' && c.attrs.ref) {
        const g = groups.get(local(c.attrs.ref));
        if (g) out.push(...attrsOf(g));
      }
    }
    return out;
  };
  const particles = (model: XmlElement): LheoChildRule[] =>
    model.children
      .filter((c) => c.local === 'element')
      .map((c) => ({ name: local(c.attrs.ref ?? c.attrs.name), min: occurs(c.attrs.minOccurs, 1), max: occurs(c.attrs.maxOccurs, 1) }));
  const facetsOf = (base: string): LheoElementRule['facets'] => {
    const st = simpleTypes.get(local(base));
    if (!st) return { base: local(base) };
    const r = st.children.find((c) => c.local === 'restriction');
    if (!r) return { base: local(base) };
    const f: NonNullable<LheoElementRule['facets']> = { base: local(r.attrs.base) };
    for (const c of r.children) {
      const v = c.attrs.value;
      if (c.local === 'enumeration') (f.enumeration ??= []).push(v);
      else if (c.local === 'pattern') (f.pattern ??= []).push(v);
      else if (c.local === 'minLength' || c.local === 'maxLength' || c.local === 'length') f[c.local] = Number(v);
    }
    return f;
  };

  const elements: Record<string, LheoElementRule> = {};
  for (const el of childrenNamed(root, 'element')) {
    const name = el.attrs.name;
    const type = complexTypes.get(local(el.attrs.type));
    if (!type) {
      elements[name] = { content: 'simple', facets: facetsOf(el.attrs.type ?? 'xs:string'), attributes: [] };
      continue;
    }
    const cc = type.children.find((c) => c.local === 'complexContent' || c.local === 'simpleContent');
    const ext = cc?.children.find((c) => c.local === 'extension' || c.local === 'restriction');
    const attributes = [...attrsOf(type), ...(ext ? attrsOf(ext) : [])];
    if (!cc || !ext) {
      const model = type.children.find((c) => c.local === 'sequence' || c.local === 'choice');
      elements[name] = model ? { content: model.local as 'sequence' | 'choice', children: particles(model), attributes } : { content: 'empty', attributes };
      continue;
    }
    if (cc.local === 'simpleContent') {
      elements[name] = { content: 'simple', facets: facetsOf(ext.attrs.base), attributes };
      continue;
    }
    if (local(ext.attrs.base) === 'anyType') {
      elements[name] = { content: 'any', attributes };
      continue;
    }
    const sub = complexTypes.get(local(ext.attrs.base));
    const model = sub?.children.find((c) => c.local === 'sequence' || c.local === 'choice');
    elements[name] = model ? { content: model.local as 'sequence' | 'choice', children: particles(model), attributes } : { content: 'empty', attributes };
  }
  return { namespace: root.attrs.targetNamespace, elements };
}

/** Text of `schema-tables.ts` for two digests (attribute lists factored out). Deterministic. */
export function renderLheoSchemaTables(d22: LheoSchemaDigest, d23: LheoSchemaDigest): string {
  const sets: string[] = [];
  const setOf = (attrs: string[]) => {
    const k = attrs.join(' ');
    let i = sets.indexOf(k);
    if (i < 0) i = sets.push(k) - 1;
    return i;
  };
  const compact = (d: LheoSchemaDigest) =>
    Object.fromEntries(
      Object.entries(d.elements).map(([name, r]) => [
        name,
        [
          r.content,
          setOf(r.attributes),
          ...(r.children ? [r.children.map((c) => [c.name, c.min, c.max])] : r.facets ? [r.facets] : []),
        ],
      ]),
    );
  const c22 = compact(d22);
  const c23 = compact(d23);
  const body = (c: Record<string, unknown>) =>
    Object.entries(c)
      .map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`)
      .join('\n');
  return `/**
 * GENERATED from the official LHÉO XSDs by \`renderLheoSchemaTables(digestLheoXsd(2.2), digestLheoXsd(2.3))\`
 * (\`schema-digest.ts\`): 2.2 from \`schemas/lheo/lheo-2.2.regenerated.xsd\`, 2.3 from \`schemas/lheo/lheo-2.3.xsd\`
 * of the shared corpus. Do not edit: \`lheo-tables.spec.ts\` checks it still matches the XSDs and rewrites it
 * when run with UPDATE_LHEO_TABLES=1.
 *
 * Per element: [content model, attribute set index, children [name, min, max (-1 = unbounded)] | simple facets].
 */
/* eslint-disable */
import type { LheoElementRule, LheoSchemaDigest } from './schema-digest';

type Compact = [LheoElementRule['content'], number, ([string, number, number][] | NonNullable<LheoElementRule['facets']>)?];

const ATTRIBUTE_SETS: string[] = ${JSON.stringify(sets)};

function expand(namespace: string, c: Record<string, Compact>): LheoSchemaDigest {
  const elements: Record<string, LheoElementRule> = {};
  for (const [name, [content, attrs, model]] of Object.entries(c)) {
    const rule: LheoElementRule = { content, attributes: ATTRIBUTE_SETS[attrs] === '' ? [] : ATTRIBUTE_SETS[attrs].split(' ') };
    if (Array.isArray(model)) rule.children = model.map(([n, min, max]) => ({ name: n, min, max }));
    else if (model) rule.facets = model;
    elements[name] = rule;
  }
  return { namespace, elements };
}

export const LHEO_22: LheoSchemaDigest = expand(${JSON.stringify(d22.namespace)}, {
${body(c22)}
});

export const LHEO_23: LheoSchemaDigest = expand(${JSON.stringify(d23.namespace)}, {
${body(c23)}
});
`;
}
