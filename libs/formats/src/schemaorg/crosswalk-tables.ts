/**
 * Static tables of the ScoLOMFR ↔ schema.org / LRMI crosswalk (no corpus
 * needed at run time). Concept URIs are those of the ScoLOMFR 3.1
 * vocabularies; English terms are the LRMI / schema.org ones.
 */
const C = 'http://data.education.fr/voc/scolomfr/concept/';
export const SCOLOMFR_VOCABULARY_URI = (n: string) => `http://data.education.fr/voc/scolomfr/scolomfr-voc-${n}`;

/** ISO 639-2/B (ScoLOMFR vocabulary 001) ↔ BCP 47 primary language subtag. */
export const ISO639_2_TO_BCP47: Record<string, string> = {
  fre: 'fr', eng: 'en', ger: 'de', spa: 'es', ita: 'it', por: 'pt', oci: 'oc', bre: 'br', baq: 'eu', cos: 'co', cat: 'ca',
  ara: 'ar', chi: 'zh', rus: 'ru', lat: 'la', dut: 'nl', pol: 'pl', tur: 'tr', jpn: 'ja', heb: 'he', gre: 'el', gsw: 'gsw',
  gcf: 'gcf', rcf: 'rcf', alsace: 'gsw', arm: 'hy', vie: 'vi', kor: 'ko', swe: 'sv', dan: 'da', nor: 'no', fin: 'fi', hun: 'hu',
  cze: 'cs', rum: 'ro', bul: 'bg', hrv: 'hr', srp: 'sr', slo: 'sk', slv: 'sl', ukr: 'uk', per: 'fa', hin: 'hi', tah: 'ty', ber: 'ber',
};
export const BCP47_TO_ISO639_2: Record<string, string> = Object.fromEntries(
  Object.entries(ISO639_2_TO_BCP47).filter(([k]) => k !== 'alsace').map(([k, v]) => [v, k]),
);
/** Language names found in the wild instead of codes (LRMI example: `"inLanguage": "English"`). */
export const LANGUAGE_NAMES: Record<string, string> = {
  english: 'en', anglais: 'en', french: 'fr', français: 'fr', francais: 'fr', german: 'de', allemand: 'de', spanish: 'es',
  espagnol: 'es', italian: 'it', italien: 'it', portuguese: 'pt', portugais: 'pt', occitan: 'oc', breton: 'br', basque: 'eu',
  corsican: 'co', corse: 'co', catalan: 'ca', arabic: 'ar', arabe: 'ar', chinese: 'zh', chinois: 'zh', russian: 'ru', russe: 'ru', latin: 'la',
};

export interface Term {
  uri: string;
  label: string;
}

/** Vocabulary 011 (public cible) ↔ LRMI educationalAudienceRole. */
export const END_USER_ROLE_TO_LRMI: Record<string, string> = {
  [`${C}teacher`]: 'teacher',
  [`${C}learner`]: 'student',
  [`${C}author_2`]: 'author',
  [`${C}manager`]: 'administrator',
};
export const LRMI_ROLE_TO_END_USER: Record<string, Term> = {
  teacher: { uri: `${C}teacher`, label: 'enseignant' },
  student: { uri: `${C}learner`, label: 'apprenant' },
  learner: { uri: `${C}learner`, label: 'apprenant' },
  author: { uri: `${C}author_2`, label: 'auteur' },
  administrator: { uri: `${C}manager`, label: 'gestionnaire' },
  manager: { uri: `${C}manager`, label: 'gestionnaire' },
};

/** Vocabulary 003 (rôle du contributeur) → schema.org property. Other roles become `contributor`. */
export const ROLE_TO_PROPERTY: Record<string, 'author' | 'publisher' | 'editor' | 'illustrator' | 'contributor'> = {
  [`${C}author`]: 'author',
  [`${C}publisher`]: 'publisher',
  [`${C}scolomfr-voc-003-num-029`]: 'publisher',
  [`${C}editor`]: 'editor',
  [`${C}scolomfr-voc-003-num-030`]: 'editor',
  [`${C}scolomfr-voc-003-num-031`]: 'illustrator',
};
export const PROPERTY_TO_ROLE: Record<string, Term> = {
  author: { uri: `${C}author`, label: 'auteur' },
  creator: { uri: `${C}author`, label: 'auteur' },
  publisher: { uri: `${C}publisher`, label: 'éditeur' },
  editor: { uri: `${C}editor`, label: 'directeur de la publication' },
  illustrator: { uri: `${C}scolomfr-voc-003-num-031`, label: 'illustrateur' },
  contributor: { uri: `${C}scolomfr-voc-003-num-005`, label: 'contributeur' },
};

/** Vocabulary 002 (état) ↔ creativeWorkStatus. */
export const STATUS_TO_SCHEMA: Record<string, string> = {
  [`${C}draft`]: 'Draft',
  [`${C}final`]: 'Published',
  [`${C}revised`]: 'Revised',
  [`${C}unavailable`]: 'Unavailable',
};
export const SCHEMA_TO_STATUS: Record<string, Term> = {
  draft: { uri: `${C}draft`, label: 'brouillon' },
  published: { uri: `${C}final`, label: 'final' },
  final: { uri: `${C}final`, label: 'final' },
  revised: { uri: `${C}revised`, label: 'révisé' },
  unavailable: { uri: `${C}unavailable`, label: 'indisponible' },
};

/** Vocabulary 009 (type de relation) ↔ schema.org CreativeWork relation properties. */
export const RELATION_TO_PROPERTY: Record<string, string> = {
  'http://purl.org/dc/terms/isPartOf': 'isPartOf',
  'http://purl.org/dc/terms/hasPart': 'hasPart',
  'http://purl.org/dc/terms/source': 'isBasedOn',
  'http://purl.org/dc/terms/references': 'citation',
  'http://purl.org/dc/terms/isVersionOf': 'exampleOfWork',
  'http://purl.org/dc/terms/hasVersion': 'workExample',
  [`${C}scolomfr-voc-009-num-016`]: 'translationOfWork',
  [`${C}scolomfr-voc-009-num-017`]: 'workTranslation',
};
export const PROPERTY_TO_RELATION: Record<string, Term> = {
  isPartOf: { uri: 'http://purl.org/dc/terms/isPartOf', label: 'est une partie de' },
  hasPart: { uri: 'http://purl.org/dc/terms/hasPart', label: 'contient' },
  isBasedOn: { uri: 'http://purl.org/dc/terms/source', label: 'est basé sur' },
  isBasedOnUrl: { uri: 'http://purl.org/dc/terms/source', label: 'est basé sur' },
  citation: { uri: 'http://purl.org/dc/terms/references', label: 'contient une référence à' },
  exampleOfWork: { uri: 'http://purl.org/dc/terms/isVersionOf', label: 'est une version de' },
  workExample: { uri: 'http://purl.org/dc/terms/hasVersion', label: 'existe en une autre version' },
  translationOfWork: { uri: `${C}scolomfr-voc-009-num-016`, label: 'est la traduction de' },
  workTranslation: { uri: `${C}scolomfr-voc-009-num-017`, label: 'fait l\u2019objet d\u2019une traduction' },
};

/** Vocabulary 026 (coût). */
export const COST_FREE: Term = { uri: `${C}no`, label: 'gratuit' };
export const COST_PAID: Term = { uri: `${C}yes`, label: 'payant' };
/** Vocabulary 027 (droits d'auteur). */
export const COPYRIGHT_YES: Term = { uri: `${C}yes_2`, label: 'oui' };

/** Vocabulary 028 (objectif de classification) ↔ AlignmentObject alignmentType. */
export const PURPOSES: Record<string, Term & { alignmentType?: string }> = {
  educational_level: { uri: `${C}educational_level`, label: 'niveau éducatif détaillé', alignmentType: 'educationalLevel' },
  domain: { uri: `${C}scolomfr-voc-028-num-003`, label: "domaine d'enseignement", alignmentType: 'educationalSubject' },
  discipline: { uri: `${C}discipline`, label: 'champ disciplinaire', alignmentType: 'educationalSubject' },
  competency: { uri: `${C}competency`, label: 'compétence', alignmentType: 'teaches' },
  socle: { uri: `${C}scolomfr-voc-028-num-021`, label: 'socle commun', alignmentType: 'teaches' },
  prerequisite: { uri: `${C}prerequisite`, label: 'pré-requis', alignmentType: 'requires' },
  skill_level: { uri: `${C}skill_level`, label: 'niveau de compétence', alignmentType: 'complexityLevel' },
  idea: { uri: `${C}idea`, label: 'notion' },
  educational_objective: { uri: `${C}educational_objective`, label: 'objectif pédagogique' },
  public: { uri: `${C}scolomfr-voc-028-num-011`, label: 'public cible détaillé' },
  diploma: { uri: `${C}scolomfr-voc-028-num-016`, label: 'diplôme' },
  label: { uri: `${C}scolomfr-voc-028-num-013`, label: 'label' },
  cecrl: { uri: `${C}scolomfr-voc-028-num-019`, label: 'cadre européen commun de référence pour les langues' },
  accessibility: { uri: `${C}accessibility_restrictions`, label: "restriction d'accessibilité" },
  security_level: { uri: `${C}security_level`, label: 'niveau de sécurité' },
  cadre: { uri: `${C}scolomfr-voc-028-num-032`, label: 'cadre pédagogique' },
};
export const PURPOSE_BY_URI: Record<string, Term & { alignmentType?: string }> = Object.fromEntries(Object.values(PURPOSES).map((p) => [p.uri, p]));
/** alignmentType → purpose (the first purpose declaring it wins). */
export const ALIGNMENT_TO_PURPOSE: Record<string, Term> = {
  educationallevel: PURPOSES.educational_level,
  'educational level': PURPOSES.educational_level,
  educationalsubject: PURPOSES.domain,
  teaches: PURPOSES.competency,
  assesses: PURPOSES.competency,
  requires: PURPOSES.prerequisite,
  complexitylevel: PURPOSES.skill_level,
  readinglevel: PURPOSES.skill_level,
  textcomplexity: PURPOSES.skill_level,
};

/** DCMI types (ScoLOMFR vocabulary 004) with their French labels, and the schema.org types that suggest them. */
const DCMI = 'http://purl.org/dc/dcmitype/';
export const DCMI_TYPES: Record<string, string> = {
  [`${DCMI}Collection`]: 'collection',
  [`${DCMI}Dataset`]: 'données',
  [`${DCMI}Event`]: 'événement',
  [`${DCMI}Image`]: 'image',
  [`${DCMI}InteractiveResource`]: 'ressource interactive',
  [`${DCMI}MovingImage`]: 'image en mouvement',
  [`${DCMI}PhysicalObject`]: 'objet physique',
  [`${DCMI}Service`]: 'service',
  [`${DCMI}Software`]: 'logiciel',
  [`${DCMI}Sound`]: 'son',
  [`${DCMI}StillImage`]: 'image fixe',
  [`${DCMI}Text`]: 'texte',
};
export const SCHEMA_TYPE_TO_DCMI: Record<string, string> = {
  VideoObject: `${DCMI}MovingImage`,
  Movie: `${DCMI}MovingImage`,
  ImageObject: `${DCMI}StillImage`,
  Photograph: `${DCMI}StillImage`,
  AudioObject: `${DCMI}Sound`,
  Dataset: `${DCMI}Dataset`,
  SoftwareApplication: `${DCMI}Software`,
  WebPage: `${DCMI}InteractiveResource`,
  WebSite: `${DCMI}InteractiveResource`,
  Book: `${DCMI}Text`,
  Article: `${DCMI}Text`,
  TextDigitalDocument: `${DCMI}Text`,
  Collection: `${DCMI}Collection`,
  Event: `${DCMI}Event`,
};

/** LRMI / LOM learningResourceType (English) → ScoLOMFR vocabulary 010. */
export const LRMI_LRT_TO_SCOLOMFR: Record<string, Term> = {
  'lesson plan': { uri: `${C}scolomfr-voc-010-num-020`, label: 'scénario pédagogique' },
  'learning activity': { uri: `${C}scolomfr-voc-010-num-027`, label: 'activité pédagogique' },
  activity: { uri: `${C}scolomfr-voc-010-num-027`, label: 'activité pédagogique' },
  assessment: { uri: `${C}scolomfr-voc-010-num-007`, label: 'évaluation' },
  exercise: { uri: `${C}exercise`, label: 'exercice' },
  practice: { uri: `${C}exercise`, label: 'exercice' },
  lecture: { uri: `${C}lecture`, label: 'cours / présentation' },
  presentation: { uri: `${C}lecture`, label: 'cours / présentation' },
  simulation: { uri: `${C}simulation`, label: 'simulation' },
  questionnaire: { uri: `${C}questionnaire`, label: 'questionnaire' },
  quiz: { uri: `${C}questionnaire`, label: 'questionnaire' },
  exam: { uri: `${C}exam`, label: 'examen' },
  experiment: { uri: `${C}experiment`, label: 'expérience' },
  tutorial: { uri: `${C}scolomfr-voc-010-num-022`, label: 'tutoriel' },
  glossary: { uri: `${C}scolomfr-voc-010-num-011`, label: 'glossaire' },
  guide: { uri: `${C}scolomfr-voc-010-num-012`, label: 'guide' },
  game: { uri: `${C}scolomfr-voc-010-num-013`, label: 'jeu éducatif' },
  'educational game': { uri: `${C}scolomfr-voc-010-num-013`, label: 'jeu éducatif' },
  textbook: { uri: `${C}scolomfr-voc-010-num-014`, label: "manuel d'enseignement" },
  'reference material': { uri: `${C}scolomfr-voc-010-num-015`, label: 'matériel de référence' },
  'case study': { uri: `${C}scolomfr-voc-010-num-006`, label: 'étude de cas' },
  demonstration: { uri: `${C}scolomfr-voc-010-num-004`, label: 'démonstration' },
  'self assessment': { uri: `${C}self_assessment`, label: 'autoévaluation' },
  'problem statement': { uri: `${C}problem_statement`, label: 'énoncé de problème' },
  animation: { uri: `${C}scolomfr-voc-010-num-001`, label: 'animation' },
  webquest: { uri: `${C}scolomfr-voc-010-num-024`, label: 'cyberquête' },
  table: { uri: `${C}table`, label: 'tableau' },
  'student work': { uri: `${C}scolomfr-voc-010-num-018`, label: "production d'élève" },
};

/** LRMI educationalUse → ScoLOMFR vocabulary 018 (modalité pédagogique), for the few that match. */
export const LRMI_USE_TO_METHOD: Record<string, Term> = {
  'group work': { uri: `${C}scolomfr-voc-018-num-012`, label: 'en groupe' },
  'independent study': { uri: `${C}scolomfr-voc-018-num-003`, label: 'en autonomie' },
  'self-paced': { uri: `${C}scolomfr-voc-018-num-003`, label: 'en autonomie' },
  'distance learning': { uri: `${C}scolomfr-voc-018-num-001`, label: 'à distance' },
  online: { uri: `${C}scolomfr-voc-018-num-014`, label: 'en ligne' },
  'on-line': { uri: `${C}scolomfr-voc-018-num-014`, label: 'en ligne' },
  'project based learning': { uri: `${C}scolomfr-voc-018-num-030`, label: 'en activité de projet' },
  research: { uri: `${C}scolomfr-voc-018-num-021`, label: 'travail de recherche' },
};

/** LOM 5.1 interactivity type (not used by ScoLOMFR, but present in LOM records) ↔ schema.org. */
export const INTERACTIVITY_TYPES = ['active', 'expositive', 'mixed'] as const;

export const SCOLOMFR_LEVEL_SOURCE = 'SCOLOMFRv3.1 ; scolomfr-voc-022 ; Niveau éducatif détaillé';
export const SCOLOMFR_DOMAIN_SOURCE = "SCOLOMFRv3.1 ; scolomfr-voc-015 ; Domaine d'enseignement";
