/**
 * Reads a ScoLOMFR record (1.x, 2.x or 3.x; LOM with the LOMFR and ScoLOMFR
 * extensions) into a {@link ScolomfrRecord}. Nothing is validated here beyond
 * the structure (see `validateScolomfr`); the reader reports what it could
 * not take in as findings:
 *
 * - `SCOLOMFR_VALUE_WHITESPACE` (warning): a URI (vocabulary value, taxon
 *   id) written with surrounding whitespace or line breaks, as some real
 *   exports do; the value is read trimmed.
 * - `SCOLOMFR_DUPLICATE_CATEGORY` (error): a category that LOM allows once
 *   (general, lifeCycle, metaMetadata, technical, rights) appears again; the
 *   first one is read.
 * - `SCOLOMFR_ELEMENT_IGNORED` (info): an element this reader does not model
 *   (extension or misplaced element); it is not kept.
 */
import { FormatError } from '../errors';
import { parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { Finding } from './findings';
import {
  Annotation,
  Classification,
  Contribution,
  DateTimeValue,
  DurationValue,
  Educational,
  emptyEducational,
  emptyScolomfrRecord,
  ExtendedLocation,
  Identifier,
  LangStrings,
  OrComposite,
  Relation,
  ScolomfrRecord,
  TaxonPath,
  VocabEntry,
} from './record';
import { SCOLOMFR_NS } from './ns';
import { stepName } from './vocab-elements';

export interface ScolomfrReadResult {
  record: ScolomfrRecord;
  findings: Finding[];
  /** `metaMetadata/metadataSchema` values, e.g. `['LOMv1.0', 'LOMFRv1.0', 'SCOLOMFRv3.1']`. */
  declaredSchemas: string[];
}

const KNOWN_NS = new Set<string>(Object.values(SCOLOMFR_NS));

class Reader {
  readonly findings: Finding[] = [];

  text(el: XmlElement | undefined): string | undefined {
    if (!el) return undefined;
    const t = el.text.trim();
    return t === '' ? undefined : t;
  }

  /** A URI-like value: trimmed, whitespace reported. */
  uri(el: XmlElement | undefined, path: string): string | undefined {
    if (!el) return undefined;
    const t = el.text.trim();
    if (t !== el.text && t !== '' && /\s/.test(el.text)) {
      this.findings.push({
        code: 'SCOLOMFR_VALUE_WHITESPACE',
        severity: 'warning',
        path,
        value: t,
        message: `la valeur de ${path} est entourée d'espaces ou de retours à la ligne : lue sans eux`,
      });
    }
    return t === '' ? undefined : t;
  }

  ignored(el: XmlElement, path: string): void {
    this.findings.push({
      code: 'SCOLOMFR_ELEMENT_IGNORED',
      severity: 'info',
      path,
      message: `élément <${el.name}> non repris par le lecteur`,
    });
  }

  langStrings(el: XmlElement | undefined): LangStrings | undefined {
    if (!el) return undefined;
    const out = el.children
      .filter((c) => c.local === 'string')
      .map((s) => ({ ...(s.attrs.language ? { language: s.attrs.language } : {}), value: s.text.trim() }));
    if (out.length === 0 && el.text.trim() !== '') out.push({ value: el.text.trim() });
    return out;
  }

  vocab(el: XmlElement | undefined, path: string): VocabEntry | undefined {
    if (!el) return undefined;
    const source = this.text(el.children.find((c) => c.local === 'source'));
    const valueEl = el.children.find((c) => c.local === 'value');
    const value = this.uri(valueEl, `${path}/value`);
    const label = el.children.find((c) => c.local === 'label')?.text.trim();
    if (value === undefined && !label && !source) return undefined;
    return { ...(source ? { source } : {}), value: value ?? '', ...(label ? { label } : {}) };
  }

  identifier(el: XmlElement): Identifier {
    const catalog = this.text(el.children.find((c) => c.local === 'catalog'));
    const entry = this.text(el.children.find((c) => c.local === 'entry'));
    return { ...(catalog !== undefined ? { catalog } : {}), ...(entry !== undefined ? { entry } : {}) };
  }

  dateTime(el: XmlElement | undefined): DateTimeValue | undefined {
    if (!el) return undefined;
    const dateTime = this.text(el.children.find((c) => c.local === 'dateTime'));
    const description = this.langStrings(el.children.find((c) => c.local === 'description'));
    if (dateTime === undefined && !description) return undefined;
    return { ...(dateTime ? { dateTime } : {}), ...(description ? { description } : {}) };
  }

  duration(el: XmlElement | undefined): DurationValue | undefined {
    if (!el) return undefined;
    const duration = this.text(el.children.find((c) => c.local === 'duration'));
    const description = this.langStrings(el.children.find((c) => c.local === 'description'));
    if (duration === undefined && !description) return undefined;
    return { ...(duration ? { duration } : {}), ...(description ? { description } : {}) };
  }

  contribution(el: XmlElement, path: string): Contribution {
    const c: Contribution = { entities: [] };
    for (const ch of el.children) {
      const p = `${path}/${stepName(el, ch)}`;
      if (ch.local === 'role') c.role = this.vocab(ch, p);
      else if (ch.local === 'entity') {
        const t = ch.text.trim();
        if (t) c.entities.push(t);
      } else if (ch.local === 'date') c.date = this.dateTime(ch);
      else this.ignored(ch, p);
    }
    return c;
  }
}

/**
 * Reads a ScoLOMFR / LOMFR / LOM record. Throws `FormatError` when the
 * document is not well-formed XML (or uses a DTD) or is not a LOM record.
 */
export function readScolomfr(xml: string | Buffer): ScolomfrReadResult {
  const root = parseXmlSafely(xml);
  if (root.local !== 'lom' || root.ns !== SCOLOMFR_NS.lom) {
    throw new FormatError('INVALID_INPUT', `not a LOM / ScoLOMFR record: root is <${root.name}> in namespace ${root.ns || '(none)'}, expected <lom> in ${SCOLOMFR_NS.lom}`);
  }
  return readScolomfrTree(root);
}

export function readScolomfrTree(root: XmlElement): ScolomfrReadResult {
  const r = new Reader();
  const rec = emptyScolomfrRecord();
  const seen = new Set<string>();
  const once = (el: XmlElement, path: string): boolean => {
    if (seen.has(el.local)) {
      r.findings.push({
        code: 'SCOLOMFR_DUPLICATE_CATEGORY',
        severity: 'error',
        path,
        message: `la catégorie <${el.local}> apparaît plusieurs fois (une seule est permise) : seule la première est lue`,
      });
      return false;
    }
    seen.add(el.local);
    return true;
  };

  for (const cat of root.children) {
    const cp = `lom/${stepName(root, cat)}`;
    if (cat.ns && !KNOWN_NS.has(cat.ns)) {
      r.ignored(cat, cp);
      continue;
    }
    switch (cat.local) {
      case 'general':
        if (once(cat, cp)) readGeneral(r, cat, cp, rec);
        break;
      case 'lifeCycle':
        if (once(cat, cp)) {
          for (const ch of cat.children) {
            const p = `${cp}/${stepName(cat, ch)}`;
            if (ch.local === 'version') rec.lifeCycle.version = r.langStrings(ch);
            else if (ch.local === 'status') rec.lifeCycle.status = r.vocab(ch, p);
            else if (ch.local === 'contribute') rec.lifeCycle.contributions.push(r.contribution(ch, p));
            else r.ignored(ch, p);
          }
        }
        break;
      case 'metaMetadata':
        if (once(cat, cp)) {
          for (const ch of cat.children) {
            const p = `${cp}/${stepName(cat, ch)}`;
            if (ch.local === 'identifier') rec.metaMetadata.identifiers.push(r.identifier(ch));
            else if (ch.local === 'contribute') rec.metaMetadata.contributions.push(r.contribution(ch, p));
            else if (ch.local === 'metadataSchema') {
              const t = r.text(ch);
              if (t) rec.metaMetadata.metadataSchemas.push(t);
            } else if (ch.local === 'language') rec.metaMetadata.language = r.uri(ch, p);
            else r.ignored(ch, p);
          }
        }
        break;
      case 'technical':
        if (once(cat, cp)) readTechnical(r, cat, cp, rec);
        break;
      case 'educational':
        rec.educational.push(readEducational(r, cat, cp));
        break;
      case 'rights':
        if (once(cat, cp)) {
          for (const ch of cat.children) {
            const p = `${cp}/${stepName(cat, ch)}`;
            if (ch.local === 'cost') rec.rights.cost = r.vocab(ch, p);
            else if (ch.local === 'copyrightAndOtherRestrictions') rec.rights.copyrightAndOtherRestrictions = r.vocab(ch, p);
            else if (ch.local === 'description') rec.rights.description = r.langStrings(ch);
            else r.ignored(ch, p);
          }
        }
        break;
      case 'relation':
        rec.relations.push(readRelation(r, cat, cp));
        break;
      case 'annotation': {
        const a: Annotation = {};
        for (const ch of cat.children) {
          const p = `${cp}/${stepName(cat, ch)}`;
          if (ch.local === 'entity') a.entity = ch.text.trim() || undefined;
          else if (ch.local === 'date') a.date = r.dateTime(ch);
          else if (ch.local === 'description') a.description = r.langStrings(ch);
          else r.ignored(ch, p);
        }
        if (a.entity === undefined) delete a.entity;
        if (a.date === undefined) delete a.date;
        rec.annotations.push(a);
        break;
      }
      case 'classification':
        rec.classifications.push(readClassification(r, cat, cp));
        break;
      default:
        r.ignored(cat, cp);
    }
  }
  return { record: rec, findings: r.findings, declaredSchemas: rec.metaMetadata.metadataSchemas };
}

function readGeneral(r: Reader, cat: XmlElement, cp: string, rec: ScolomfrRecord): void {
  const g = rec.general;
  for (const ch of cat.children) {
    const p = `${cp}/${stepName(cat, ch)}`;
    switch (ch.local) {
      case 'identifier':
        g.identifiers.push(r.identifier(ch));
        break;
      case 'title':
        g.title = r.langStrings(ch);
        break;
      case 'language': {
        const v = r.uri(ch, p);
        if (v) g.languages.push(v);
        break;
      }
      case 'description':
        g.descriptions.push(r.langStrings(ch) ?? []);
        break;
      case 'keyword':
        g.keywords.push(r.langStrings(ch) ?? []);
        break;
      case 'coverage':
        g.coverages.push(r.langStrings(ch) ?? []);
        break;
      case 'structure':
        g.structure = r.vocab(ch, p);
        break;
      case 'aggregationLevel':
        g.aggregationLevel = r.vocab(ch, p);
        break;
      case 'documentType': {
        const v = r.vocab(ch, p);
        if (v) g.documentTypes.push(v);
        break;
      }
      case 'generalResourceType': {
        const v = r.vocab(ch, p);
        if (v) g.generalResourceTypes.push(v);
        break;
      }
      default:
        r.ignored(ch, p);
    }
  }
}

function readTechnical(r: Reader, cat: XmlElement, cp: string, rec: ScolomfrRecord): void {
  const t = rec.technical;
  for (const ch of cat.children) {
    const p = `${cp}/${stepName(cat, ch)}`;
    switch (ch.local) {
      case 'format': {
        const v = r.uri(ch, p);
        if (v) t.formats.push(v);
        break;
      }
      case 'size':
        t.size = r.text(ch);
        break;
      case 'location': {
        const v = r.uri(ch, p);
        if (v) t.locations.push(v);
        break;
      }
      case 'extendedLocation': {
        const x: ExtendedLocation = { locations: [], descriptions: [] };
        for (const e of ch.children) {
          const ep = `${p}/${stepName(ch, e)}`;
          if (e.local === 'location') {
            const v = r.uri(e, ep);
            if (v) x.locations.push(v);
          } else if (e.local === 'platform') x.platform = r.text(e);
          else if (e.local === 'personalDataProcessType') x.personalDataProcessType = r.vocab(e, ep);
          else if (e.local === 'description') x.descriptions.push(r.langStrings(e) ?? []);
          else r.ignored(e, ep);
        }
        if (x.platform === undefined) delete x.platform;
        if (x.personalDataProcessType === undefined) delete x.personalDataProcessType;
        t.extendedLocations.push(x);
        break;
      }
      case 'requirement': {
        const alternatives: OrComposite[] = [];
        for (const oc of ch.children) {
          const op = `${p}/${stepName(ch, oc)}`;
          if (oc.local !== 'orComposite') {
            r.ignored(oc, op);
            continue;
          }
          const o: OrComposite = {};
          for (const e of oc.children) {
            const ep = `${op}/${stepName(oc, e)}`;
            if (e.local === 'type') o.type = r.vocab(e, ep);
            else if (e.local === 'name') o.name = r.vocab(e, ep);
            else if (e.local === 'minimumVersion') o.minimumVersion = r.text(e);
            else if (e.local === 'maximumVersion') o.maximumVersion = r.text(e);
            else r.ignored(e, ep);
          }
          for (const k of Object.keys(o) as (keyof OrComposite)[]) if (o[k] === undefined) delete o[k];
          alternatives.push(o);
        }
        t.requirements.push(alternatives);
        break;
      }
      case 'installationRemarks':
        t.installationRemarks = r.langStrings(ch);
        break;
      case 'otherPlatformRequirements':
        t.otherPlatformRequirements = r.langStrings(ch);
        break;
      case 'duration':
        t.duration = r.duration(ch);
        break;
      default:
        r.ignored(ch, p);
    }
  }
}

function readEducational(r: Reader, cat: XmlElement, cp: string): Educational {
  const e = emptyEducational();
  const push = (list: VocabEntry[], v: VocabEntry | undefined) => v && list.push(v);
  for (const ch of cat.children) {
    const p = `${cp}/${stepName(cat, ch)}`;
    switch (ch.local) {
      case 'interactivityType':
        e.interactivityType = r.vocab(ch, p);
        break;
      case 'learningResourceType':
        push(e.learningResourceTypes, r.vocab(ch, p));
        break;
      case 'interactivityLevel':
        e.interactivityLevel = r.vocab(ch, p);
        break;
      case 'semanticDensity':
        e.semanticDensity = r.vocab(ch, p);
        break;
      case 'intendedEndUserRole':
        push(e.intendedEndUserRoles, r.vocab(ch, p));
        break;
      case 'context':
        push(e.contexts, r.vocab(ch, p));
        break;
      case 'typicalAgeRange':
        e.typicalAgeRanges.push(r.langStrings(ch) ?? []);
        break;
      case 'difficulty':
        e.difficulty = r.vocab(ch, p);
        break;
      case 'typicalLearningTime':
        e.typicalLearningTime = r.duration(ch);
        break;
      case 'description':
        e.descriptions.push(r.langStrings(ch) ?? []);
        break;
      case 'language': {
        const v = r.uri(ch, p);
        if (v) e.languages.push(v);
        break;
      }
      case 'activity':
        push(e.activities, r.vocab(ch, p));
        break;
      case 'credit': {
        const v = r.text(ch);
        if (v) e.credits.push(v);
        break;
      }
      case 'place':
        push(e.places, r.vocab(ch, p));
        break;
      case 'educationalMethod':
        push(e.educationalMethods, r.vocab(ch, p));
        break;
      case 'tool':
        push(e.tools, r.vocab(ch, p));
        break;
      default:
        r.ignored(ch, p);
    }
  }
  for (const k of ['interactivityType', 'interactivityLevel', 'semanticDensity', 'difficulty', 'typicalLearningTime'] as const) {
    if (e[k] === undefined) delete e[k];
  }
  return e;
}

function readRelation(r: Reader, cat: XmlElement, cp: string): Relation {
  const rel: Relation = {};
  for (const ch of cat.children) {
    const p = `${cp}/${stepName(cat, ch)}`;
    if (ch.local === 'kind') rel.kind = r.vocab(ch, p);
    else if (ch.local === 'resource') {
      const res = { identifiers: [] as Identifier[], descriptions: [] as LangStrings[] };
      for (const e of ch.children) {
        const ep = `${p}/${stepName(ch, e)}`;
        if (e.local === 'identifier') res.identifiers.push(r.identifier(e));
        else if (e.local === 'description') res.descriptions.push(r.langStrings(e) ?? []);
        else r.ignored(e, ep);
      }
      rel.resource = res;
    } else r.ignored(ch, p);
  }
  if (rel.kind === undefined) delete rel.kind;
  return rel;
}

function readClassification(r: Reader, cat: XmlElement, cp: string): Classification {
  const c: Classification = { taxonPaths: [], keywords: [] };
  for (const ch of cat.children) {
    const p = `${cp}/${stepName(cat, ch)}`;
    if (ch.local === 'purpose') {
      const v = r.vocab(ch, p);
      if (v) c.purpose = v;
    } else if (ch.local === 'taxonPath') {
      const tp: TaxonPath = { taxons: [] };
      for (const e of ch.children) {
        const ep = `${p}/${stepName(ch, e)}`;
        if (e.local === 'source') tp.source = r.langStrings(e);
        else if (e.local === 'taxon') {
          const id = r.uri(e.children.find((x) => x.local === 'id'), `${ep}/id`);
          const entry = r.langStrings(e.children.find((x) => x.local === 'entry'));
          tp.taxons.push({ ...(id !== undefined ? { id } : {}), ...(entry ? { entry } : {}) });
        } else r.ignored(e, ep);
      }
      c.taxonPaths.push(tp);
    } else if (ch.local === 'description') c.description = r.langStrings(ch);
    else if (ch.local === 'keyword') c.keywords.push(r.langStrings(ch) ?? []);
    else r.ignored(ch, p);
  }
  return c;
}
