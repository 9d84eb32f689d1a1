/**
 * schema.org / LRMI JSON-LD → ScoLOMFR 3.1 record. Accepts the JSON-LD as
 * written (any of the usual contexts: it is normalised first). Values are
 * mapped to ScoLOMFR concepts where the crosswalk knows them (DefinedTerms
 * carrying a ScoLOMFR concept URI are taken as they are); free-text values
 * with no ScoLOMFR equivalent are dropped and reported.
 */
import { writeVcard, vcard } from '../vcard/vcard';
import {
  Classification,
  Contribution,
  emptyEducational,
  emptyScolomfrRecord,
  LangStrings,
  ScolomfrRecord,
  VocabEntry,
} from '../scolomfr/record';
import { SCOLOMFR_SOURCE } from '../scolomfr/ns';
import {
  ALIGNMENT_TO_PURPOSE,
  BCP47_TO_ISO639_2,
  COPYRIGHT_YES,
  COST_FREE,
  COST_PAID,
  DCMI_TYPES,
  LANGUAGE_NAMES,
  LRMI_LRT_TO_SCOLOMFR,
  LRMI_ROLE_TO_END_USER,
  LRMI_USE_TO_METHOD,
  PROPERTY_TO_RELATION,
  PROPERTY_TO_ROLE,
  PURPOSE_BY_URI,
  PURPOSES,
  SCHEMA_TO_STATUS,
  SCHEMA_TYPE_TO_DCMI,
  SCOLOMFR_DOMAIN_SOURCE,
  SCOLOMFR_LEVEL_SOURCE,
  Term,
} from './crosswalk-tables';
import { normaliseJsonLd } from './lrmi';
import type { CrosswalkLoss, JsonLd } from './to-schemaorg';

export const SCHEMAORG_TO_SCOLOMFR_LOSSES = {
  SCHEMAORG_PROPERTIES_DROPPED:
    'Des informations schema.org sans équivalent ScoLOMFR (accessibilité, médias associés, mots du sujet…) ne sont pas reprises.',
  SCHEMAORG_VALUES_NOT_IN_VOCABULARIES:
    'Des valeurs en texte libre (type de ressource, public, usage…) ne correspondent à aucun terme des vocabulaires ScoLOMFR et ne sont pas reprises.',
  SCHEMAORG_VALUES_APPROXIMATED: 'Certaines valeurs sont traduites par le terme ScoLOMFR le plus proche (niveaux, alignements, rôles).',
} as const;

const C = 'http://data.education.fr/voc/scolomfr/concept/';
const MEDIATYPES = 'http://purl.org/NET/mediatypes/';
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const idOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' ? str((v as JsonLd)['@id']) ?? str((v as JsonLd).url) : undefined;

function term(t: Term): VocabEntry {
  return { source: SCOLOMFR_SOURCE, value: t.uri, label: t.label };
}

/** `en`, `fr-FR`, `English` → `http://id.loc.gov/vocabulary/iso639-2/eng`. */
export function scolomfrLanguageFromBcp47(tag: string): string | undefined {
  const t = tag.trim().toLowerCase();
  const primary = (LANGUAGE_NAMES[t] ?? t).split('-')[0];
  const code = BCP47_TO_ISO639_2[primary] ?? (/^[a-z]{3}$/.test(primary) ? primary : undefined);
  return code ? `http://id.loc.gov/vocabulary/iso639-2/${code}` : undefined;
}

/** ISO 8601 date, or `October 4, 2006` → `2006-10-04`. */
export function isoDate(value: string): string | undefined {
  const v = value.trim();
  if (/^\d{4}(-\d{2}(-\d{2})?)?([T ]\d{2}:\d{2}.*)?$/.test(v)) return v.replace(' ', 'T');
  const m = /^([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})$/.exec(v);
  const month = m ? MONTHS.indexOf(m[1].toLowerCase()) : -1;
  if (m && month >= 0) return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[2].padStart(2, '0')}`;
  return undefined;
}

/** ISO 8601 duration, or `1 hour`, `45 minutes` → `PT1H`, `PT45M`. */
export function isoDuration(value: string): string | undefined {
  const v = value.trim();
  if (/^P(?!$)[\dYMWDTHS.]+$/.test(v)) return v;
  const m = /^(\d+)\s*(h|hours?|heures?|min|minutes?)$/i.exec(v);
  if (m) return /^h/i.test(m[2]) ? `PT${m[1]}H` : `PT${m[1]}M`;
  return undefined;
}

function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') return str((v as JsonLd).name) ?? str((v as JsonLd)['@id']);
  return undefined;
}

function entityOf(v: unknown): string | undefined {
  const name = nameOf(v);
  if (!name) return undefined;
  const o = v && typeof v === 'object' ? (v as JsonLd) : {};
  const isOrg = o['@type'] === 'Organization' || (typeof v === 'string' && /\b(museum|musée|académie|université|university|lycée|collège|école|ministère|inc\.?|ltd|association|canopé|cndp|crdp)\b/i.test(name));
  const email = str(o.email);
  const card = isOrg
    ? vcard(name, { org: [name], emails: email ? [{ value: email, types: [] }] : [] })
    : vcard(name, {
        n: { family: [str(o.familyName) ?? ''].filter(Boolean), given: [str(o.givenName) ?? ''].filter(Boolean), additional: [], prefixes: [], suffixes: [] },
        emails: email ? [{ value: email, types: [] }] : [],
      });
  return writeVcard(card, { version: '3.0' }).replace(/\r\n/g, '\n').trim();
}

const KNOWN = new Set([
  '@id', '@type', '@context', 'name', 'headline', 'description', 'inLanguage', 'keywords', 'about', 'identifier', 'url',
  'learningResourceType', 'educationalLevel', 'educationalAlignment', 'audience', 'educationalRole', 'typicalAgeRange',
  'timeRequired', 'educationalUse', 'interactivityType', 'author', 'creator', 'publisher', 'editor', 'illustrator',
  'contributor', 'dateCreated', 'datePublished', 'dateModified', 'version', 'creativeWorkStatus', 'encodingFormat',
  'contentSize', 'isAccessibleForFree', 'license', 'copyrightNotice', 'useRightsUrl', 'additionalType', 'comment',
  'isPartOf', 'hasPart', 'isBasedOn', 'isBasedOnUrl', 'citation', 'exampleOfWork', 'workExample', 'translationOfWork',
  'workTranslation', 'temporalCoverage', 'spatialCoverage', 'sdPublisher', 'sdDatePublished',
]);

/**
 * schema.org JSON-LD (one resource) → ScoLOMFR record, with the report of
 * what was dropped or approximated.
 */
export function schemaOrgToScolomfr(input: JsonLd): { record: ScolomfrRecord; losses: CrosswalkLoss[] } {
  const j = (input['@context'] !== undefined ? normaliseJsonLd(input) : input) as JsonLd;
  const rec = emptyScolomfrRecord();
  const dropped: string[] = [];
  const notInVocab: string[] = [];
  const approximated: string[] = [];
  const langUri = asArray(j.inLanguage).map((l) => (typeof l === 'string' ? scolomfrLanguageFromBcp47(l) : undefined)).find(Boolean);
  const ls = (value: string): LangStrings => [{ ...(langUri ? { language: langUri } : {}), value }];

  for (const k of Object.keys(j)) if (!KNOWN.has(k)) dropped.push(k);

  // general
  const g = rec.general;
  const id = str(j['@id']);
  if (id) g.identifiers.push({ catalog: 'URI', entry: id });
  for (const x of asArray(j.identifier)) {
    const o = x && typeof x === 'object' ? (x as JsonLd) : undefined;
    const entry = o ? str(o.value) ?? str(o['@id']) : str(x);
    if (entry && entry !== id) g.identifiers.push({ catalog: (o && str(o.propertyID)) || 'URI', entry });
  }
  const urls = asArray(j.url).map(idOf).filter((u): u is string => !!u);
  if (urls.length > 0 && g.identifiers.length === 0) g.identifiers.push({ catalog: 'URL', entry: urls[0] });
  const name = str(asArray(j.name)[0]) ?? str(asArray(j.headline)[0]);
  if (name) g.title = ls(name);
  const description = str(asArray(j.description)[0]);
  if (description) g.descriptions.push(ls(description));
  for (const l of asArray(j.inLanguage)) {
    const uri = typeof l === 'string' ? scolomfrLanguageFromBcp47(l) : undefined;
    if (uri) g.languages.push(uri);
    else notInVocab.push(`inLanguage (${String(l)})`);
  }
  const keywords = asArray(j.keywords).flatMap((k) => (typeof k === 'string' ? k.split(/\s*,\s*/) : [nameOf(k) ?? ''])).filter(Boolean);
  for (const a of asArray(j.about)) {
    const n = nameOf(a);
    if (n) {
      keywords.push(n);
      approximated.push('about → general/keyword');
    }
  }
  for (const k of keywords) g.keywords.push(ls(k));
  for (const c of [...asArray(j.temporalCoverage), ...asArray(j.spatialCoverage)]) {
    const n = nameOf(c);
    if (n) g.coverages.push(ls(n));
  }
  const types = asArray(j['@type']).map(String);
  const dcmi = [...asArray(j.additionalType).map(idOf), ...types.map((t) => SCHEMA_TYPE_TO_DCMI[t])].filter((x): x is string => !!x && !!DCMI_TYPES[x]);
  for (const d of [...new Set(dcmi)]) g.documentTypes.push({ label: DCMI_TYPES[d], value: d });

  // learning resource types
  const edu = emptyEducational();
  for (const t of asArray(j.learningResourceType)) {
    const o = t && typeof t === 'object' ? (t as JsonLd) : undefined;
    const uri = o ? str(o['@id']) : undefined;
    const label = nameOf(t) ?? '';
    const set = o ? str(o.inDefinedTermSet) ?? '' : '';
    if (uri && /scolomfr-voc-005/.test(uri + set)) g.generalResourceTypes.push({ value: uri, label });
    else if (uri && uri.startsWith(C)) edu.learningResourceTypes.push({ source: SCOLOMFR_SOURCE, value: uri, label });
    else {
      const mapped = LRMI_LRT_TO_SCOLOMFR[label.toLowerCase()];
      if (mapped) {
        edu.learningResourceTypes.push(term(mapped));
        approximated.push(`learningResourceType « ${label} » → ${mapped.label}`);
      } else notInVocab.push(`learningResourceType (${label})`);
    }
  }

  // audience
  const roles = [...asArray(j.educationalRole), ...asArray(j.audience).flatMap((a) => (a && typeof a === 'object' ? asArray((a as JsonLd).educationalRole) : []))];
  for (const r of roles) {
    const t = typeof r === 'string' ? LRMI_ROLE_TO_END_USER[r.toLowerCase()] : undefined;
    if (t) {
      if (!edu.intendedEndUserRoles.some((x) => x.value === t.uri)) edu.intendedEndUserRoles.push(term(t));
    } else notInVocab.push(`audience/educationalRole (${String(r)})`);
  }
  for (const a of asArray(j.typicalAgeRange)) {
    const s = str(a);
    if (s) edu.typicalAgeRanges.push([{ language: 'http://id.loc.gov/vocabulary/iso639-2/fre', value: `${s} ans` }]);
  }
  const times = asArray(j.timeRequired).map(str).filter((x): x is string => !!x);
  if (times.length > 0) {
    const d = isoDuration(times[0]);
    if (d) edu.typicalLearningTime = { duration: d };
    else edu.typicalLearningTime = { description: ls(times[0]) };
    if (times.length > 1) dropped.push('timeRequired (valeurs supplémentaires)');
  }
  for (const u of asArray(j.educationalUse)) {
    const s = nameOf(u) ?? '';
    const uri = u && typeof u === 'object' ? str((u as JsonLd)['@id']) : undefined;
    if (uri && /scolomfr-voc-018-num-/.test(uri)) {
      edu.educationalMethods.push({ source: SCOLOMFR_SOURCE, value: uri, label: s });
      continue;
    }
    const m = LRMI_USE_TO_METHOD[s.toLowerCase()];
    if (m) edu.educationalMethods.push(term(m));
    else notInVocab.push(`educationalUse (${s})`);
  }
  const inter = str(j.interactivityType)?.toLowerCase();
  if (inter && ['active', 'expositive', 'mixed'].includes(inter)) edu.interactivityType = { source: 'LOMv1.0', value: inter };
  if (langUri) edu.languages.push(langUri);

  // contributors and dates
  const contributions = new Map<string, Contribution>();
  for (const prop of ['author', 'creator', 'publisher', 'editor', 'illustrator', 'contributor']) {
    for (const who of asArray(j[prop])) {
      const entity = entityOf(who);
      if (!entity) continue;
      const role = PROPERTY_TO_ROLE[prop];
      const key = role.uri;
      const c = contributions.get(key) ?? { role: term(role), entities: [] };
      c.entities.push(entity);
      contributions.set(key, c);
    }
  }
  // dateCreated goes with the author, datePublished with the publisher (or the first undated contribution)
  const dated = (prop: string, roleUri: string) => {
    const raw = str(asArray(j[prop])[0]);
    if (!raw) return;
    const d = isoDate(raw);
    const c = contributions.get(roleUri) ?? [...contributions.values()].find((x) => !x.date);
    if (d && c && !c.date) c.date = { dateTime: d };
    else dropped.push(`${prop} (${raw})`);
  };
  dated('dateCreated', `${C}author`);
  dated('datePublished', `${C}publisher`);
  if (j.dateModified) dropped.push('dateModified');
  rec.lifeCycle.contributions.push(...contributions.values());
  const version = str(j.version);
  if (version) rec.lifeCycle.version = ls(version);
  const status = str(j.creativeWorkStatus);
  if (status) {
    const s = SCHEMA_TO_STATUS[status.toLowerCase()];
    if (s) rec.lifeCycle.status = term(s);
    else notInVocab.push(`creativeWorkStatus (${status})`);
  }

  // technical
  for (const f of asArray(j.encodingFormat).map(str)) if (f) rec.technical.formats.push(f.replace(MEDIATYPES, ''));
  const size = str(j.contentSize)?.match(/^(\d+)/)?.[1];
  if (size) rec.technical.size = size;
  else if (j.contentSize) dropped.push('contentSize');
  rec.technical.locations.push(...urls);

  // rights
  if (typeof j.isAccessibleForFree === 'boolean' || j.isAccessibleForFree === 'true' || j.isAccessibleForFree === 'false') {
    const free = j.isAccessibleForFree === true || j.isAccessibleForFree === 'true';
    rec.rights.cost = term(free ? COST_FREE : COST_PAID);
  }
  const rights = [str(j.copyrightNotice), ...asArray(j.license).map((l) => idOf(l) && `Licence : ${idOf(l)}`), ...asArray(j.useRightsUrl).map((u) => idOf(u) && `Conditions d'utilisation : ${idOf(u)}`)].filter(
    (x): x is string => !!x,
  );
  if (rights.length > 0) {
    rec.rights.description = [{ language: 'http://id.loc.gov/vocabulary/iso639-2/fre', value: rights.join('\n') }];
    rec.rights.copyrightAndOtherRestrictions = term(COPYRIGHT_YES);
  }

  // relations
  for (const [prop, kind] of Object.entries(PROPERTY_TO_RELATION)) {
    for (const target of asArray(j[prop])) {
      const entry = idOf(target) ?? (target && typeof target === 'object' ? str((target as JsonLd).identifier) : undefined);
      if (!entry) {
        dropped.push(`${prop} (ressource sans identifiant)`);
        continue;
      }
      const desc = target && typeof target === 'object' ? str((target as JsonLd).description) ?? str((target as JsonLd).name) : undefined;
      rec.relations.push({ kind: term(kind), resource: { identifiers: [{ catalog: 'URI', entry }], descriptions: desc ? [ls(desc)] : [] } });
    }
  }

  // annotations
  for (const c of asArray(j.comment)) {
    const o = c && typeof c === 'object' ? (c as JsonLd) : undefined;
    const text = o ? str(o.text) : str(c);
    if (!text) continue;
    const entity = o?.author ? entityOf(o.author) : undefined;
    const date = o ? str(o.dateCreated) : undefined;
    rec.annotations.push({ ...(entity ? { entity } : {}), ...(date && isoDate(date) ? { date: { dateTime: isoDate(date)! } } : {}), description: ls(text) });
  }

  // levels and alignments → classifications
  const classifications: Classification[] = [];
  for (const l of asArray(j.educationalLevel)) {
    const o = l && typeof l === 'object' ? (l as JsonLd) : undefined;
    const uri = o ? str(o['@id']) : undefined;
    const label = nameOf(l) ?? '';
    const set = o ? str(o.inDefinedTermSet) ?? '' : '';
    if (uri && /scolomfr-voc-012/.test(uri + set)) {
      edu.contexts.push({ source: SCOLOMFR_SOURCE, value: uri, label });
      continue;
    }
    const scolomfr = !!uri && /scolomfr-voc-022/.test(uri + set);
    if (!scolomfr) approximated.push(`educationalLevel « ${label} » → classification « niveau éducatif détaillé »`);
    classifications.push({
      purpose: term(PURPOSES.educational_level),
      taxonPaths: [
        {
          source: [{ value: scolomfr ? SCOLOMFR_LEVEL_SOURCE : set || 'schema.org educationalLevel' }],
          taxons: [{ ...(uri ? { id: uri } : o && str(o.termCode) ? { id: str(o.termCode) } : {}), entry: [{ value: label }] }],
        },
      ],
      keywords: [],
    });
  }
  for (const a of asArray(j.educationalAlignment)) {
    if (!a || typeof a !== 'object') continue;
    const o = a as JsonLd;
    const type = str(o.alignmentType) ?? '';
    const purpose = ALIGNMENT_TO_PURPOSE[type.toLowerCase()] ?? Object.values(PURPOSE_BY_URI).find((p) => p.label === type.toLowerCase());
    if (!purpose) {
      notInVocab.push(`educationalAlignment (alignmentType « ${type} »)`);
      continue;
    }
    const target = asArray(o.targetUrl).map(idOf).find(Boolean);
    const framework = str(o.educationalFramework);
    const isDomain = !!target && /scolomfr-voc-015/.test(target);
    if (!isDomain && !(target && target.startsWith(C))) approximated.push(`educationalAlignment « ${type} » → classification « ${purpose.label} »`);
    classifications.push({
      purpose: term(purpose),
      taxonPaths: [
        {
          ...(framework || isDomain ? { source: [{ value: isDomain && purpose.uri === PURPOSES.domain.uri ? SCOLOMFR_DOMAIN_SOURCE : framework ?? '' }] } : {}),
          taxons: [{ ...(target ? { id: target } : {}), entry: [{ value: str(o.targetName) ?? target ?? '' }] }],
        },
      ],
      ...(str(o.targetDescription) ? { description: [{ value: str(o.targetDescription)! }] } : {}),
      keywords: [],
    });
  }
  rec.classifications.push(...classifications);
  if (Object.values(edu).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined))) rec.educational.push(edu);

  // metaMetadata: this record was produced by the crosswalk
  rec.metaMetadata.metadataSchemas.push('LOMv1.0', 'LOMFRv1.0', SCOLOMFR_SOURCE);
  if (langUri) rec.metaMetadata.language = langUri;
  if (j.sdPublisher || j.sdDatePublished) dropped.push('sdPublisher / sdDatePublished');

  const losses: CrosswalkLoss[] = [];
  if (dropped.length > 0) losses.push({ code: 'SCHEMAORG_PROPERTIES_DROPPED', message: SCHEMAORG_TO_SCOLOMFR_LOSSES.SCHEMAORG_PROPERTIES_DROPPED, details: dropped });
  if (notInVocab.length > 0) {
    losses.push({ code: 'SCHEMAORG_VALUES_NOT_IN_VOCABULARIES', message: SCHEMAORG_TO_SCOLOMFR_LOSSES.SCHEMAORG_VALUES_NOT_IN_VOCABULARIES, details: notInVocab });
  }
  if (approximated.length > 0) losses.push({ code: 'SCHEMAORG_VALUES_APPROXIMATED', message: SCHEMAORG_TO_SCOLOMFR_LOSSES.SCHEMAORG_VALUES_APPROXIMATED, details: approximated });
  return { record: rec, losses };
}
