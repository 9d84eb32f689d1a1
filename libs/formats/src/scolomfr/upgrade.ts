/**
 * `upgradeScolomfr`: LOM / LOMFR / ScoLOMFR 1.x-2.x ("lax") records to
 * ScoLOMFR 3.1 ("strict"), as the official migration does: every value of an
 * element bound to a vocabulary is replaced by its concept URI, looked up in
 * the official migration ("passage") tables of the 3.1 package
 * (`scolomfr/migration-tables-3.1/`), then among the terms of the
 * vocabulary; concepts withdrawn in 3.1 are replaced by their successor
 * (`conceptsDeprecies.xml`); the `source` becomes `SCOLOMFRv3.1` and the
 * label the concept's preferred term.
 *
 * What cannot be mapped is reported in `unmapped` with its path and the
 * reason; the element carrying it is removed (otherwise the record would not
 * validate against the strict 3.1 XSD), except taxons, which stay in their
 * path (the XSD does not constrain them; removing one would break the path).
 *
 * URIs written with surrounding whitespace (a real-world quirk: the neteduc
 * export puts a line break before `</value>`) are trimmed and reported in
 * `warnings` as `SCOLOMFR_VALUE_WHITESPACE`.
 *
 * Comments of the source document are not carried over.
 */
import { FormatError } from '../errors';
import { parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { CorpusOptions } from './corpus';
import { Finding } from './findings';
import { SCOLOMFR_NS, SCOLOMFR_SOURCE } from './ns';
import { element, serializeXml } from './xml-tree';
import { classifyValue, languageConceptUri, vocabularyOfSource, vocabularyOfTaxonIds } from './validate';
import { scolomfrVocabularies } from './vocabularies';
import { stepName, vocabChild, vocabularyElements } from './vocab-elements';

export type MappingReason = 'legacy-value' | 'deprecated-concept' | 'media-type' | 'language' | 'metadata-schema';

export interface MappedValue {
  path: string;
  from: string;
  to: string;
  /** Vocabulary number (`028`), when the value belongs to one. */
  vocabulary?: string;
  reason: MappingReason;
}

export interface UnmappedValue {
  path: string;
  value: string;
  vocabulary?: string;
  /** In French, for the report. */
  reason: string;
  /** Whether the element was removed from the output. */
  removed: boolean;
}

export interface ScolomfrUpgradeResult {
  xml: string;
  mapped: MappedValue[];
  unmapped: UnmappedValue[];
  warnings: Finding[];
}

export function upgradeScolomfr(legacyXml: string | Buffer, opts: CorpusOptions = {}): ScolomfrUpgradeResult {
  const root = parseXmlSafely(legacyXml);
  if (root.local !== 'lom' || root.ns !== SCOLOMFR_NS.lom) {
    throw new FormatError('INVALID_INPUT', `not a LOM / ScoLOMFR record: root is <${root.name}>`);
  }
  const vocs = scolomfrVocabularies(opts);
  if (!vocs.available()) throw new FormatError('INVALID_INPUT', `ScoLOMFR vocabularies not found in ${vocs.vocabularyDir}`);
  const mapped: MappedValue[] = [];
  const unmapped: UnmappedValue[] = [];
  const warnings: Finding[] = [];
  const toRemove: { parent: XmlElement; el: XmlElement }[] = [];

  const trimmed = (el: XmlElement, path: string): string => {
    const t = el.text.trim();
    if (t !== el.text && t !== '') {
      warnings.push({
        code: 'SCOLOMFR_VALUE_WHITESPACE',
        severity: 'warning',
        path,
        value: t,
        message: `la valeur de ${path} était entourée d'espaces ou de retours à la ligne : ils ont été retirés`,
      });
      el.text = t;
    }
    return t;
  };

  trimUris(root, 'lom', trimmed);
  for (const v of vocabularyElements(root)) {
    const voc = vocs.vocabulary(v.rule.vocabulary);
    const valueEl = v.rule.kind === 'vocab' ? vocabChild(v.el, 'value') : v.el;
    if (!valueEl || !voc) continue;
    const path = v.rule.kind === 'vocab' ? `${v.path}/${valueEl.local}` : v.path;
    const value = trimmed(valueEl, path);
    if (value === '') continue;
    const st = classifyValue(vocs, v.rule.vocabulary, value);
    let uri: string | undefined;
    if (st.status === 'concept') uri = st.uri;
    else if (st.status === 'legacy' || st.status === 'mime' || st.status === 'language') {
      uri = st.uri;
      const reason: MappingReason = st.status === 'legacy' ? 'legacy-value' : st.status === 'mime' ? 'media-type' : 'language';
      mapped.push({ path, from: value, to: uri, vocabulary: v.rule.vocabulary, reason });
    } else if (st.status === 'deprecated' && st.replacedBy && voc.concepts.has(st.replacedBy)) {
      uri = st.replacedBy;
      mapped.push({ path, from: value, to: uri, vocabulary: v.rule.vocabulary, reason: 'deprecated-concept' });
    } else {
      // Languages and formats are free text for the XSD: an unknown one stays, reported.
      const removed = v.rule.kind === 'vocab';
      unmapped.push({
        path,
        value,
        vocabulary: v.rule.vocabulary,
        reason:
          (st.status === 'deprecated'
            ? `concept retiré en 3.1 sans successeur (vocabulaire scolomfr-voc-${v.rule.vocabulary})`
            : `valeur absente du vocabulaire scolomfr-voc-${v.rule.vocabulary} et de sa table de passage`) +
          (removed ? ' : élément retiré' : ' : laissée telle quelle'),
        removed,
      });
      if (removed) toRemove.push({ parent: v.parent, el: v.el });
      continue;
    }
    valueEl.text = uri;
    if (v.rule.kind === 'vocab') {
      const prefix = valueEl.name.includes(':') ? valueEl.name.slice(0, valueEl.name.indexOf(':') + 1) : '';
      const sourceEl = vocabChild(v.el, 'source');
      if (sourceEl) sourceEl.text = SCOLOMFR_SOURCE;
      else if (v.el.ns === SCOLOMFR_NS.lom) v.el.children.unshift(element(`${prefix}source`, {}, SCOLOMFR_SOURCE));
      const concept = voc.concepts.get(uri);
      const labelEl = vocabChild(v.el, 'label');
      if (concept?.prefLabel && uri !== value) {
        if (labelEl) labelEl.text = concept.prefLabel;
        else v.el.children.push(element(`${prefix}label`, {}, concept.prefLabel));
      } else if (labelEl && labelEl.text.trim() === '' && concept?.prefLabel) labelEl.text = concept.prefLabel;
    }
  }

  upgradeTaxons(root, vocs, mapped, unmapped, trimmed);
  upgradeLanguageAttributes(root, root.local, mapped);
  declare31(root, mapped);

  for (const { parent, el } of toRemove) parent.children = parent.children.filter((c) => c !== el);
  return { xml: serializeXml(root), mapped, unmapped, warnings };
}

function upgradeTaxons(
  root: XmlElement,
  vocs: ReturnType<typeof scolomfrVocabularies>,
  mapped: MappedValue[],
  unmapped: UnmappedValue[],
  trimmed: (el: XmlElement, path: string) => string,
): void {
  for (const cl of root.children.filter((c) => c.local === 'classification')) {
    const cp = `lom/${stepName(root, cl)}`;
    for (const tp of cl.children.filter((c) => c.local === 'taxonPath')) {
      const tpp = `${cp}/${stepName(cl, tp)}`;
      const sourceEl = tp.children.find((c) => c.local === 'source');
      const sourceText = sourceEl ? (sourceEl.children.find((c) => c.local === 'string')?.text ?? sourceEl.text) : '';
      const taxons = tp.children.filter((c) => c.local === 'taxon');
      const idEls = taxons.map((t) => t.children.find((c) => c.local === 'id'));
      const ids = idEls.map((e, i) => (e ? trimmed(e, `${tpp}/${stepName(tp, taxons[i])}/id`) : undefined));
      const fromSource = sourceText.trim() ? vocabularyOfSource(sourceText) : undefined;
      const vocId = fromSource === 'concept' ? undefined : (fromSource ?? vocabularyOfTaxonIds(ids));
      const voc = vocId ? vocs.vocabulary(vocId) : undefined;
      if (!voc || !vocId) continue;
      idEls.forEach((idEl, i) => {
        const id = ids[i];
        if (!idEl || !id || voc.concepts.has(id)) return;
        const path = `${tpp}/${stepName(tp, taxons[i])}/id`;
        const st = classifyValue(vocs, vocId, id);
        if (st.status === 'legacy') {
          idEl.text = st.uri;
          mapped.push({ path, from: id, to: st.uri, vocabulary: vocId, reason: 'legacy-value' });
        } else if (st.status === 'deprecated' && st.replacedBy && voc.concepts.has(st.replacedBy)) {
          idEl.text = st.replacedBy;
          mapped.push({ path, from: id, to: st.replacedBy, vocabulary: vocId, reason: 'deprecated-concept' });
        } else {
          unmapped.push({ path, value: id, vocabulary: vocId, reason: `taxon absent du vocabulaire scolomfr-voc-${vocId} (laissé tel quel)`, removed: false });
        }
      });
    }
  }
}

/** Elements holding a URI or a code: their text is trimmed (and the trim reported). */
const URI_ELEMENTS = new Set(['value', 'id', 'location', 'format', 'language', 'catalog', 'entry', 'metadataSchema', 'dateTime', 'duration', 'size']);

function trimUris(el: XmlElement, path: string, trimmed: (el: XmlElement, path: string) => string): void {
  for (const c of el.children) {
    const p = `${path}/${stepName(el, c)}`;
    if (c.children.length === 0 && URI_ELEMENTS.has(c.local) && !(c.local === 'entry' && el.local === 'taxon')) trimmed(c, p);
    else trimUris(c, p, trimmed);
  }
}

/** `string/@language` = `fre` / `fr` → the ISO 639-2 URI. */
function upgradeLanguageAttributes(el: XmlElement, path: string, mapped: MappedValue[]): void {
  el.children.forEach((c) => {
    const p = `${path}/${stepName(el, c)}`;
    if (c.local === 'string' && c.attrs.language && !/^https?:/.test(c.attrs.language)) {
      const uri = languageConceptUri(c.attrs.language);
      if (uri) {
        mapped.push({ path: `${p}/@language`, from: c.attrs.language, to: uri, vocabulary: '001', reason: 'language' });
        c.attrs.language = uri;
      }
    }
    upgradeLanguageAttributes(c, p, mapped);
  });
}

/** Adds `metaMetadata/metadataSchema` = `SCOLOMFRv3.1` when no 3.1 schema is declared. */
function declare31(root: XmlElement, mapped: MappedValue[]): void {
  const mm = root.children.find((c) => c.local === 'metaMetadata');
  if (!mm) return;
  const schemas = mm.children.filter((c) => c.local === 'metadataSchema');
  if (schemas.some((s) => /scolomfr\s*v?3\.1/i.test(s.text))) return;
  const prefix = mm.name.includes(':') ? mm.name.slice(0, mm.name.indexOf(':') + 1) : '';
  const el = element(`${prefix}metadataSchema`, {}, SCOLOMFR_SOURCE);
  const last = schemas[schemas.length - 1];
  mm.children.splice(last ? mm.children.indexOf(last) + 1 : mm.children.length, 0, el);
  mapped.push({ path: 'lom/metaMetadata/metadataSchema', from: schemas.map((s) => s.text.trim()).join(', '), to: SCOLOMFR_SOURCE, reason: 'metadata-schema' });
}
