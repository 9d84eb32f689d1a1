import { FormatError } from '../errors';
import { XmlWriter } from '../xml/xml-escape';
import { SCOLOMFR_NS, SCOLOMFR_SOURCE } from './ns';
import type { ScolomfrRecord } from './record';
import { writeScolomfrFullRecord } from './record-writer';

export { SCOLOMFR_NS, SCOLOMFR_SOURCE } from './ns';

/** A concept of a ScoLOMFR vocabulary: its URI and its French label. */
export interface ScolomfrTerm {
  uri: string;
  label: string;
}

export interface ScolomfrRecordInput {
  /** Identifier of the resource (written with catalog `URI`). */
  identifier: string;
  title: string;
  description: string;
  /** `fr`, `fr-FR`, `fre`, or an id.loc.gov ISO 639-2 URI. */
  language: string;
  keywords: string[];
  /** Author's display name, written as a vCard 3.0. */
  author: string;
  date: Date | string;
  /** ScoLOMFR vocabulary 010 (type pédagogique), e.g. fiche pédagogique. */
  learningResourceType?: ScolomfrTerm;
  /** ScoLOMFR vocabulary 022 (niveau éducatif détaillé), written as a classification. */
  educationalLevel?: ScolomfrTerm;
  /** Media type of the resource (`application/pdf`). */
  format: string;
  size: number;
  location?: string;
}

const CONCEPT = 'http://data.education.fr/voc/scolomfr/concept/';

/** A few concepts used by the writer and the demo seeds. */
export const SCOLOMFR_TERMS = {
  roleAuthor: { uri: `${CONCEPT}author`, label: 'auteur' },
  roleCreator: { uri: `${CONCEPT}creator`, label: 'créateur' },
  costFree: { uri: `${CONCEPT}no`, label: 'gratuit' },
  copyrightYes: { uri: `${CONCEPT}yes_2`, label: 'oui' },
  purposeEducationalLevel: { uri: `${CONCEPT}educational_level`, label: 'niveau éducatif détaillé' },
  endUserTeacher: { uri: `${CONCEPT}teacher`, label: 'enseignant' },
  endUserLearner: { uri: `${CONCEPT}learner`, label: 'apprenant' },
  contextSecondary: { uri: `${CONCEPT}scolomfr-voc-012-num-003`, label: 'enseignement secondaire' },
  // Vocabulary 010 (type pédagogique)
  lrtLecture: { uri: `${CONCEPT}lecture`, label: 'cours / présentation' },
  lrtExercise: { uri: `${CONCEPT}exercise`, label: 'exercice' },
  lrtFichePedagogique: { uri: `${CONCEPT}scolomfr-voc-010-num-028`, label: 'fiche pédagogique' },
  lrtMethodologie: { uri: `${CONCEPT}scolomfr-voc-010-num-016`, label: 'méthodologie' },
  // Vocabulary 022 (niveau éducatif détaillé)
  levelLyceeGT: { uri: `${CONCEPT}scolomfr-voc-022-num-142`, label: 'lycée général et technologique' },
  levelCollege: { uri: `${CONCEPT}scolomfr-voc-022-num-016`, label: 'collège' },
  level3e: { uri: `${CONCEPT}scolomfr-voc-022-num-023`, label: '3e' },
} as const satisfies Record<string, ScolomfrTerm>;

const ISO639_2: Record<string, string> = {
  fr: 'fre', fre: 'fre', fra: 'fre',
  en: 'eng', eng: 'eng',
  de: 'ger', ger: 'ger', deu: 'ger',
  es: 'spa', spa: 'spa',
  it: 'ita', ita: 'ita',
  pt: 'por', por: 'por',
  oc: 'oci', oci: 'oci',
  br: 'bre', bre: 'bre',
  eu: 'baq', baq: 'baq', eus: 'baq',
  co: 'cos', cos: 'cos',
  ca: 'cat', cat: 'cat',
};

/** ScoLOMFR 3.1 writes languages as id.loc.gov ISO 639-2 URIs. */
export function scolomfrLanguage(language: string): string {
  if (/^https?:\/\//.test(language)) return language;
  const primary = language.toLowerCase().split(/[-_]/)[0];
  const code = ISO639_2[primary] ?? (/^[a-z]{3}$/.test(primary) ? primary : undefined);
  if (!code) throw new FormatError('INVALID_INPUT', `unsupported language tag: ${language}`);
  return `http://id.loc.gov/vocabulary/iso639-2/${code}`;
}

/** DCMI type for lomfr:documentType from a media type (undefined when none fits). */
function documentType(mediaType: string): ScolomfrTerm | undefined {
  if (/^image\//.test(mediaType)) return { uri: 'http://purl.org/dc/dcmitype/StillImage', label: 'image fixe' };
  if (/^video\//.test(mediaType)) return { uri: 'http://purl.org/dc/dcmitype/MovingImage', label: 'image en mouvement' };
  if (/^audio\//.test(mediaType)) return { uri: 'http://purl.org/dc/dcmitype/Sound', label: 'son' };
  if (/^(text\/|application\/pdf$|application\/vnd\.oasis\.opendocument\.text|application\/msword)/.test(mediaType)) {
    return { uri: 'http://purl.org/dc/dcmitype/Text', label: 'texte' };
  }
  return undefined;
}

function vcardEntity(name: string): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/([,;])/g, '\\$1');
  const parts = name.trim().split(/\s+/);
  const family = parts.length > 1 ? parts[parts.length - 1] : parts[0];
  const given = parts.length > 1 ? parts.slice(0, -1).join(' ') : '';
  return ['BEGIN:VCARD', 'VERSION:3.0', `N:${esc(family)};${esc(given)};;;`, `FN:${esc(name.trim())}`, 'END:VCARD'].join('\n');
}

function isFullRecord(v: ScolomfrRecordInput | ScolomfrRecord): v is ScolomfrRecord {
  return typeof v === 'object' && v !== null && typeof (v as ScolomfrRecord).general === 'object' && Array.isArray((v as ScolomfrRecord).classifications);
}

function isoDay(value: Date | string): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new FormatError('INVALID_INPUT', `invalid date: ${String(value)}`);
  return d.toISOString().slice(0, 10);
}

function required(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new FormatError('INVALID_INPUT', `${what} is required`);
}

/**
 * Writes a ScoLOMFR 3.1 record (LOM + LOMFR + ScoLOMFR namespaces).
 *
 * - Given the short {@link ScolomfrRecordInput} (what an ENT knows of a
 *   document): the categories general, lifeCycle, metaMetadata, technical,
 *   educational, rights and, when an educational level is given,
 *   classification. Vocabulary values are written as concept URIs with their
 *   label (the 3.1 "strict" form).
 * - Given a full {@link ScolomfrRecord} (as `readScolomfr` returns it):
 *   everything in it, so that `readScolomfr(writeScolomfrRecord(r)).record`
 *   equals `r`.
 */
export function writeScolomfrRecord(meta: ScolomfrRecordInput | ScolomfrRecord): string {
  if (isFullRecord(meta)) return writeScolomfrFullRecord(meta);
  required(meta.identifier, 'identifier');
  required(meta.title, 'title');
  required(meta.author, 'author');
  required(meta.format, 'format');
  if (!Number.isSafeInteger(meta.size) || meta.size < 0) throw new FormatError('INVALID_INPUT', 'size must be a non-negative integer');
  const lang = scolomfrLanguage(meta.language);
  const day = isoDay(meta.date);
  const w = new XmlWriter();
  const langString = (el: string, value: string) => {
    w.open(el);
    w.leaf('string', value, { language: lang });
    w.close(el);
  };
  const vocab = (el: string, term: ScolomfrTerm, prefix = '') => {
    w.open(`${prefix}${el}`);
    if (prefix === '') w.leaf('source', SCOLOMFR_SOURCE);
    w.leaf(`${prefix}label`, term.label);
    w.leaf(`${prefix}value`, term.uri);
    w.close(`${prefix}${el}`);
  };

  w.open('lom', { xmlns: SCOLOMFR_NS.lom, 'xmlns:lomfr': SCOLOMFR_NS.lomfr, 'xmlns:scolomfr': SCOLOMFR_NS.scolomfr });

  w.open('general');
  w.open('identifier');
  w.leaf('catalog', 'URI');
  w.leaf('entry', meta.identifier);
  w.close('identifier');
  langString('title', meta.title);
  w.leaf('language', lang);
  if (meta.description) langString('description', meta.description);
  for (const kw of meta.keywords ?? []) if (kw.trim()) langString('keyword', kw);
  const dt = documentType(meta.format);
  if (dt) vocab('documentType', dt, 'lomfr:');
  w.close('general');

  w.open('lifeCycle');
  w.open('contribute');
  vocab('role', SCOLOMFR_TERMS.roleAuthor);
  w.leaf('entity', vcardEntity(meta.author));
  w.open('date');
  w.leaf('dateTime', day);
  w.close('date');
  w.close('contribute');
  w.close('lifeCycle');

  w.open('metaMetadata');
  w.open('contribute');
  vocab('role', SCOLOMFR_TERMS.roleCreator);
  w.leaf('entity', vcardEntity(meta.author));
  w.open('date');
  w.leaf('dateTime', day);
  w.close('date');
  w.close('contribute');
  w.leaf('metadataSchema', 'LOMv1.0');
  w.leaf('metadataSchema', 'LOMFRv1.0');
  w.leaf('metadataSchema', SCOLOMFR_SOURCE);
  w.leaf('language', lang);
  w.close('metaMetadata');

  w.open('technical');
  w.leaf('format', meta.format);
  w.leaf('size', String(meta.size));
  if (meta.location) w.leaf('location', meta.location);
  w.close('technical');

  w.open('educational');
  if (meta.learningResourceType) vocab('learningResourceType', meta.learningResourceType);
  vocab('intendedEndUserRole', SCOLOMFR_TERMS.endUserTeacher);
  vocab('context', SCOLOMFR_TERMS.contextSecondary);
  w.leaf('language', lang);
  w.close('educational');

  w.open('rights');
  vocab('cost', SCOLOMFR_TERMS.costFree);
  vocab('copyrightAndOtherRestrictions', SCOLOMFR_TERMS.copyrightYes);
  langString('description', `© ${meta.author}. Ressource partagée dans le cadre de la portabilité entre ENT.`);
  w.close('rights');

  if (meta.educationalLevel) {
    w.open('classification');
    vocab('purpose', SCOLOMFR_TERMS.purposeEducationalLevel);
    w.open('taxonPath');
    w.open('source');
    w.leaf('string', `${SCOLOMFR_SOURCE} ; scolomfr-voc-022 ; Niveau éducatif détaillé`);
    w.close('source');
    w.open('taxon');
    w.leaf('id', meta.educationalLevel.uri);
    w.open('entry');
    w.leaf('string', meta.educationalLevel.label, { language: lang });
    w.close('entry');
    w.close('taxon');
    w.close('taxonPath');
    w.close('classification');
  }

  w.close('lom');
  return w.toString();
}

export const SCOLOMFR_MEDIA_TYPE = 'application/xml';
