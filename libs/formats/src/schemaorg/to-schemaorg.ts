/**
 * ScoLOMFR → schema.org / LRMI JSON-LD (`@context` `https://schema.org/`,
 * `@type` `LearningResource`). The field-by-field table, with what is lost,
 * is in `docs/crosswalk-scolomfr-schemaorg.md`.
 *
 * ScoLOMFR vocabulary values are written as `DefinedTerm`s that keep the
 * concept URI (`@id`) and its vocabulary (`inDefinedTermSet`), so that the
 * way back is exact for them; where schema.org expects free text or its own
 * terms (audience roles, status, contributor roles, alignment types) the
 * closest term is used and the approximation reported.
 */
import { parseVcard, Vcard } from '../vcard/vcard';
import {
  Classification,
  Contribution,
  firstLangString,
  LangStrings,
  ScolomfrRecord,
  VocabEntry,
} from '../scolomfr/record';
import {
  END_USER_ROLE_TO_LRMI,
  INTERACTIVITY_TYPES,
  ISO639_2_TO_BCP47,
  PURPOSE_BY_URI,
  RELATION_TO_PROPERTY,
  ROLE_TO_PROPERTY,
  SCOLOMFR_VOCABULARY_URI,
  STATUS_TO_SCHEMA,
} from './crosswalk-tables';

export type JsonLd = Record<string, unknown>;

export interface CrosswalkLoss {
  code: string;
  /** In French, for the teacher. */
  message: string;
  /** Which fields (element paths) were dropped or approximated. */
  details: string[];
}

export const SCHEMA_ORG_CONTEXT = 'https://schema.org/';
export const SCHEMAORG_JSONLD_MEDIA_TYPE = 'application/ld+json';

/** The loss codes of the `scolomfr-3.1-to-schemaorg-jsonld` converter (same text as the negotiation registry). */
export const SCOLOMFR_TO_SCHEMAORG_LOSSES = {
  SCOLOMFR_VOCABULARIES_APPROXIMATED:
    'Les niveaux, disciplines et types de ressource ScoLOMFR sont traduits par les termes schema.org / LRMI les plus proches, parfois moins précis.',
  SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED:
    'Les informations ScoLOMFR sans équivalent schema.org (historique des versions, détails des droits d\u2019usage…) ne sont pas reprises.',
} as const;

/** `http://id.loc.gov/vocabulary/iso639-2/fre` → `fr`. */
export function bcp47FromScolomfr(lang: string | undefined): string | undefined {
  if (!lang) return undefined;
  const m = /iso639-[12]\/([a-z]{2,3})$/i.exec(lang.trim());
  const code = (m ? m[1] : lang.trim()).toLowerCase();
  if (/^[a-z]{2}(-[a-z0-9]+)*$/i.test(code)) return code;
  return ISO639_2_TO_BCP47[code] ?? code;
}

function vocabularyOfConcept(uri: string): string | undefined {
  return /\/scolomfr-voc-(\d{3})-num-/.exec(uri)?.[1];
}

function definedTerm(v: VocabEntry, vocabulary?: string): JsonLd {
  const voc = vocabulary ?? vocabularyOfConcept(v.value);
  return {
    '@type': 'DefinedTerm',
    ...(/^https?:|^urn:/.test(v.value) ? { '@id': v.value } : {}),
    name: v.label || v.value.split('/').pop() || v.value,
    ...(voc ? { inDefinedTermSet: SCOLOMFR_VOCABULARY_URI(voc) } : {}),
  };
}

function person(entity: string): JsonLd | undefined {
  let card: Vcard | undefined;
  try {
    card = parseVcard(entity)[0];
  } catch {
    card = undefined;
  }
  if (!card) {
    const name = entity.trim();
    return name ? { '@type': 'Person', name } : undefined;
  }
  const org = card.org?.filter(Boolean).join(', ');
  const given = card.n?.given.join(' ');
  const family = card.n?.family.join(' ');
  const isOrg = card.kind === 'org' || (!card.n && !card.fn && !!org) || (!card.fn && !family && !!org);
  if (isOrg) {
    return { '@type': 'Organization', name: org || card.fn, ...(card.emails[0] ? { email: card.emails[0].value } : {}), ...(card.urls[0] ? { url: card.urls[0] } : {}) };
  }
  const name = card.fn || [given, family].filter(Boolean).join(' ');
  if (!name) return undefined;
  return {
    '@type': 'Person',
    name,
    ...(given ? { givenName: given } : {}),
    ...(family ? { familyName: family } : {}),
    ...(card.emails[0] ? { email: card.emails[0].value } : {}),
    ...(org ? { affiliation: { '@type': 'Organization', name: org } } : {}),
  };
}

function one<T>(xs: T[]): T | T[] | undefined {
  return xs.length === 0 ? undefined : xs.length === 1 ? xs[0] : xs;
}

function strings(list: LangStrings[]): string[] {
  return list.map((l) => firstLangString(l)).filter((s): s is string => !!s);
}

const TEMPORAL = /(siècle|\b\d{3,4}\b|antiquit|moyen[ -]âge|époque|renaissance|préhistoire|xx?e|guerre)/i;

/**
 * Crosswalk with the report of what was dropped or approximated. `losses`
 * only lists the codes that actually applied to this record.
 */
export function crosswalkScolomfrToSchemaOrg(rec: ScolomfrRecord): { jsonld: JsonLd; losses: CrosswalkLoss[] } {
  const dropped: string[] = [];
  const approximated: string[] = [];
  const out: JsonLd = { '@context': SCHEMA_ORG_CONTEXT, '@type': 'LearningResource' };
  const g = rec.general;

  const ids = g.identifiers.filter((i) => i.entry);
  const uriId = ids.find((i) => /^(https?:|urn:)/i.test(i.entry!));
  if (uriId) out['@id'] = uriId.entry;
  if (ids.length > 0) out.identifier = one(ids.map((i) => ({ '@type': 'PropertyValue', ...(i.catalog ? { propertyID: i.catalog } : {}), value: i.entry })));
  const title = firstLangString(g.title);
  if (title) out.name = title;
  if ((g.title?.length ?? 0) > 1) dropped.push('general/title (traductions)');
  const descriptions = strings(g.descriptions);
  if (descriptions.length > 0) out.description = descriptions.join('\n\n');
  const langs = g.languages.map(bcp47FromScolomfr).filter((l): l is string => !!l);
  if (langs.length > 0) out.inLanguage = one(langs);
  const keywords = strings(g.keywords);
  if (keywords.length > 0) out.keywords = keywords;
  const coverages = strings(g.coverages);
  const temporal = coverages.filter((c) => TEMPORAL.test(c));
  const spatial = coverages.filter((c) => !TEMPORAL.test(c));
  if (temporal.length > 0) out.temporalCoverage = one(temporal);
  if (spatial.length > 0) out.spatialCoverage = one(spatial.map((name) => ({ '@type': 'Place', name })));
  if (coverages.length > 0) approximated.push('general/coverage (couverture répartie entre lieu et période)');
  if (g.structure) dropped.push('general/structure');
  if (g.aggregationLevel) dropped.push('general/aggregationLevel');
  const docTypes = g.documentTypes.filter((d) => d.value).map((d) => d.value);
  if (docTypes.length > 0) out.additionalType = one(docTypes);

  const lrt = [
    ...rec.educational.flatMap((e) => e.learningResourceTypes.map((v) => definedTerm(v, '010'))),
    ...g.generalResourceTypes.map((v) => definedTerm(v, '005')),
  ];
  if (lrt.length > 0) out.learningResourceType = lrt;

  // lifeCycle
  const lc = rec.lifeCycle;
  const version = firstLangString(lc.version);
  if (version) out.version = version;
  if (lc.status?.value) {
    const s = STATUS_TO_SCHEMA[lc.status.value];
    out.creativeWorkStatus = s ?? lc.status.label ?? lc.status.value;
    approximated.push('lifeCycle/status');
  }
  const byProperty = new Map<string, JsonLd[]>();
  const contributionDate = (c: Contribution) => c.date?.dateTime;
  lc.contributions.forEach((c, i) => {
    const prop = (c.role?.value && ROLE_TO_PROPERTY[c.role.value]) || 'contributor';
    if (prop === 'contributor' && c.role?.value) approximated.push(`lifeCycle/contribute[${i + 1}]/role (${c.role.label ?? c.role.value})`);
    for (const e of c.entities) {
      const p = person(e);
      if (p) byProperty.set(prop, [...(byProperty.get(prop) ?? []), p]);
    }
    const d = contributionDate(c);
    if (d && prop === 'author' && !out.dateCreated) out.dateCreated = d;
    else if (d && prop === 'publisher' && !out.datePublished) out.datePublished = d;
    else if (d) dropped.push(`lifeCycle/contribute[${i + 1}]/date`);
    if (c.date?.description) dropped.push(`lifeCycle/contribute[${i + 1}]/date/description`);
  });
  for (const [prop, people] of byProperty) out[prop] = one(people);

  // metaMetadata: the description's own provenance
  const mm = rec.metaMetadata;
  const mmCreator = mm.contributions.find((c) => c.entities.length > 0);
  if (mmCreator) {
    const p = person(mmCreator.entities[0]);
    if (p) out.sdPublisher = p;
    if (mmCreator.date?.dateTime) out.sdDatePublished = mmCreator.date.dateTime;
  }
  if (mm.identifiers.length > 0 || mm.contributions.length > 1 || mm.metadataSchemas.length > 0) dropped.push('metaMetadata (historique de la fiche)');

  // technical
  const t = rec.technical;
  const formats = t.formats.map((f) => f.replace(/^https?:\/\/purl\.org\/NET\/mediatypes\//, ''));
  if (formats.length > 0) out.encodingFormat = one(formats);
  if (t.size && /^\d+$/.test(t.size)) out.contentSize = `${t.size} octets`;
  if (t.locations.length > 0) out.url = one(t.locations);
  if (t.extendedLocations.length > 0) dropped.push('technical/extendedLocation');
  if (t.requirements.length > 0 || t.otherPlatformRequirements || t.installationRemarks) dropped.push('technical/requirement, installationRemarks, otherPlatformRequirements');
  if (t.duration) dropped.push('technical/duration');

  // educational
  const roles: string[] = [];
  const levels: JsonLd[] = [];
  const uses: JsonLd[] = [];
  const ages: string[] = [];
  const times: string[] = [];
  rec.educational.forEach((e, i) => {
    for (const r of e.intendedEndUserRoles) {
      const lrmi = END_USER_ROLE_TO_LRMI[r.value];
      if (lrmi) roles.push(lrmi);
      else dropped.push(`educational[${i + 1}]/intendedEndUserRole (${r.label ?? r.value})`);
    }
    if (e.intendedEndUserRoles.length > 0) approximated.push(`educational[${i + 1}]/intendedEndUserRole`);
    for (const c of e.contexts) levels.push(definedTerm(c, '012'));
    for (const a of e.typicalAgeRanges) {
      const s = firstLangString(a);
      if (s) ages.push(s.replace(/\s*ans?$/i, '').trim());
    }
    if (e.typicalLearningTime?.duration) times.push(e.typicalLearningTime.duration);
    for (const m of e.educationalMethods) uses.push(definedTerm(m, '018'));
    if (e.interactivityType?.value && (INTERACTIVITY_TYPES as readonly string[]).includes(e.interactivityType.value)) out.interactivityType = e.interactivityType.value;
    const d = strings(e.descriptions);
    if (d.length > 0) dropped.push(`educational[${i + 1}]/description (propositions d'utilisation)`);
    if (e.difficulty) dropped.push(`educational[${i + 1}]/difficulty`);
    if (e.activities.length > 0) dropped.push(`educational[${i + 1}]/activity`);
    if (e.places.length > 0) dropped.push(`educational[${i + 1}]/place`);
    if (e.tools.length > 0) dropped.push(`educational[${i + 1}]/tool`);
    if (e.credits.length > 0) dropped.push(`educational[${i + 1}]/credit`);
    if (e.languages.length > 0 && !out.inLanguage) out.inLanguage = one(e.languages.map(bcp47FromScolomfr).filter((l): l is string => !!l));
  });
  if (roles.length > 0) out.audience = [...new Set(roles)].map((r) => ({ '@type': 'EducationalAudience', educationalRole: r }));
  if (ages.length > 0) out.typicalAgeRange = one(ages);
  if (times.length > 0) out.timeRequired = one(times);
  if (uses.length > 0) out.educationalUse = one(uses);

  // rights
  const rt = rec.rights;
  if (rt.cost?.value) out.isAccessibleForFree = /\/no$/.test(rt.cost.value) || rt.cost.value === 'no';
  const rightsText = firstLangString(rt.description);
  if (rightsText) out.copyrightNotice = rightsText;
  if (rt.copyrightAndOtherRestrictions) dropped.push('rights/copyrightAndOtherRestrictions');

  // relations
  rec.relations.forEach((r, i) => {
    const prop = r.kind?.value ? RELATION_TO_PROPERTY[r.kind.value] : undefined;
    const target = r.resource?.identifiers.find((x) => x.entry)?.entry;
    if (!prop || !target) {
      dropped.push(`relation[${i + 1}]${r.kind?.label ? ` (${r.kind.label})` : ''}`);
      return;
    }
    const desc = r.resource ? strings(r.resource.descriptions)[0] : undefined;
    const node: JsonLd = { '@type': 'CreativeWork', ...(/^(https?:|urn:)/i.test(target) ? { '@id': target } : {}), identifier: target, ...(desc ? { description: desc } : {}) };
    out[prop] = out[prop] ? [...(Array.isArray(out[prop]) ? (out[prop] as JsonLd[]) : [out[prop] as JsonLd]), node] : node;
  });

  // annotations
  const comments = rec.annotations
    .map((a) => {
      const text = firstLangString(a.description);
      if (!text) return undefined;
      const author = a.entity ? person(a.entity) : undefined;
      return { '@type': 'Comment', text, ...(author ? { author } : {}), ...(a.date?.dateTime ? { dateCreated: a.date.dateTime } : {}) };
    })
    .filter((c): c is NonNullable<typeof c> => !!c);
  if (comments.length > 0) out.comment = one(comments);

  // classifications
  const alignments: JsonLd[] = [];
  rec.classifications.forEach((c, i) => classification(c, i, levels, alignments, approximated, dropped));
  if (levels.length > 0) out.educationalLevel = one(levels);
  if (alignments.length > 0) out.educationalAlignment = one(alignments);

  const losses: CrosswalkLoss[] = [];
  if (approximated.length > 0) {
    losses.push({ code: 'SCOLOMFR_VOCABULARIES_APPROXIMATED', message: SCOLOMFR_TO_SCHEMAORG_LOSSES.SCOLOMFR_VOCABULARIES_APPROXIMATED, details: approximated });
  }
  if (dropped.length > 0) {
    losses.push({ code: 'SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED', message: SCOLOMFR_TO_SCHEMAORG_LOSSES.SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED, details: dropped });
  }
  return { jsonld: out, losses };
}

function classification(c: Classification, i: number, levels: JsonLd[], alignments: JsonLd[], approximated: string[], dropped: string[]): void {
  const purpose = c.purpose?.value ? PURPOSE_BY_URI[c.purpose.value] : undefined;
  const purposeLabel = purpose?.label ?? c.purpose?.label ?? c.purpose?.value;
  c.taxonPaths.forEach((tp, j) => {
    const leaf = tp.taxons[tp.taxons.length - 1];
    if (!leaf) return;
    const where = `classification[${i + 1}]/taxonPath[${j + 1}]`;
    if (tp.taxons.length > 1) approximated.push(`${where} (chemin réduit au taxon le plus précis)`);
    const name = firstLangString(leaf.entry) ?? leaf.id ?? '';
    const framework = firstLangString(tp.source);
    const isUri = !!leaf.id && /^(https?:|urn:)/i.test(leaf.id);
    const voc = leaf.id ? vocabularyOfConcept(leaf.id) : undefined;
    if (purpose?.alignmentType === 'educationalLevel') {
      levels.push({
        '@type': 'DefinedTerm',
        ...(isUri ? { '@id': leaf.id } : {}),
        name,
        ...(voc ? { inDefinedTermSet: SCOLOMFR_VOCABULARY_URI(voc) } : framework ? { inDefinedTermSet: framework } : {}),
        ...(leaf.id && !isUri ? { termCode: leaf.id } : {}),
      });
      return;
    }
    if (!purpose?.alignmentType) approximated.push(`${where} (objectif « ${purposeLabel ?? 'aucun'} » sans équivalent LRMI)`);
    alignments.push({
      '@type': 'AlignmentObject',
      alignmentType: purpose?.alignmentType ?? purposeLabel ?? 'educationalSubject',
      ...(framework ? { educationalFramework: framework } : {}),
      targetName: name,
      ...(isUri ? { targetUrl: leaf.id } : {}),
      ...(leaf.id && !isUri ? { targetDescription: leaf.id } : {}),
    });
  });
  if (c.description) dropped.push(`classification[${i + 1}]/description`);
  if (c.keywords.length > 0) dropped.push(`classification[${i + 1}]/keyword`);
}

/** The schema.org / LRMI JSON-LD description of a ScoLOMFR record. */
export function scolomfrToSchemaOrg(rec: ScolomfrRecord): JsonLd {
  return crosswalkScolomfrToSchemaOrg(rec).jsonld;
}
