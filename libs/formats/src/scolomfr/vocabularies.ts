/**
 * The ScoLOMFR 3.1 vocabularies (Réseau Canopé "NOMENCLATURE" XML export of
 * the SKOS-XL vocabularies: concept URI, preferred and alternative terms,
 * legacy term ids, narrower concepts) and the official migration ("passage")
 * tables, loaded lazily from the shared corpus, one file per vocabulary, and
 * indexed by concept URI.
 *
 * The files are trusted inputs of the corpus but declare a DOCTYPE (a SYSTEM
 * reference to `Dtd-Nomenclature.dtd`, no internal subset): the declaration
 * is removed before the usual safe parse, nothing is ever resolved.
 *
 * Membership: the concepts of the NOMENCLATURE file, plus the concepts the
 * migration table lists (the table's concept list equals the 3.1 XSD
 * enumeration for every vocabulary; the NOMENCLATURE files of 016 and 022
 * omit 38 and 8 of them). Vocabulary 015 (domaine d'enseignement) has no
 * NOMENCLATURE file in the package: its concepts come from its migration
 * table and from the 3.1 XSD enumeration `voc_015.xsd` (563 newer concepts
 * are only there), without hierarchy.
 *
 * Legacy values (1.x/2.x labels and ids) are looked up in the migration
 * table first, then among the terms of the NOMENCLATURE (alternative terms
 * such as `3` for aggregation level `3 - Cours`, or `fre` for French).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenNamed, firstChild, parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { CorpusOptions, corpusPath } from './corpus';

export interface VocabularyConcept {
  uri: string;
  /** Preferred French term (first TERME). */
  prefLabel: string;
  /** Every term: TERME, TERME_TE (alternative), TERME_TA (associated). */
  labels: string[];
  /** Legacy term ids (`scolomfr-voc-010-num-028`, `lecture`…). */
  termIds: string[];
  /** Broader concepts (a concept may sit in several places). */
  parents: Set<string>;
  /** Whether the concept is placed in the vocabulary's hierarchy (NOMENCLATURE file). */
  inHierarchy: boolean;
  /** Scope notes (NA). */
  notes: string[];
}

export interface Vocabulary {
  /** Three digits, `022`. */
  id: string;
  concepts: Map<string, VocabularyConcept>;
  /** Whether the source gave a hierarchy (narrower concepts). */
  hierarchical: boolean;
  /** Where the concepts came from. */
  origin: 'nomenclature' | 'migration-table';
  /** Legacy value (label, term id, URI) → concept URI, exact. */
  legacy: Map<string, string>;
  /** Normalised legacy value → concept URI, when unambiguous. */
  legacyNormalised: Map<string, string>;
}

export interface DeprecatedConcept {
  uri: string;
  label: string;
  /** Every term (labels and term ids). */
  terms: string[];
  replacedBy?: string;
}

export interface MigrationTable {
  id: string;
  /** Legacy value (label, legacy id or URI), exact → concept URI. */
  exact: Map<string, string>;
  /** Normalised legacy value → concept URI (when unambiguous). */
  normalised: Map<string, string>;
  prefTerms: Map<string, string>;
}

/** Lower case, typographic apostrophes folded, whitespace collapsed: for comparing labels. */
export function normaliseLabel(value: string): string {
  return value
    .normalize('NFC')
    .replace(/[\u2019\u2018\u02bc]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** `22`, `022`, `scolomfr-voc-022` → `022`. */
export function vocabularyId(value: string | number): string {
  const m = /(\d{1,3})$/.exec(String(value));
  if (!m) throw new Error(`not a vocabulary number: ${value}`);
  return m[1].padStart(3, '0');
}

export const VOCABULARY_URI_PREFIX = 'http://data.education.fr/voc/scolomfr/scolomfr-voc-';
export const CONCEPT_URI_PREFIX = 'http://data.education.fr/voc/scolomfr/concept/';

function readTrusted(file: string): XmlElement {
  const text = readFileSync(file, 'utf8').replace(/<!DOCTYPE[^>[]*>/, '');
  return parseXmlSafely(text, { maxBytes: 64 * 1024 * 1024 });
}

function termsOf(concept: XmlElement, kind: string): { label: string; id: string }[] {
  return childrenNamed(concept, kind).map((t) => ({
    label: (firstChild(t, 'INTITULE')?.text ?? '').trim(),
    id: (firstChild(t, 'ID')?.text ?? '').trim(),
  }));
}

/** Lazily loaded, cached per corpus directory. */
export class ScolomfrVocabularies {
  private readonly vocabularies = new Map<string, Vocabulary | null>();
  private readonly tables = new Map<string, MigrationTable | null>();
  private deprecated?: Map<string, DeprecatedConcept>;
  private deprecatedByTerm?: Map<string, DeprecatedConcept[]>;

  constructor(private readonly opts: CorpusOptions = {}) {}

  get vocabularyDir(): string {
    return corpusPath('scolomfrVocabularies', this.opts);
  }

  get migrationDir(): string {
    return corpusPath('scolomfrMigrationTables', this.opts);
  }

  /** Whether the corpus files are there at all. */
  available(): boolean {
    return existsSync(this.vocabularyDir) && existsSync(this.migrationDir);
  }

  /** The vocabulary, or undefined when the corpus has neither its NOMENCLATURE file nor its migration table. */
  vocabulary(id: string | number): Vocabulary | undefined {
    const key = vocabularyId(id);
    if (!this.vocabularies.has(key)) this.vocabularies.set(key, this.loadVocabulary(key));
    return this.vocabularies.get(key) ?? undefined;
  }

  migrationTable(id: string | number): MigrationTable | undefined {
    const key = vocabularyId(id);
    if (!this.tables.has(key)) this.tables.set(key, this.loadTable(key));
    return this.tables.get(key) ?? undefined;
  }

  /** Concepts withdrawn in 3.1 (`conceptsDeprecies.xml`), with their replacement. */
  deprecatedConcept(uri: string): DeprecatedConcept | undefined {
    if (!this.deprecated) {
      this.deprecated = new Map();
      const file = join(this.vocabularyDir, 'conceptsDeprecies.xml');
      if (existsSync(file)) {
        for (const c of childrenNamed(readTrusted(file), 'CONCEPT')) {
          const uri0 = (firstChild(c, 'ID')?.text ?? '').trim();
          const replacedBy = firstChild(c, 'REMPLACE_PAR')?.text.trim() || undefined;
          const terms = [...termsOf(c, 'TERME'), ...termsOf(c, 'TERME_TE'), ...termsOf(c, 'TERME_TA')];
          this.deprecated.set(uri0, {
            uri: uri0,
            label: terms[0]?.label ?? '',
            terms: terms.flatMap((t) => [t.label, t.id]).filter(Boolean),
            replacedBy,
          });
        }
      }
    }
    return this.deprecated.get(uri);
  }

  /** A withdrawn concept of vocabulary `id` one of whose terms (label or term id) is `value`. */
  deprecatedConceptByTerm(id: string, value: string): DeprecatedConcept | undefined {
    if (!this.deprecatedByTerm) {
      this.deprecatedConcept('');
      this.deprecatedByTerm = new Map();
      for (const d of this.deprecated!.values()) {
        for (const t of d.terms) {
          const k = normaliseLabel(t);
          this.deprecatedByTerm.set(k, [...(this.deprecatedByTerm.get(k) ?? []), d]);
        }
      }
    }
    const vid = vocabularyId(id);
    return this.deprecatedByTerm.get(normaliseLabel(value))?.find((d) => d.uri.includes(`/scolomfr-voc-${vid}-`));
  }

  private loadVocabulary(id: string): Vocabulary | null {
    const file = join(this.vocabularyDir, `scolomfrSkosXl_n_${id.slice(1)}.xml`);
    const table = this.migrationTable(id);
    const concepts = new Map<string, VocabularyConcept>();
    let hierarchical = false;
    const nomenclature = existsSync(file);
    if (nomenclature) {
      const visit = (c: XmlElement, parent: string | undefined) => {
        const uri = (firstChild(c, 'ID')?.text ?? '').trim();
        if (!uri) return;
        let concept = concepts.get(uri);
        if (!concept) {
          const terms = [...termsOf(c, 'TERME'), ...termsOf(c, 'TERME_TE'), ...termsOf(c, 'TERME_TA')];
          concept = {
            uri,
            prefLabel: terms[0]?.label ?? '',
            labels: terms.map((t) => t.label).filter(Boolean),
            termIds: terms.map((t) => t.id).filter(Boolean),
            parents: new Set(),
            inHierarchy: true,
            notes: childrenNamed(c, 'NA').map((n) => n.text.trim()).filter(Boolean),
          };
          concepts.set(uri, concept);
        }
        if (parent) concept.parents.add(parent);
        for (const ts of childrenNamed(c, 'TS')) {
          hierarchical = true;
          for (const child of childrenNamed(ts, 'CONCEPT')) visit(child, uri);
        }
      };
      for (const c of childrenNamed(readTrusted(file), 'CONCEPT')) visit(c, undefined);
    }
    if (table) {
      for (const [uri, prefLabel] of table.prefTerms) {
        if (!concepts.has(uri)) concepts.set(uri, { uri, prefLabel, labels: prefLabel ? [prefLabel] : [], termIds: [], parents: new Set(), inHierarchy: false, notes: [] });
      }
      for (const [value, uri] of table.exact) {
        const c = concepts.get(uri);
        if (c && c.inHierarchy === false && value !== uri && !/^https?:/.test(value) && !c.labels.includes(value)) c.labels.push(value);
      }
    }
    if (!nomenclature) {
      const xsd = join(corpusPath('scolomfrVocabXsdDir', this.opts), `voc_${id}.xsd`);
      if (existsSync(xsd)) {
        for (const m of readFileSync(xsd, 'utf8').matchAll(/<xs:enumeration\s+value="(https?:[^"]+)"/g)) {
          if (!concepts.has(m[1])) concepts.set(m[1], { uri: m[1], prefLabel: '', labels: [], termIds: [], parents: new Set(), inHierarchy: false, notes: [] });
        }
      }
    }
    if (concepts.size === 0) return null;
    const legacy = new Map<string, string>(table?.exact ?? []);
    const normalised = new Map<string, string | null>();
    for (const [k, v] of table?.normalised ?? []) normalised.set(k, v);
    const add = (value: string, uri: string) => {
      if (!value) return;
      if (!legacy.has(value)) legacy.set(value, uri);
      const n = normaliseLabel(value);
      const prev = normalised.get(n);
      if (prev === undefined) normalised.set(n, uri);
      else if (prev !== null && prev !== uri && !table?.normalised.has(n)) normalised.set(n, null);
    };
    for (const c of concepts.values()) for (const v of [...c.labels, ...c.termIds]) add(v, c.uri);
    const legacyNormalised = new Map<string, string>();
    for (const [k, v] of normalised) if (v) legacyNormalised.set(k, v);
    return { id, concepts, hierarchical, origin: nomenclature ? 'nomenclature' : 'migration-table', legacy, legacyNormalised };
  }

  private loadTable(id: string): MigrationTable | null {
    const file = join(this.migrationDir, `scolomfr_pt_voc_${id}.xml`);
    if (!existsSync(file)) return null;
    const exact = new Map<string, string>();
    const normalised = new Map<string, string | null>();
    const prefTerms = new Map<string, string>();
    for (const c of childrenNamed(readTrusted(file), 'concept')) {
      const uri = (c.attrs.id ?? '').trim();
      if (!uri) continue;
      prefTerms.set(uri, c.attrs.prefTerm ?? '');
      for (const v of childrenNamed(c, 'value')) {
        const value = v.text.trim();
        if (!value) continue;
        if (!exact.has(value)) exact.set(value, uri);
        const n = normaliseLabel(value);
        const prev = normalised.get(n);
        if (prev === undefined) normalised.set(n, uri);
        else if (prev !== uri) normalised.set(n, null); // ambiguous once case and spaces are folded
      }
    }
    const unambiguous = new Map<string, string>();
    for (const [k, v] of normalised) if (v) unambiguous.set(k, v);
    return { id, exact, normalised: unambiguous, prefTerms };
  }
}

const shared = new Map<string, ScolomfrVocabularies>();

/** One cached instance per corpus directory. */
export function scolomfrVocabularies(opts: CorpusOptions = {}): ScolomfrVocabularies {
  const key = corpusPath('scolomfrVocabularies', opts);
  let v = shared.get(key);
  if (!v) {
    v = new ScolomfrVocabularies(opts);
    shared.set(key, v);
  }
  return v;
}
