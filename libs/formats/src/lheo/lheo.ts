/**
 * LHÉO 2.2 ↔ 2.3 (offres de formation), per the official change list
 * (`schemas/lheo/changements-2.3.rst`) and the Onisep note on its 2.3 feeds
 * (spec 004):
 *
 * Upgrade 2.2 → 2.3 (`upgradeLheo22to23`):
 * - namespace `http://www.lheo.org/2.2` → `http://lheo.gouv.fr/2.3`;
 * - PEL-28 / PEL-29: what 2.2 feeds carried in `<extra>` becomes native
 *   attributes: `URI … ONISEP` → `uri`, `DATE CREATION …` / `DATE
 *   MODIFICATION …` → `horodatage-creation` / `horodatage-modification`, on
 *   the `<extras>` and on the element that holds it (action,
 *   lieu-de-formation, organisme-formation-responsable, formation…);
 *   `DATE EXPORT …` → `horodatage-export` on `<offres>`; the Intercariforef
 *   `FLUX-CARIF` `date-export` + `heure-export` → `horodatage-export`;
 * - PEL-17: the organisation name a 2.2 feed wrote as `<ligne>` of
 *   `<coordonnees>` becomes `<adresse><denomination>`;
 * - what a previous downgrade stored in `<extras info="lheo-2.3">` is put
 *   back in place.
 * 2.3 is otherwise a superset of 2.2 (relaxed cardinalities and lengths,
 * new optional elements): nothing else changes, nothing is lost.
 *
 * Downgrade 2.3 → 2.2 (`downgradeLheo23to22`), driven by the 2.2 schema
 * digest: every attribute, element, extra occurrence or value 2.2 does not
 * allow is moved into an `<extras info="lheo-2.3">` of the nearest element
 * that takes extras (elements keep their 2.3 namespace there, so the 2.2
 * XSD does not look into them), to be restored by a later upgrade; a
 * `<denomination>` goes back to `<coordonnees><ligne>`; the levels of the
 * 2019 nomenclature (11–18) are written with their 2.2 equivalent (13→4 …
 * 17,18→8; 11,12→0, no equivalent) and kept in extras. Loss code
 * `LHEO23_ELEMENTS_MOVED_TO_EXTRAS`.
 *
 * The conversion works on the document tree (bounded by the safe parser's
 * size limit, 64 MiB here), one document at a time.
 */
import { FormatError } from '../errors';
import { parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { element, serializeXml } from '../scolomfr/xml-tree';
import type { Finding } from '../scolomfr/findings';
import { CorpusOptions, corpusPath } from '../scolomfr/corpus';
import { validateXmlWithXsd, XsdResult } from '../scolomfr/xsd';
import type { LheoElementRule, LheoSchemaDigest } from './schema-digest';
import { LHEO_22, LHEO_23 } from './schema-tables';

export const LHEO_NS = { '2.2': 'http://www.lheo.org/2.2', '2.3': 'http://lheo.gouv.fr/2.3' } as const;
export type LheoVersion = keyof typeof LHEO_NS;
export const LHEO_MEDIA_TYPE = 'application/xml';
/** `info` of the extras that carry what 2.2 cannot hold. */
export const LHEO23_EXTRAS_INFO = 'lheo-2.3';
const MAX_BYTES = 64 * 1024 * 1024;

export interface LheoChange {
  /** Element path in the output, e.g. `lheo/offres/formation[1]/action[1]`. */
  path: string;
  code:
    | 'NAMESPACE'
    | 'EXTRA_TO_ATTRIBUTE'
    | 'EXPORT_DATE_TO_ATTRIBUTE'
    | 'DENOMINATION_PROMOTED'
    | 'DENOMINATION_TO_LIGNE'
    | 'RESTORED_FROM_EXTRAS'
    | 'MOVED_TO_EXTRAS'
    | 'LEVEL_MAPPED'
    | 'DATE_INFORMATION_REMOVED'
    | 'EMPTY_RNCP_REMOVED';
  detail: string;
}

export interface LheoLoss {
  code: string;
  message: string;
  details: string[];
}

export interface LheoConversionResult {
  xml: string;
  from: LheoVersion;
  to: LheoVersion;
  changes: LheoChange[];
  losses: LheoLoss[];
}

export const LHEO_DOWNGRADE_LOSS = {
  code: 'LHEO23_ELEMENTS_MOVED_TO_EXTRAS',
  message:
    'Les informations propres à LHÉO 2.3 sont rangées dans des champs complémentaires (extras) : elles sont conservées mais votre nouvel ENT ne les affichera pas.',
} as const;

export function detectLheoVersion(root: XmlElement): LheoVersion | undefined {
  if (root.ns === LHEO_NS['2.2']) return '2.2';
  if (root.ns === LHEO_NS['2.3']) return '2.3';
  return undefined;
}

function parseLheo(xml: string | Buffer, expected: LheoVersion): XmlElement {
  const root = parseXmlSafely(xml, { maxBytes: MAX_BYTES });
  const v = detectLheoVersion(root);
  if (!['lheo', 'lheo-index'].includes(root.local) || !v) {
    throw new FormatError('INVALID_INPUT', `not a LHÉO document: root <${root.name}> in namespace ${root.ns || '(none)'}`);
  }
  if (v !== expected) throw new FormatError('INVALID_INPUT', `LHÉO ${expected} expected, the document is LHÉO ${v} (${root.ns})`);
  return root;
}

// ------------------------------------------------------------ tree helpers

interface Ctx {
  parents: Map<XmlElement, XmlElement>;
  prefix: string;
}

function indexParents(root: XmlElement): Map<XmlElement, XmlElement> {
  const parents = new Map<XmlElement, XmlElement>();
  const walk = (el: XmlElement) => {
    for (const c of el.children) {
      parents.set(c, el);
      walk(c);
    }
  };
  walk(root);
  return parents;
}

function step(parent: XmlElement | undefined, el: XmlElement): string {
  if (!parent) return el.local;
  const same = parent.children.filter((c) => c.local === el.local);
  return `${el.local}[${same.indexOf(el) + 1}]`;
}

function absPath(el: XmlElement, parents: Map<XmlElement, XmlElement>): string {
  const steps: string[] = [];
  for (let e: XmlElement | undefined = el; e; e = parents.get(e)) steps.unshift(parents.get(e) ? step(parents.get(e), e) : e.local);
  return steps.join('/');
}

/** Path of `target` below `host` (`.` when they are the same). */
function relPath(host: XmlElement, target: XmlElement, parents: Map<XmlElement, XmlElement>): string {
  const steps: string[] = [];
  for (let e: XmlElement | undefined = target; e && e !== host; e = parents.get(e)) steps.unshift(step(parents.get(e), e));
  return steps.length === 0 ? '.' : steps.join('/');
}

function resolvePath(host: XmlElement, path: string): XmlElement | undefined {
  if (path === '.' || path === '') return host;
  let cur: XmlElement | undefined = host;
  for (const s of path.split('/')) {
    const m = /^([^[\]]+)\[(\d+)\]$/.exec(s);
    if (!cur || !m) return undefined;
    cur = cur.children.filter((c) => c.local === m[1])[Number(m[2]) - 1];
  }
  return cur;
}

function qname(ctx: Ctx, local: string): string {
  return ctx.prefix ? `${ctx.prefix}:${local}` : local;
}

function renameNamespace(el: XmlElement, from: string, to: string, skip?: Set<XmlElement>): void {
  if (skip?.has(el)) return;
  for (const [k, v] of Object.entries(el.attrs)) if ((k === 'xmlns' || k.startsWith('xmlns:')) && v === from) el.attrs[k] = to;
  if (el.ns === from) el.ns = to;
  for (const c of el.children) renameNamespace(c, from, to, skip);
}

/** Index at which a child named `name` goes in `parent` according to the sequence of `rule`. */
function insertionIndex(parent: XmlElement, name: string, rule: LheoElementRule | undefined): number {
  const order = (rule?.children ?? []).map((c) => c.name);
  const target = order.indexOf(name);
  if (target < 0) return parent.children.length;
  let at = 0;
  parent.children.forEach((c, i) => {
    const o = order.indexOf(c.local);
    if (o >= 0 && o <= target) at = i + 1;
  });
  return at;
}

function acceptsExtras(el: XmlElement, digest: LheoSchemaDigest): boolean {
  return !!digest.elements[el.local]?.children?.some((c) => c.name === 'extras');
}

function facetsAllow(rule: LheoElementRule | undefined, text: string): boolean {
  const f = rule?.facets;
  if (!f) return true;
  const v = f.base === 'token' ? text.replace(/\s+/g, ' ').trim() : text;
  if (f.enumeration && !f.enumeration.includes(v)) return false;
  const len = [...v].length;
  if (f.maxLength !== undefined && len > f.maxLength) return false;
  if (f.minLength !== undefined && len < f.minLength) return false;
  if (f.length !== undefined && len !== f.length) return false;
  if (f.pattern && !f.pattern.some((p) => new RegExp(`^(?:${p})$`).test(v))) return false;
  return true;
}

const isXmlnsOrXsi = (k: string) => k === 'xmlns' || k.startsWith('xmlns:') || k.startsWith('xsi:') || k.startsWith('xml:');

// ------------------------------------------------------------ downgrade

/** Levels of the 2019 nomenclature (dict-niveaux 11–18) → nearest 2.2 level (decree 2019-14 table; 1 and 2 have none). */
export const LEVEL_23_TO_22: Record<string, string> = { '11': '0', '12': '0', '13': '4', '14': '5', '15': '6', '16': '7', '17': '8', '18': '8' };
const LEVEL_ELEMENTS = new Set(['code-niveau-entree', 'code-niveau-sortie']);

export function downgradeLheo23to22(xml: string | Buffer): LheoConversionResult {
  const root = parseLheo(xml, '2.3');
  const ctx: Ctx = { parents: new Map(), prefix: root.name.includes(':') ? root.name.slice(0, root.name.indexOf(':')) : '' };
  const changes: LheoChange[] = [];
  type Pending = { kind: 'attr'; target: XmlElement; name: string; value: string } | { kind: 'element'; parent: XmlElement; el: XmlElement } | { kind: 'value'; target: XmlElement; value: string };
  const pending: Pending[] = [];

  const visit = (el: XmlElement) => {
    const rule = LHEO_22.elements[el.local];
    for (const [k, v] of Object.entries(el.attrs)) {
      if (isXmlnsOrXsi(k) || rule?.attributes.includes(k)) continue;
      pending.push({ kind: 'attr', target: el, name: k, value: v });
      delete el.attrs[k];
    }
    if (!rule || rule.content === 'any' || rule.content === 'simple' || rule.content === 'empty') return;
    const counts = new Map<string, number>();
    const kept: XmlElement[] = [];
    for (const child of el.children) {
      const r = rule.children?.find((c) => c.name === child.local);
      const n = (counts.get(child.local) ?? 0) + 1;
      const childRule = LHEO_22.elements[child.local];
      if (child.local === 'denomination' && el.local === 'adresse') {
        pending.push({ kind: 'element', parent: el, el: child }); // handled below: back to coordonnees/ligne when possible
        continue;
      }
      if (!r || (r.max !== -1 && n > r.max)) {
        pending.push({ kind: 'element', parent: el, el: child });
        continue;
      }
      if (childRule?.content === 'simple' && !facetsAllow(childRule, child.text)) {
        const v = child.text.trim();
        if (LEVEL_ELEMENTS.has(child.local) && LEVEL_23_TO_22[v]) {
          pending.push({ kind: 'value', target: child, value: v });
          child.text = LEVEL_23_TO_22[v];
        } else {
          pending.push({ kind: 'element', parent: el, el: child });
          continue;
        }
      }
      counts.set(child.local, n);
      kept.push(child);
      visit(child);
    }
    el.children = kept;
  };
  visit(root);

  // denomination → coordonnees/ligne (the 2.2 way), when the coordonnees has room for one more ligne
  const parents = indexParents(root);
  const stillPending: Pending[] = [];
  for (const p of pending) {
    if (p.kind === 'element' && p.el.local === 'denomination') {
      const coord = parents.get(p.parent);
      const lignes = coord?.children.filter((c) => c.local === 'ligne') ?? [];
      if (coord && coord.local === 'coordonnees' && lignes.length < 3) {
        const ligne = element(qname(ctx, 'ligne'), {}, p.el.text.trim().slice(0, 50));
        coord.children.splice(insertionIndex(coord, 'ligne', LHEO_22.elements.coordonnees), 0, ligne);
        if ([...p.el.text.trim()].length <= 50 && Object.keys(p.el.attrs).length === 0) {
          changes.push({ path: absPath(p.parent, indexParents(root)), code: 'DENOMINATION_TO_LIGNE', detail: `denomination « ${p.el.text.trim()} » → coordonnees/ligne` });
          continue;
        }
      }
    }
    stillPending.push(p);
  }

  // group what must go to extras by host, then write the containers
  const finalParents = indexParents(root);
  const hostOf = (el: XmlElement): XmlElement => {
    for (let e: XmlElement | undefined = el; e; e = finalParents.get(e)) if (acceptsExtras(e, LHEO_22)) return e;
    return root;
  };
  const byHost = new Map<XmlElement, XmlElement[]>();
  const details: string[] = [];
  for (const p of stillPending) {
    const anchor = p.kind === 'element' ? p.parent : p.target;
    const host = hostOf(anchor);
    const ref = relPath(host, anchor, finalParents);
    let extra: XmlElement;
    if (p.kind === 'attr') {
      extra = element(qname(ctx, 'extra'), { info: `@${p.name}`, ref }, p.value);
      details.push(`${absPath(anchor, finalParents)}/@${p.name}`);
    } else if (p.kind === 'value') {
      extra = element(qname(ctx, 'extra'), { info: 'valeur', ref }, p.value);
      details.push(`${absPath(anchor, finalParents)} (niveau ${p.value} → ${p.target.text})`);
      changes.push({ path: absPath(anchor, finalParents), code: 'LEVEL_MAPPED', detail: `niveau ${p.value} (nomenclature 2019) écrit ${p.target.text} en 2.2` });
    } else {
      const embedded = stripPrefixes(p.el);
      embedded.attrs = { xmlns: LHEO_NS['2.3'], ...embedded.attrs };
      extra = element(qname(ctx, 'extra'), { info: 'element', ref }, [embedded]);
      details.push(`${absPath(anchor, finalParents)}/${p.el.local}`);
    }
    byHost.set(host, [...(byHost.get(host) ?? []), extra]);
  }
  const embeddedRoots = new Set<XmlElement>();
  for (const [host, extras] of byHost) {
    for (const x of extras) for (const c of x.children) embeddedRoots.add(c);
    const container = element(qname(ctx, 'extras'), { info: LHEO23_EXTRAS_INFO }, extras);
    host.children.splice(insertionIndex(host, 'extras', LHEO_22.elements[host.local]), 0, container);
    changes.push({ path: absPath(host, indexParents(root)), code: 'MOVED_TO_EXTRAS', detail: `${extras.length} information(s) 2.3 rangée(s) dans <extras info="${LHEO23_EXTRAS_INFO}">` });
  }
  renameNamespace(root, LHEO_NS['2.3'], LHEO_NS['2.2'], embeddedRoots);
  changes.unshift({ path: root.local, code: 'NAMESPACE', detail: `${LHEO_NS['2.3']} → ${LHEO_NS['2.2']}` });
  const losses: LheoLoss[] = details.length > 0 ? [{ ...LHEO_DOWNGRADE_LOSS, details }] : [];
  return { xml: serializeXml(root), from: '2.3', to: '2.2', changes, losses };
}

function stripPrefixes(el: XmlElement): XmlElement {
  return { ...el, name: el.local, attrs: Object.fromEntries(Object.entries(el.attrs).filter(([k]) => !k.startsWith('xmlns'))), children: el.children.map(stripPrefixes) };
}

// ------------------------------------------------------------ upgrade

/** `20220630` → `2022-06-30T00:00:00`; with `heure` `095232` → `2022-06-30T09:52:32`. Undefined when not a real date. */
export function lheoDateToDateTime(date: string, time?: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(date.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || mo > 12 || d < 1 || dt.getUTCDate() !== d) return undefined;
  const t = /^(\d{2})(\d{2})(\d{2})$/.exec((time ?? '').trim());
  const hms = t && Number(t[1]) < 24 && Number(t[2]) < 60 && Number(t[3]) < 60 ? `${t[1]}:${t[2]}:${t[3]}` : '00:00:00';
  return `${m[1]}-${m[2]}-${m[3]}T${hms}`;
}

const PROMOTIONS: { pattern: RegExp; attr: string; kind: 'uri' | 'date' }[] = [
  { pattern: /^URI\b/i, attr: 'uri', kind: 'uri' },
  { pattern: /^DATE CREATION\b/i, attr: 'horodatage-creation', kind: 'date' },
  { pattern: /^DATE MODIFICATION\b/i, attr: 'horodatage-modification', kind: 'date' },
];

export interface LheoUpgradeOptions {
  /** PEL-17: move the `<coordonnees><ligne>` name into `<adresse><denomination>` (default true). */
  promoteDenomination?: boolean;
}

export function upgradeLheo22to23(xml: string | Buffer, opts: LheoUpgradeOptions = {}): LheoConversionResult {
  const root = parseLheo(xml, '2.2');
  const ctx: Ctx = { parents: new Map(), prefix: root.name.includes(':') ? root.name.slice(0, root.name.indexOf(':')) : '' };
  const changes: LheoChange[] = [];
  renameNamespace(root, LHEO_NS['2.2'], LHEO_NS['2.3']);
  changes.push({ path: root.local, code: 'NAMESPACE', detail: `${LHEO_NS['2.2']} → ${LHEO_NS['2.3']}` });

  restoreFromExtras(root, ctx, changes);
  promoteExtras(root, changes);
  if (opts.promoteDenomination !== false) promoteDenomination(root, ctx, changes);
  applyOnisep23Changes(root, changes);
  return { xml: serializeXml(root), from: '2.2', to: '2.3', changes, losses: [] };
}

/** 2.2 levels (V … I) → the 2019 table of 2.3 (change 13, decree 2019-14): the inverse of LEVEL_23_TO_22 where it is one-to-one; I → 7. */
export const LEVEL_22_TO_23: Record<string, string> = { '4': '13', '5': '14', '6': '15', '7': '16', '8': '17' };

/**
 * Changes 13 and 14 of the official 2.2 → 2.3 list, outside extras: levels
 * written with the new table entries (11–18), `<date-information>` removed
 * (14.1: the open days are published in their own data sets), an empty
 * `<code-RNCP>` omitted (14.2). Each is reported.
 */
function applyOnisep23Changes(root: XmlElement, changes: LheoChange[]): void {
  const parents = indexParents(root);
  const visit = (el: XmlElement) => {
    if (el.local === 'extras' || el.local === 'extra') return;
    const kept: XmlElement[] = [];
    for (const c of el.children) {
      if (c.local === 'date-information') {
        changes.push({ path: absPath(c, parents), code: 'DATE_INFORMATION_REMOVED', detail: 'balise <date-information> supprimée (changement 14.1)' });
        continue;
      }
      if (c.local === 'code-RNCP' && c.text.trim() === '' && c.children.length === 0) {
        changes.push({ path: absPath(c, parents), code: 'EMPTY_RNCP_REMOVED', detail: 'balise <code-RNCP> vide supprimée (changement 14.2)' });
        continue;
      }
      if (LEVEL_ELEMENTS.has(c.local)) {
        const v = c.text.trim();
        const target = LEVEL_22_TO_23[v];
        if (target) {
          changes.push({ path: absPath(c, parents), code: 'LEVEL_MAPPED', detail: `niveau ${v} (table 2.2) → ${target} (table des niveaux 2019, changement 13)` });
          c.text = target;
        }
      }
      kept.push(c);
      visit(c);
    }
    el.children = kept;
  };
  visit(root);
}

function restoreFromExtras(root: XmlElement, ctx: Ctx, changes: LheoChange[]): void {
  const containers: { host: XmlElement; box: XmlElement }[] = [];
  const find = (el: XmlElement) => {
    for (const c of el.children) {
      if (c.local === 'extras' && c.attrs.info === LHEO23_EXTRAS_INFO) containers.push({ host: el, box: c });
      else find(c);
    }
  };
  find(root);
  // deepest first, so that paths of outer containers still resolve
  for (const { host, box } of containers.reverse()) {
    host.children = host.children.filter((c) => c !== box);
    const elements: { target: XmlElement; el: XmlElement }[] = [];
    for (const x of box.children) {
      const target = resolvePath(host, x.attrs.ref ?? '.');
      if (!target) continue;
      const info = x.attrs.info ?? '';
      if (info.startsWith('@')) target.attrs[info.slice(1)] = x.text;
      else if (info === 'valeur') target.text = x.text;
      else if (info === 'element' && x.children[0]) elements.push({ target, el: x.children[0] });
    }
    for (const { target, el } of elements) {
      const restored = withPrefix(el, ctx.prefix);
      delete restored.attrs.xmlns;
      target.children.splice(insertionIndex(target, restored.local, LHEO_23.elements[target.local]), 0, restored);
    }
    changes.push({ path: host.local, code: 'RESTORED_FROM_EXTRAS', detail: `${box.children.length} information(s) 2.3 remise(s) en place` });
  }
}

function withPrefix(el: XmlElement, prefix: string): XmlElement {
  return { ...el, name: prefix ? `${prefix}:${el.local}` : el.local, ns: LHEO_NS['2.3'], attrs: { ...el.attrs }, children: el.children.map((c) => withPrefix(c, prefix)) };
}

function promoteExtras(root: XmlElement, changes: LheoChange[]): void {
  const parents = indexParents(root);
  const offres = root.children.find((c) => c.local === 'offres');
  let latestExport: string | undefined;
  const visit = (el: XmlElement) => {
    for (const c of [...el.children]) visit(c);
    if (el.local !== 'extras') return;
    const owner = parents.get(el);
    const removed = new Set<XmlElement>();
    for (const x of el.children.filter((c) => c.local === 'extra')) {
      const info = (x.attrs.info ?? '').trim();
      const value = x.text.trim();
      if (/^DATE EXPORT\b/i.test(info)) {
        const dt = lheoDateToDateTime(value);
        if (!dt) continue;
        const formation = ancestor(el, 'formation', parents);
        if (formation && !formation.attrs['horodatage-export']) formation.attrs['horodatage-export'] = dt;
        if (!latestExport || dt > latestExport) latestExport = dt;
        removed.add(x);
        changes.push({ path: absPath(el, parents), code: 'EXPORT_DATE_TO_ATTRIBUTE', detail: `extra « ${info} » → horodatage-export=${dt}` });
        continue;
      }
      const p = PROMOTIONS.find((r) => r.pattern.test(info));
      if (!p) continue;
      const v = p.kind === 'date' ? lheoDateToDateTime(value) : /\s/.test(value) || value === '' ? undefined : value;
      if (!v) continue;
      el.attrs[p.attr] = v;
      if (owner && owner.local !== 'extras' && owner.local !== 'extra' && !owner.attrs[p.attr]) owner.attrs[p.attr] = v;
      removed.add(x);
      changes.push({ path: absPath(el, parents), code: 'EXTRA_TO_ATTRIBUTE', detail: `extra « ${info} » → @${p.attr}=${v}${owner ? ` (et sur <${owner.local}>)` : ''}` });
    }
    // Intercariforef web service: <extras info="FLUX-CARIF"> date-export + heure-export
    if (/^FLUX-CARIF$/i.test(el.attrs.info ?? '') && owner) {
      const date = el.children.find((c) => c.local === 'extra' && c.attrs.info === 'date-export');
      const time = el.children.find((c) => c.local === 'extra' && c.attrs.info === 'heure-export');
      const dt = date ? lheoDateToDateTime(date.text, time?.text) : undefined;
      if (dt && date) {
        owner.attrs['horodatage-export'] = dt;
        removed.add(date);
        if (time) removed.add(time);
        changes.push({ path: absPath(el, parents), code: 'EXPORT_DATE_TO_ATTRIBUTE', detail: `extras FLUX-CARIF date-export/heure-export → <${owner.local}> @horodatage-export=${dt}` });
      }
    }
    if (removed.size > 0) el.children = el.children.filter((c) => !removed.has(c));
  };
  visit(root);
  if (latestExport && offres && !offres.attrs['horodatage-export']) offres.attrs['horodatage-export'] = latestExport;
}

function ancestor(el: XmlElement, local: string, parents: Map<XmlElement, XmlElement>): XmlElement | undefined {
  for (let e = parents.get(el); e; e = parents.get(e)) if (e.local === local) return e;
  return undefined;
}

function promoteDenomination(root: XmlElement, ctx: Ctx, changes: LheoChange[]): void {
  const parents = indexParents(root);
  const visit = (el: XmlElement) => {
    if (el.local === 'extras' || el.local === 'extra') return;
    if (el.local === 'coordonnees') {
      const lignes = el.children.filter((c) => c.local === 'ligne');
      const adresse = el.children.find((c) => c.local === 'adresse');
      if (lignes.length > 0 && adresse && !adresse.children.some((c) => c.local === 'denomination')) {
        const name = lignes.map((l) => l.text.trim()).filter(Boolean).join(' ').slice(0, 255);
        if (name) {
          adresse.children.unshift(element(qname(ctx, 'denomination'), {}, name));
          el.children = el.children.filter((c) => !lignes.includes(c));
          changes.push({ path: absPath(el, parents), code: 'DENOMINATION_PROMOTED', detail: `coordonnees/ligne « ${name} » → adresse/denomination` });
        }
      }
    }
    for (const c of el.children) visit(c);
  };
  visit(root);
}

// ------------------------------------------------------------ validation

export interface LheoValidationResult {
  version?: LheoVersion;
  valid: boolean;
  findings: Finding[];
  xsd: Pick<XsdResult, 'checked' | 'valid' | 'unavailable'>;
}

/**
 * Validates a LHÉO document against the XSD of its version (2.3: the
 * official `lheo-2.3.xsd`; 2.2: the XSD regenerated from the official 2.2
 * definition). Findings: `LHEO_XML_MALFORMED`, `LHEO_NOT_LHEO`,
 * `LHEO_XSD_INVALID` (errors, with line), `LHEO_XSD_NOT_CHECKED` (warning).
 */
export async function validateLheo(xml: string | Buffer, opts: CorpusOptions & { version?: LheoVersion } = {}): Promise<LheoValidationResult> {
  let root: XmlElement;
  try {
    root = parseXmlSafely(xml, { maxBytes: MAX_BYTES });
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { valid: false, findings: [{ code: 'LHEO_XML_MALFORMED', severity: 'error', message: e.message }], xsd: { checked: false, valid: false } };
  }
  const version = opts.version ?? detectLheoVersion(root);
  if (!version || !['lheo', 'lheo-index'].includes(root.local)) {
    return {
      valid: false,
      findings: [{ code: 'LHEO_NOT_LHEO', severity: 'error', message: `racine <${root.name}> (espace de noms ${root.ns || 'aucun'}) : pas un document LHÉO 2.2 ou 2.3` }],
      xsd: { checked: false, valid: false },
    };
  }
  const xsd = await validateXmlWithXsd(xml, corpusPath(version === '2.3' ? 'lheo23Xsd' : 'lheo22Xsd', opts));
  const findings: Finding[] = xsd.errors.map((e) => ({ code: 'LHEO_XSD_INVALID', severity: 'error' as const, message: e.message, line: e.line, ...(e.element ? { path: e.element } : {}) }));
  if (!xsd.checked) findings.push({ code: 'LHEO_XSD_NOT_CHECKED', severity: 'warning', message: `validation XSD non faite : ${xsd.unavailable}` });
  return { version, valid: xsd.checked && xsd.valid, findings, xsd: { checked: xsd.checked, valid: xsd.valid, unavailable: xsd.unavailable } };
}
