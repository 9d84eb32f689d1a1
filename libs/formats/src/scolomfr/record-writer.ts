/**
 * Writes a full {@link ScolomfrRecord} as ScoLOMFR XML (LOM default namespace,
 * `lomfr:` and `scolomfr:` prefixes): everything `readScolomfr` reads comes
 * back out, in the category order of the ScoLOMFR manual. Deterministic.
 */
import { XmlWriter } from '../xml/xml-escape';
import {
  Contribution,
  DateTimeValue,
  DurationValue,
  Identifier,
  LangStrings,
  ScolomfrRecord,
  VocabEntry,
} from './record';
import { SCOLOMFR_NS } from './ns';

function has(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).some(has);
  return v !== '';
}

export function writeScolomfrFullRecord(rec: ScolomfrRecord): string {
  const w = new XmlWriter();
  const langStrings = (name: string, ls: LangStrings | undefined) => {
    if (!ls) return;
    if (ls.length === 0) {
      w.empty(name);
      return;
    }
    w.open(name);
    for (const s of ls) w.leaf('string', s.value, s.language ? { language: s.language } : undefined);
    w.close(name);
  };
  const vocab = (name: string, v: VocabEntry | undefined, prefix = '') => {
    if (!v) return;
    w.open(`${prefix}${name}`);
    if (v.source) w.leaf(`${prefix}source`, v.source);
    if (v.label) w.leaf(`${prefix}label`, v.label);
    if (v.value) w.leaf(`${prefix}value`, v.value);
    w.close(`${prefix}${name}`);
  };
  const identifier = (id: Identifier) => {
    w.open('identifier');
    if (id.catalog !== undefined) w.leaf('catalog', id.catalog);
    if (id.entry !== undefined) w.leaf('entry', id.entry);
    w.close('identifier');
  };
  const dateTime = (name: string, d: DateTimeValue | undefined) => {
    if (!d) return;
    w.open(name);
    if (d.dateTime) w.leaf('dateTime', d.dateTime);
    langStrings('description', d.description);
    w.close(name);
  };
  const duration = (name: string, d: DurationValue | undefined) => {
    if (!d) return;
    w.open(name);
    if (d.duration) w.leaf('duration', d.duration);
    langStrings('description', d.description);
    w.close(name);
  };
  const contribution = (c: Contribution) => {
    w.open('contribute');
    vocab('role', c.role);
    for (const e of c.entities) w.leaf('entity', e);
    dateTime('date', c.date);
    w.close('contribute');
  };

  w.open('lom', { xmlns: SCOLOMFR_NS.lom, 'xmlns:lomfr': SCOLOMFR_NS.lomfr, 'xmlns:scolomfr': SCOLOMFR_NS.scolomfr });

  const g = rec.general;
  if (has(g)) {
    w.open('general');
    g.identifiers.forEach(identifier);
    langStrings('title', g.title);
    for (const l of g.languages) w.leaf('language', l);
    for (const d of g.descriptions) langStrings('description', d);
    for (const k of g.keywords) langStrings('keyword', k);
    for (const c of g.coverages) langStrings('coverage', c);
    vocab('structure', g.structure);
    vocab('aggregationLevel', g.aggregationLevel);
    for (const d of g.documentTypes) vocab('documentType', d, 'lomfr:');
    for (const d of g.generalResourceTypes) vocab('generalResourceType', d, 'scolomfr:');
    w.close('general');
  }

  const lc = rec.lifeCycle;
  if (has(lc)) {
    w.open('lifeCycle');
    langStrings('version', lc.version);
    vocab('status', lc.status);
    lc.contributions.forEach(contribution);
    w.close('lifeCycle');
  }

  const mm = rec.metaMetadata;
  if (has(mm)) {
    w.open('metaMetadata');
    mm.identifiers.forEach(identifier);
    mm.contributions.forEach(contribution);
    for (const s of mm.metadataSchemas) w.leaf('metadataSchema', s);
    if (mm.language) w.leaf('language', mm.language);
    w.close('metaMetadata');
  }

  const t = rec.technical;
  if (has(t)) {
    w.open('technical');
    for (const f of t.formats) w.leaf('format', f);
    if (t.size !== undefined) w.leaf('size', t.size);
    for (const l of t.locations) w.leaf('location', l);
    for (const x of t.extendedLocations) {
      w.open('scolomfr:extendedLocation');
      for (const l of x.locations) w.leaf('scolomfr:location', l);
      if (x.platform !== undefined) w.leaf('scolomfr:platform', x.platform);
      vocab('personalDataProcessType', x.personalDataProcessType, 'scolomfr:');
      for (const d of x.descriptions) langStrings('description', d);
      w.close('scolomfr:extendedLocation');
    }
    for (const req of t.requirements) {
      w.open('requirement');
      for (const o of req) {
        w.open('orComposite');
        vocab('type', o.type);
        vocab('name', o.name);
        if (o.minimumVersion !== undefined) w.leaf('minimumVersion', o.minimumVersion);
        if (o.maximumVersion !== undefined) w.leaf('maximumVersion', o.maximumVersion);
        w.close('orComposite');
      }
      w.close('requirement');
    }
    langStrings('installationRemarks', t.installationRemarks);
    langStrings('otherPlatformRequirements', t.otherPlatformRequirements);
    duration('duration', t.duration);
    w.close('technical');
  }

  for (const e of rec.educational) {
    if (!has(e)) {
      w.empty('educational');
      continue;
    }
    w.open('educational');
    vocab('interactivityType', e.interactivityType);
    for (const v of e.learningResourceTypes) vocab('learningResourceType', v);
    vocab('interactivityLevel', e.interactivityLevel);
    vocab('semanticDensity', e.semanticDensity);
    for (const v of e.intendedEndUserRoles) vocab('intendedEndUserRole', v);
    for (const v of e.contexts) vocab('context', v);
    for (const a of e.typicalAgeRanges) langStrings('typicalAgeRange', a);
    vocab('difficulty', e.difficulty);
    duration('typicalLearningTime', e.typicalLearningTime);
    for (const d of e.descriptions) langStrings('description', d);
    for (const l of e.languages) w.leaf('language', l);
    for (const v of e.activities) vocab('activity', v, 'lomfr:');
    for (const c of e.credits) w.leaf('lomfr:credit', c);
    for (const v of e.places) vocab('place', v, 'scolomfr:');
    for (const v of e.educationalMethods) vocab('educationalMethod', v, 'scolomfr:');
    for (const v of e.tools) vocab('tool', v, 'scolomfr:');
    w.close('educational');
  }

  const rt = rec.rights;
  if (has(rt)) {
    w.open('rights');
    vocab('cost', rt.cost);
    vocab('copyrightAndOtherRestrictions', rt.copyrightAndOtherRestrictions);
    langStrings('description', rt.description);
    w.close('rights');
  }

  for (const rel of rec.relations) {
    if (!has(rel)) {
      w.empty('relation');
      continue;
    }
    w.open('relation');
    vocab('kind', rel.kind);
    if (rel.resource) {
      w.open('resource');
      rel.resource.identifiers.forEach(identifier);
      for (const d of rel.resource.descriptions) langStrings('description', d);
      w.close('resource');
    }
    w.close('relation');
  }

  for (const a of rec.annotations) {
    if (!has(a)) {
      w.empty('annotation');
      continue;
    }
    w.open('annotation');
    if (a.entity !== undefined) w.leaf('entity', a.entity);
    dateTime('date', a.date);
    langStrings('description', a.description);
    w.close('annotation');
  }

  for (const c of rec.classifications) {
    if (!has(c)) {
      w.empty('classification');
      continue;
    }
    w.open('classification');
    vocab('purpose', c.purpose);
    for (const tp of c.taxonPaths) {
      w.open('taxonPath');
      langStrings('source', tp.source);
      for (const tx of tp.taxons) {
        w.open('taxon');
        if (tx.id !== undefined) w.leaf('id', tx.id);
        langStrings('entry', tx.entry);
        w.close('taxon');
      }
      w.close('taxonPath');
    }
    langStrings('description', c.description);
    for (const k of c.keywords) langStrings('keyword', k);
    w.close('classification');
  }

  w.close('lom');
  return w.toString();
}
