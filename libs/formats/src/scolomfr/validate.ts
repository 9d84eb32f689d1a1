/**
 * `validateScolomfr`: the two checks a ScoLOMFR 3.1 record must pass.
 *
 * 1. The official 3.1 XSD package (xmllint, `--nonet`): structure and, since
 *    3.1 is "strict", the enumerations of concept URIs.
 * 2. The vocabularies themselves (NOMENCLATURE / SKOS-XL files of the 3.1
 *    package, loaded lazily and indexed per vocabulary): every element bound
 *    to a vocabulary must carry a concept of that vocabulary; taxons of a
 *    taxon path that names (or whose ids reveal) a ScoLOMFR vocabulary must
 *    belong to it and follow its hierarchy. Labels are compared with the
 *    concept's terms (a different label is only a warning).
 *
 * Finding codes (severity):
 * - `SCOLOMFR_XML_MALFORMED` (error), `SCOLOMFR_NOT_LOM` (error)
 * - `SCOLOMFR_XSD_INVALID` (error, one per xmllint message, with its line)
 * - `SCOLOMFR_XSD_NOT_CHECKED` / `SCOLOMFR_VOCABULARIES_NOT_CHECKED` (warning: xmllint or corpus missing)
 * - `SCOLOMFR_VALUE_NOT_IN_VOCABULARY` (error): unknown value for the element's vocabulary
 * - `SCOLOMFR_LEGACY_VALUE` (error): a 1.x/2.x label or id that the migration tables map (`upgradeScolomfr` fixes it)
 * - `SCOLOMFR_DEPRECATED_CONCEPT` (error): a concept withdrawn in 3.1 (`upgradeScolomfr` replaces it)
 * - `SCOLOMFR_VALUE_WHITESPACE` (warning): URI written with surrounding whitespace
 * - `SCOLOMFR_LABEL_MISMATCH` (warning): label is none of the concept's terms
 * - `SCOLOMFR_UNKNOWN_FORMAT` (warning): a media type absent from vocabulary 006
 * - `SCOLOMFR_LANGUAGE_NOT_URI` (warning): a language written `fre`, `fr` or as an ISO 639-1 URI
 *   (accepted by the XSD) instead of the ISO 639-2 concept URI of vocabulary 001
 * - `SCOLOMFR_PURPOSE_VOCABULARY_MISMATCH` (warning): the taxon path uses another vocabulary
 *   than the one vocabulary 028 documents for the classification's purpose
 * - `SCOLOMFR_TAXONPATH_SOURCE_NOT_A_VOCABULARY` (error): taxon path source is a concept URI, not a vocabulary
 * - `SCOLOMFR_TAXON_NOT_IN_VOCABULARY` (error), `SCOLOMFR_TAXONS_NOT_CONSECUTIVE` (error)
 * - `SCOLOMFR_CLASSIFICATION_WITHOUT_PURPOSE` (warning)
 * - `SCOLOMFR_DUPLICATE_CATEGORY` (error), `SCOLOMFR_ELEMENT_IGNORED` (info) from the reader
 */
import { FormatError } from '../errors';
import { parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { CorpusOptions, corpusPath } from './corpus';
import { Finding, hasErrors } from './findings';
import { SCOLOMFR_NS } from './ns';
import { scolomfrLanguage } from './scolomfr';
import { readScolomfrTree } from './reader';
import { normaliseLabel, scolomfrVocabularies, ScolomfrVocabularies, Vocabulary, VOCABULARY_URI_PREFIX } from './vocabularies';
import { stepName, vocabChild, vocabularyElements } from './vocab-elements';
import { validateXmlWithXsd, XsdResult } from './xsd';

export interface ScolomfrValidationOptions extends CorpusOptions {
  /** Run the XSD check (default true). */
  xsd?: boolean;
  /** Run the vocabulary check (default true). */
  vocabularies?: boolean;
}

export interface ScolomfrValidationResult {
  /** No finding of severity `error`. */
  valid: boolean;
  findings: Finding[];
  xsd: Pick<XsdResult, 'checked' | 'valid' | 'unavailable'>;
  vocabulariesChecked: boolean;
}

const MEDIATYPES = 'http://purl.org/NET/mediatypes/';

export type ValueStatus =
  | { status: 'concept'; uri: string }
  | { status: 'deprecated'; uri: string; replacedBy?: string }
  | { status: 'legacy'; uri: string }
  | { status: 'mime'; uri: string }
  | { status: 'language'; uri: string }
  | { status: 'unknown' };

/** Where a value stands with respect to a vocabulary (its concepts, withdrawn concepts, legacy values). */
export function classifyValue(vocs: ScolomfrVocabularies, vocabularyId: string, value: string): ValueStatus {
  const voc = vocs.vocabulary(vocabularyId);
  if (!voc) return { status: 'unknown' };
  if (voc.concepts.has(value)) return { status: 'concept', uri: value };
  const dep = vocs.deprecatedConcept(value);
  if (dep) return { status: 'deprecated', uri: value, replacedBy: dep.replacedBy };
  if (vocabularyId === '006' && /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(value) && voc.concepts.has(MEDIATYPES + value.toLowerCase())) {
    return { status: 'mime', uri: MEDIATYPES + value.toLowerCase() };
  }
  if (vocabularyId === '001') {
    const uri = languageConceptUri(value);
    if (uri && voc.concepts.has(uri)) return { status: 'language', uri };
  }
  const mapped = voc.legacy.get(value) ?? voc.legacyNormalised.get(normaliseLabel(value));
  if (mapped) return { status: 'legacy', uri: mapped };
  const withdrawn = vocs.deprecatedConceptByTerm(vocabularyId, value);
  if (withdrawn) return { status: 'deprecated', uri: withdrawn.uri, replacedBy: withdrawn.replacedBy };
  return { status: 'unknown' };
}

/** `fr`, `fr-FR`, `fre`, `fra`, `http://id.loc.gov/vocabulary/iso639-1/fr` → `http://id.loc.gov/vocabulary/iso639-2/fre`. */
export function languageConceptUri(value: string): string | undefined {
  const m = /^https?:\/\/id\.loc\.gov\/vocabulary\/iso639-[12]\/([a-z]{2,3})$/i.exec(value.trim());
  try {
    return scolomfrLanguage(m ? m[1] : value.trim());
  } catch {
    return undefined;
  }
}

/** Vocabularies a classification purpose is meant for, from the scope notes of vocabulary 028. */
export function purposeVocabularies(vocs: ScolomfrVocabularies, purposeUri: string): string[] {
  const concept = vocs.vocabulary('028')?.concepts.get(purposeUri);
  if (!concept) return [];
  return [...new Set(concept.notes.flatMap((n) => [...n.matchAll(/scolomfr-voc-(\d{3})/gi)].map((m) => m[1])))];
}

/** Vocabulary number named by a taxon path source, or a marker that it names a concept instead. */
export function vocabularyOfSource(source: string): string | 'concept' | undefined {
  const s = source.trim();
  if (/\/concept\/scolomfr-voc-\d{3}-num-/i.test(s)) return 'concept';
  let m = /^https?:\/\/data\.education\.fr\/voc\/scolomfr\/scolomfr-voc-(\d{3})\/?$/i.exec(s);
  if (m) return m[1];
  m = /scolomfr-voc-(\d{3})(?!-num)(?![0-9])/i.exec(s);
  if (m) return m[1];
  m = /vocabulaire\s*0*(\d{1,3})\b/i.exec(s);
  if (m) return m[1].padStart(3, '0');
  return undefined;
}

/** Vocabulary revealed by the first taxon id of the form `…/scolomfr-voc-NNN-num-…`. */
export function vocabularyOfTaxonIds(ids: (string | undefined)[]): string | undefined {
  for (const id of ids) {
    const m = /\/concept\/scolomfr-voc-(\d{3})-num-/.exec(id ?? '');
    if (m) return m[1];
  }
  return undefined;
}

export async function validateScolomfr(xml: string | Buffer, opts: ScolomfrValidationOptions = {}): Promise<ScolomfrValidationResult> {
  const findings: Finding[] = [];
  let root: XmlElement;
  try {
    root = parseXmlSafely(xml);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    findings.push({ code: 'SCOLOMFR_XML_MALFORMED', severity: 'error', message: e.message });
    return { valid: false, findings, xsd: { checked: false, valid: false }, vocabulariesChecked: false };
  }
  if (root.local !== 'lom' || root.ns !== SCOLOMFR_NS.lom) {
    findings.push({
      code: 'SCOLOMFR_NOT_LOM',
      severity: 'error',
      message: `la racine est <${root.name}> (espace de noms ${root.ns || 'aucun'}) et non <lom> de ${SCOLOMFR_NS.lom}`,
    });
    return { valid: false, findings, xsd: { checked: false, valid: false }, vocabulariesChecked: false };
  }
  findings.push(...readScolomfrTree(root).findings);

  let xsd: XsdResult = { checked: false, valid: false, errors: [], unavailable: 'not requested' };
  if (opts.xsd !== false) {
    xsd = await validateXmlWithXsd(xml, corpusPath('scolomfrXsd', opts));
    if (!xsd.checked) {
      findings.push({ code: 'SCOLOMFR_XSD_NOT_CHECKED', severity: 'warning', message: `validation XSD non faite : ${xsd.unavailable}` });
    }
    for (const e of xsd.errors) {
      findings.push({ code: 'SCOLOMFR_XSD_INVALID', severity: 'error', line: e.line, message: e.message, ...(e.element ? { path: e.element } : {}) });
    }
  }

  let vocabulariesChecked = false;
  if (opts.vocabularies !== false) {
    const vocs = scolomfrVocabularies(opts);
    if (!vocs.available()) {
      findings.push({ code: 'SCOLOMFR_VOCABULARIES_NOT_CHECKED', severity: 'warning', message: `vocabulaires ScoLOMFR introuvables dans ${vocs.vocabularyDir}` });
    } else {
      vocabulariesChecked = true;
      findings.push(...checkVocabularies(root, vocs));
    }
  }
  return { valid: !hasErrors(findings), findings, xsd: { checked: xsd.checked, valid: xsd.valid, unavailable: xsd.unavailable }, vocabulariesChecked };
}

/** The vocabulary part of the validation, on a parsed record. */
export function checkVocabularies(root: XmlElement, vocs: ScolomfrVocabularies): Finding[] {
  const findings: Finding[] = [];
  for (const v of vocabularyElements(root)) {
    const valueEl = v.rule.kind === 'vocab' ? vocabChild(v.el, 'value') : v.el;
    if (!valueEl) continue;
    const value = valueEl.text.trim();
    if (value === '') continue;
    const path = v.rule.kind === 'vocab' ? `${v.path}/${valueEl.local}` : v.path;
    const voc = vocs.vocabulary(v.rule.vocabulary);
    if (!voc) continue;
    const st = classifyValue(vocs, v.rule.vocabulary, value);
    const where = `${path} (vocabulaire scolomfr-voc-${v.rule.vocabulary})`;
    if (st.status === 'deprecated') {
      findings.push({
        code: 'SCOLOMFR_DEPRECATED_CONCEPT',
        severity: 'error',
        path,
        value,
        message: `${where} : concept déprécié en 3.1${st.replacedBy ? `, remplacé par ${st.replacedBy}` : ''}`,
      });
    } else if (st.status === 'legacy') {
      findings.push({
        code: 'SCOLOMFR_LEGACY_VALUE',
        severity: 'error',
        path,
        value,
        message: `${where} : « ${value} » est une valeur d'une version antérieure (concept ${st.uri}) ; la migration la remplace`,
      });
    } else if (st.status === 'language') {
      findings.push({
        code: 'SCOLOMFR_LANGUAGE_NOT_URI',
        severity: 'warning',
        path,
        value,
        message: `${path} : langue « ${value} » ; ScoLOMFR 3.1 l'écrit ${st.uri}`,
      });
    } else if (st.status === 'unknown') {
      if (v.rule.vocabulary === '006') {
        findings.push({ code: 'SCOLOMFR_UNKNOWN_FORMAT', severity: 'warning', path, value, message: `${where} : format « ${value} » absent du vocabulaire` });
      } else {
        findings.push({ code: 'SCOLOMFR_VALUE_NOT_IN_VOCABULARY', severity: 'error', path, value, message: `${where} : « ${value} » n'est pas un concept de ce vocabulaire` });
      }
    } else if (st.status === 'concept' && v.rule.kind === 'vocab') {
      const labelEl = vocabChild(v.el, 'label');
      const label = labelEl?.text.trim();
      const concept = voc.concepts.get(st.uri)!;
      if (label && !concept.labels.some((l) => normaliseLabel(l) === normaliseLabel(label))) {
        findings.push({
          code: 'SCOLOMFR_LABEL_MISMATCH',
          severity: 'warning',
          path: `${v.path}/${labelEl!.local}`,
          value: label,
          message: `${v.path} : le libellé « ${label} » n'est pas un terme du concept ${st.uri} (terme préférentiel : « ${concept.prefLabel} »)`,
        });
      }
    }
  }
  findings.push(...checkClassifications(root, vocs));
  return findings;
}

function checkClassifications(root: XmlElement, vocs: ScolomfrVocabularies): Finding[] {
  const findings: Finding[] = [];
  for (const cl of root.children.filter((c) => c.local === 'classification')) {
    const cp = `lom/${stepName(root, cl)}`;
    const purposeEl = cl.children.find((c) => c.local === 'purpose');
    const purposeValue = purposeEl ? vocabChild(purposeEl, 'value')?.text.trim() : undefined;
    const expected = purposeValue ? purposeVocabularies(vocs, purposeValue) : [];
    if (!purposeEl) {
      findings.push({ code: 'SCOLOMFR_CLASSIFICATION_WITHOUT_PURPOSE', severity: 'warning', path: cp, message: `${cp} : classification sans objectif (purpose)` });
    }
    for (const tp of cl.children.filter((c) => c.local === 'taxonPath')) {
      const tpp = `${cp}/${stepName(cl, tp)}`;
      const sourceEl = tp.children.find((c) => c.local === 'source');
      const sourceText = sourceEl ? (sourceEl.children.find((c) => c.local === 'string')?.text ?? sourceEl.text) : '';
      const taxons = tp.children.filter((c) => c.local === 'taxon');
      const ids = taxons.map((t) => t.children.find((c) => c.local === 'id')?.text.trim());
      let vocId = sourceText.trim() ? vocabularyOfSource(sourceText) : undefined;
      if (vocId === 'concept') {
        findings.push({
          code: 'SCOLOMFR_TAXONPATH_SOURCE_NOT_A_VOCABULARY',
          severity: 'error',
          path: `${tpp}/source`,
          value: sourceText.trim(),
          message: `${tpp}/source désigne un concept (${sourceText.trim()}) et non un vocabulaire ScoLOMFR`,
        });
        continue;
      }
      vocId = vocId ?? vocabularyOfTaxonIds(ids);
      if (!vocId) continue; // free classification (other nomenclature): nothing to check against
      const voc = vocs.vocabulary(vocId);
      if (!voc) continue;
      if (expected.length > 0 && !expected.includes(vocId)) {
        findings.push({
          code: 'SCOLOMFR_PURPOSE_VOCABULARY_MISMATCH',
          severity: 'warning',
          path: tpp,
          value: vocId,
          message: `${tpp} : taxons du vocabulaire scolomfr-voc-${vocId}, alors que l'objectif ${purposeValue} appelle scolomfr-voc-${expected.join(' ou ')}`,
        });
      }
      checkTaxons(voc, vocs, taxons, ids, tp, tpp, findings);
    }
  }
  return findings;
}

function checkTaxons(
  voc: Vocabulary,
  vocs: ScolomfrVocabularies,
  taxons: XmlElement[],
  ids: (string | undefined)[],
  tp: XmlElement,
  tpp: string,
  findings: Finding[],
): void {
  let previous: string | undefined;
  taxons.forEach((t, i) => {
    const id = ids[i];
    const path = `${tpp}/${stepName(tp, t)}/id`;
    if (!id) {
      previous = undefined;
      return;
    }
    if (!voc.concepts.has(id)) {
      const st = classifyValue(vocs, voc.id, id);
      findings.push(
        st.status === 'deprecated'
          ? {
              code: 'SCOLOMFR_DEPRECATED_CONCEPT',
              severity: 'error',
              path,
              value: id,
              message: `${path} : concept déprécié en 3.1${st.replacedBy ? `, remplacé par ${st.replacedBy}` : ''}`,
            }
          : st.status === 'legacy'
            ? {
                code: 'SCOLOMFR_LEGACY_VALUE',
                severity: 'error',
                path,
                value: id,
                message: `${path} : « ${id} » est un identifiant d'une version antérieure (concept ${st.uri}) ; la migration le remplace`,
              }
            : {
                code: 'SCOLOMFR_TAXON_NOT_IN_VOCABULARY',
                severity: 'error',
                path,
                value: id,
                message: `${path} : « ${id} » n'appartient pas au vocabulaire ${VOCABULARY_URI_PREFIX}${voc.id}`,
              },
      );
      previous = undefined;
      return;
    }
    const concept = voc.concepts.get(id)!;
    const prev = previous ? voc.concepts.get(previous) : undefined;
    if (prev && voc.hierarchical && concept.inHierarchy && prev.inHierarchy && !concept.parents.has(prev.uri)) {
      findings.push({
        code: 'SCOLOMFR_TAXONS_NOT_CONSECUTIVE',
        severity: 'error',
        path,
        value: id,
        message: `${path} : « ${id} » n'est pas un concept plus spécifique du taxon précédent (${previous}) dans le vocabulaire ${voc.id}`,
      });
    }
    previous = id;
  });
}
