/**
 * Which ScoLOMFR 3.1 element takes its values from which vocabulary (from
 * the 3.1 XSD package, `scolomfr/scolomfrVocabValues.xsd` and
 * `vocab/custom.xsd`), and a walker over a record's elements that yields each
 * of them with its path.
 */
import type { XmlElement } from '../xml/safe-xml';
import { SCOLOMFR_NS } from './ns';

export interface VocabElementRule {
  /** Local names from the category down, e.g. `['lifeCycle', 'contribute', 'role']`. */
  path: readonly string[];
  /** ScoLOMFR vocabulary number (`003`). */
  vocabulary: string;
  /** `vocab`: a (source, value, label) element; `text`: the element's own text (languages, formats). */
  kind: 'vocab' | 'text';
  /** LOM element number in the ScoLOMFR manual. */
  lom: string;
}

const r = (lom: string, path: string, vocabulary: string, kind: 'vocab' | 'text' = 'vocab'): VocabElementRule => ({
  lom,
  path: path.split('/'),
  vocabulary,
  kind,
});

export const VOCAB_ELEMENT_RULES: readonly VocabElementRule[] = [
  r('1.3', 'general/language', '001', 'text'),
  r('1.7', 'general/structure', '007'),
  r('1.8', 'general/aggregationLevel', '008'),
  r('1.9', 'general/documentType', '004'),
  r('1.10', 'general/generalResourceType', '005'),
  r('2.2', 'lifeCycle/status', '002'),
  r('2.3.1', 'lifeCycle/contribute/role', '003'),
  r('3.2.1', 'metaMetadata/contribute/role', '013'),
  r('3.4', 'metaMetadata/language', '001', 'text'),
  r('4.1', 'technical/format', '006', 'text'),
  r('4.3.1.3', 'technical/extendedLocation/personalDataProcessType', '044'),
  r('4.4.1.1', 'technical/requirement/orComposite/type', '023'),
  r('4.4.1.2', 'technical/requirement/orComposite/name', '024'),
  r('5.2', 'educational/learningResourceType', '010'),
  r('5.5', 'educational/intendedEndUserRole', '011'),
  r('5.6', 'educational/context', '012'),
  r('5.8', 'educational/difficulty', '025'),
  r('5.11', 'educational/language', '001', 'text'),
  r('5.12', 'educational/activity', '019'),
  r('5.14', 'educational/place', '017'),
  r('5.15', 'educational/educationalMethod', '018'),
  r('5.16', 'educational/tool', '020'),
  r('6.1', 'rights/cost', '026'),
  r('6.2', 'rights/copyrightAndOtherRestrictions', '027'),
  r('7.1', 'relation/kind', '009'),
  r('9.1', 'classification/purpose', '028'),
];

const NAMESPACES = new Set<string>(Object.values(SCOLOMFR_NS));

/** `name` or `name[i]` (1-based) when the parent has several children with that local name. */
export function stepName(parent: XmlElement | undefined, el: XmlElement): string {
  if (!parent) return el.local;
  const same = parent.children.filter((c) => c.local === el.local);
  return same.length > 1 ? `${el.local}[${same.indexOf(el) + 1}]` : el.local;
}

export interface VocabElementVisit {
  el: XmlElement;
  parent: XmlElement;
  rule: VocabElementRule;
  /** `lom/lifeCycle/contribute[2]/role`. */
  path: string;
}

/** Every element of the record that carries a vocabulary value, in document order. */
export function vocabularyElements(root: XmlElement): VocabElementVisit[] {
  const out: VocabElementVisit[] = [];
  const walk = (el: XmlElement, chain: string[], path: string) => {
    for (const child of el.children) {
      if (child.ns && !NAMESPACES.has(child.ns)) continue;
      const c = [...chain, child.local];
      const p = `${path}/${stepName(el, child)}`;
      const rule = VOCAB_ELEMENT_RULES.find((x) => x.path.length === c.length && x.path.every((n, i) => n === c[i]));
      if (rule) out.push({ el: child, parent: el, rule, path: p });
      else if (VOCAB_ELEMENT_RULES.some((x) => x.path.length > c.length && c.every((n, i) => x.path[i] === n))) walk(child, c, p);
    }
  };
  walk(root, [], root.local);
  return out;
}

/** The `value` child of a (source, value, label) element (any of the three namespaces). */
export function vocabChild(el: XmlElement, local: 'value' | 'label' | 'source'): XmlElement | undefined {
  return el.children.find((c) => c.local === local);
}
