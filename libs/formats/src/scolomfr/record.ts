/**
 * Typed ScoLOMFR record: the LOM categories a resource is described with,
 * plus the LOMFR and ScoLOMFR extensions. Multi-valued elements are arrays;
 * LangStrings are arrays of `{ language, value }`; vocabulary values keep the
 * (source, value, label) triple as written.
 */
export interface LangString {
  /** As written (`http://id.loc.gov/vocabulary/iso639-2/fre`, `fre`, `fr`…); absent when none. */
  language?: string;
  value: string;
}

export type LangStrings = LangString[];

export interface VocabEntry {
  source?: string;
  /** Concept URI (3.1 strict) or legacy value, whitespace trimmed. */
  value: string;
  label?: string;
}

export interface Identifier {
  catalog?: string;
  entry?: string;
}

export interface DateTimeValue {
  dateTime?: string;
  description?: LangStrings;
}

export interface DurationValue {
  duration?: string;
  description?: LangStrings;
}

export interface Contribution {
  role?: VocabEntry;
  /** vCard texts, as written. */
  entities: string[];
  date?: DateTimeValue;
}

export interface OrComposite {
  type?: VocabEntry;
  name?: VocabEntry;
  minimumVersion?: string;
  maximumVersion?: string;
}

export interface ExtendedLocation {
  locations: string[];
  platform?: string;
  personalDataProcessType?: VocabEntry;
  descriptions: LangStrings[];
}

export interface Educational {
  interactivityType?: VocabEntry;
  learningResourceTypes: VocabEntry[];
  interactivityLevel?: VocabEntry;
  semanticDensity?: VocabEntry;
  intendedEndUserRoles: VocabEntry[];
  contexts: VocabEntry[];
  typicalAgeRanges: LangStrings[];
  difficulty?: VocabEntry;
  typicalLearningTime?: DurationValue;
  descriptions: LangStrings[];
  languages: string[];
  /** lomfr:activity */
  activities: VocabEntry[];
  /** lomfr:credit */
  credits: string[];
  /** scolomfr:place */
  places: VocabEntry[];
  /** scolomfr:educationalMethod */
  educationalMethods: VocabEntry[];
  /** scolomfr:tool */
  tools: VocabEntry[];
}

export interface Relation {
  kind?: VocabEntry;
  resource?: { identifiers: Identifier[]; descriptions: LangStrings[] };
}

export interface Annotation {
  entity?: string;
  date?: DateTimeValue;
  description?: LangStrings;
}

export interface Taxon {
  id?: string;
  entry?: LangStrings;
}

export interface TaxonPath {
  source?: LangStrings;
  taxons: Taxon[];
}

export interface Classification {
  purpose?: VocabEntry;
  taxonPaths: TaxonPath[];
  description?: LangStrings;
  keywords: LangStrings[];
}

export interface ScolomfrRecord {
  general: {
    identifiers: Identifier[];
    title?: LangStrings;
    languages: string[];
    descriptions: LangStrings[];
    keywords: LangStrings[];
    coverages: LangStrings[];
    structure?: VocabEntry;
    aggregationLevel?: VocabEntry;
    /** lomfr:documentType */
    documentTypes: VocabEntry[];
    /** scolomfr:generalResourceType */
    generalResourceTypes: VocabEntry[];
  };
  lifeCycle: { version?: LangStrings; status?: VocabEntry; contributions: Contribution[] };
  metaMetadata: { identifiers: Identifier[]; contributions: Contribution[]; metadataSchemas: string[]; language?: string };
  technical: {
    formats: string[];
    size?: string;
    locations: string[];
    /** scolomfr:extendedLocation */
    extendedLocations: ExtendedLocation[];
    /** One array of alternatives (orComposite) per requirement. */
    requirements: OrComposite[][];
    installationRemarks?: LangStrings;
    otherPlatformRequirements?: LangStrings;
    duration?: DurationValue;
  };
  educational: Educational[];
  rights: { cost?: VocabEntry; copyrightAndOtherRestrictions?: VocabEntry; description?: LangStrings };
  relations: Relation[];
  annotations: Annotation[];
  classifications: Classification[];
}

export function emptyEducational(): Educational {
  return {
    learningResourceTypes: [],
    intendedEndUserRoles: [],
    contexts: [],
    typicalAgeRanges: [],
    descriptions: [],
    languages: [],
    activities: [],
    credits: [],
    places: [],
    educationalMethods: [],
    tools: [],
  };
}

export function emptyScolomfrRecord(): ScolomfrRecord {
  return {
    general: { identifiers: [], languages: [], descriptions: [], keywords: [], coverages: [], documentTypes: [], generalResourceTypes: [] },
    lifeCycle: { contributions: [] },
    metaMetadata: { identifiers: [], contributions: [], metadataSchemas: [] },
    technical: { formats: [], locations: [], extendedLocations: [], requirements: [] },
    educational: [],
    rights: {},
    relations: [],
    annotations: [],
    classifications: [],
  };
}

/** First string of a LangString list, preferring French. */
export function firstLangString(ls: LangStrings | undefined): string | undefined {
  if (!ls || ls.length === 0) return undefined;
  const fr = ls.find((s) => /(^|\/)(fre|fra|fr)(-|$)/i.test(s.language ?? ''));
  return (fr ?? ls[0]).value;
}
