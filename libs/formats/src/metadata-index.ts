/**
 * Public API of the metadata and everyday formats (ScoLOMFR read / validate /
 * upgrade, schema.org / LRMI crosswalk, LHÉO 2.2 ↔ 2.3, cahier de textes →
 * Common Cartridge, mbox ↔ EML, vCard), the executable converters and the
 * delivery index. Re-exported by `index.ts` (`export * from './metadata-index'`);
 * no name here clashes with the Common Cartridge / zip / XML exports there.
 */

// --- findings, corpus, XSD -------------------------------------------------
export { findingCodes, hasErrors as hasErrorFindings } from './scolomfr/findings';
export type { Finding as MetadataFinding, FindingSeverity as MetadataFindingSeverity } from './scolomfr/findings';
export { defaultCorpusDir, corpusPath, CORPUS_PATHS } from './scolomfr/corpus';
export type { CorpusOptions } from './scolomfr/corpus';
export { validateXmlWithXsd, xmllintAvailable, parseXmllintOutput } from './scolomfr/xsd';
export type { XsdResult as XmllintResult, XsdError as XmllintError } from './scolomfr/xsd';

// --- ScoLOMFR -------------------------------------------------------------------
export { readScolomfr, readScolomfrTree } from './scolomfr/reader';
export type { ScolomfrReadResult } from './scolomfr/reader';
export { emptyScolomfrRecord, emptyEducational, firstLangString } from './scolomfr/record';
export type {
  ScolomfrRecord,
  LangString as ScolomfrLangString,
  LangStrings as ScolomfrLangStrings,
  VocabEntry as ScolomfrVocabEntry,
  Identifier as ScolomfrIdentifier,
  Contribution as ScolomfrContribution,
  DateTimeValue as ScolomfrDateTime,
  DurationValue as ScolomfrDuration,
  OrComposite as ScolomfrOrComposite,
  ExtendedLocation as ScolomfrExtendedLocation,
  Educational as ScolomfrEducational,
  Relation as ScolomfrRelation,
  Annotation as ScolomfrAnnotation,
  Classification as ScolomfrClassification,
  TaxonPath as ScolomfrTaxonPath,
  Taxon as ScolomfrTaxon,
} from './scolomfr/record';
export { writeScolomfrFullRecord } from './scolomfr/record-writer';
export { validateScolomfr, checkVocabularies, classifyValue, languageConceptUri, vocabularyOfSource, purposeVocabularies } from './scolomfr/validate';
export type { ScolomfrValidationOptions, ScolomfrValidationResult, ValueStatus as ScolomfrValueStatus } from './scolomfr/validate';
export { upgradeScolomfr } from './scolomfr/upgrade';
export type { ScolomfrUpgradeResult, MappedValue as ScolomfrMappedValue, UnmappedValue as ScolomfrUnmappedValue, MappingReason as ScolomfrMappingReason } from './scolomfr/upgrade';
export { ScolomfrVocabularies, scolomfrVocabularies, normaliseLabel as normaliseScolomfrLabel, VOCABULARY_URI_PREFIX as SCOLOMFR_VOCABULARY_URI_PREFIX, CONCEPT_URI_PREFIX as SCOLOMFR_CONCEPT_URI_PREFIX } from './scolomfr/vocabularies';
export type { Vocabulary as ScolomfrVocabulary, VocabularyConcept as ScolomfrConcept, DeprecatedConcept as ScolomfrDeprecatedConcept, MigrationTable as ScolomfrMigrationTable } from './scolomfr/vocabularies';
export { VOCAB_ELEMENT_RULES as SCOLOMFR_VOCAB_ELEMENT_RULES, vocabularyElements as scolomfrVocabularyElements } from './scolomfr/vocab-elements';
export type { VocabElementRule as ScolomfrVocabElementRule } from './scolomfr/vocab-elements';

// --- schema.org / LRMI ------------------------------------------------------------
export {
  scolomfrToSchemaOrg,
  crosswalkScolomfrToSchemaOrg,
  bcp47FromScolomfr,
  SCHEMA_ORG_CONTEXT,
  SCHEMAORG_JSONLD_MEDIA_TYPE,
  SCOLOMFR_TO_SCHEMAORG_LOSSES,
} from './schemaorg/to-schemaorg';
export type { JsonLd, CrosswalkLoss } from './schemaorg/to-schemaorg';
export { schemaOrgToScolomfr, scolomfrLanguageFromBcp47, isoDate as lrmiIsoDate, isoDuration as lrmiIsoDuration, SCHEMAORG_TO_SCOLOMFR_LOSSES } from './schemaorg/from-schemaorg';
export { readLrmi, normaliseJsonLd, jsonLdBlocks } from './schemaorg/lrmi';
export type { LrmiReadResult } from './schemaorg/lrmi';

// --- LHÉO ---------------------------------------------------------------------------
export {
  upgradeLheo22to23,
  downgradeLheo23to22,
  validateLheo,
  detectLheoVersion,
  lheoDateToDateTime,
  LHEO_NS,
  LHEO_MEDIA_TYPE,
  LHEO23_EXTRAS_INFO,
  LHEO_DOWNGRADE_LOSS,
  LEVEL_23_TO_22 as LHEO_LEVEL_23_TO_22,
} from './lheo/lheo';
export type { LheoVersion, LheoChange, LheoLoss, LheoConversionResult, LheoUpgradeOptions, LheoValidationResult } from './lheo/lheo';
export { digestLheoXsd, renderLheoSchemaTables } from './lheo/schema-digest';
export type { LheoSchemaDigest, LheoElementRule, LheoChildRule } from './lheo/schema-digest';
export { LHEO_22, LHEO_23 } from './lheo/schema-tables';

// --- cahier de textes, mail, contacts -----------------------------------------------------
export { cahierToCcWebContent, readCahierFromICalendar, frenchSessionDate, icalDate, ICAL_TO_CC_LOSS } from './icalendar/cahier';
export type { ReadCahier, ReadCahierSession, ReadCahierHomework, CahierCcResult } from './icalendar/cahier';
export {
  mboxToEml,
  emlToMbox,
  splitMbox,
  splitMboxStream,
  mboxEntry,
  envelopeFor,
  emlFileName,
  messageHeaders,
  asRfc5322Message,
  EML_MEDIA_TYPE,
} from './mbox/eml';
export type { EmlFile, RawMessage } from './mbox/eml';
export {
  writeVcard,
  parseVcard,
  parseVcardProperty,
  vcard,
  vcardDisplayName,
  escapeVcardText,
  unescapeVcardText,
  foldVcardLine,
  VCARD_MEDIA_TYPE,
} from './vcard/vcard';
export type { Vcard, VcardName, VcardAddress, VcardTyped, VcardProperty } from './vcard/vcard';

// --- converters and delivery index ---------------------------------------------------------
export { EXECUTABLE_CONVERTERS, descriptorsOf, findExecutableConverter } from './converters/converters';
export { DESCRIPTORS as CONVERTER_DESCRIPTORS, CC13_ASSIGNMENTS_DROPPED, CC12_CURRICULUM_STANDARDS_DROPPED } from './converters/descriptors';
export type { ExecutableConverter, ConverterRunResult, ConverterRunLoss, ConverterRunOptions } from './converters/types';
export { buildDeliveryIndex, itemUrn as deliveryItemUrn, frenchSize, DELIVERY_INDEX_NS, DELIVERY_INDEX_FILES, CATEGORY_LABELS as DELIVERY_CATEGORY_LABELS } from './delivery-index/delivery-index';
export type { DeliveryIndex, DeliveryIndexItem, DeliveryIndexMeta, DeliveryParty } from './delivery-index/delivery-index';
export { registerMetadataFormats, METADATA_INSPECTORS, METADATA_FILE_CONVERSIONS, scolomfrInspector, lheoInspector, schemaOrgInspector } from './converters/cli-plugins';
