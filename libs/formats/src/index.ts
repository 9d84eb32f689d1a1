/**
 * @ent/formats — readers and writers of the exchange formats (plain
 * TypeScript: no Nest, no database, no network; usable by any ENT vendor).
 */
export * from './errors';
export { escapeXmlAttr, escapeXmlText, XmlWriter } from './xml/xml-escape';
export { parseXmlSafely, childrenNamed, firstChild, descendantsNamed } from './xml/safe-xml';
export type { XmlElement, SafeXmlOptions } from './xml/safe-xml';
export { writeDeterministicZip, ZIP_EPOCH } from './zip/deterministic-zip';
export type { ZipInputEntry } from './zip/deterministic-zip';
export { openZipSafely, DEFAULT_ZIP_LIMITS } from './zip/safe-zip';
export type { SafeZip, ZipEntryInfo, ZipLimits, ZipSource } from './zip/safe-zip';
export { assertSafeEntryName, unsafeEntryNameReason } from './zip/entry-names';
export * from './commoncartridge/cc-types';
export { CC_MEDIA_TYPES, CC_FILEBASE_TOKEN, CC_SCHEMA_NAME } from './commoncartridge/cc-versions';
export { writeCommonCartridge } from './commoncartridge/cc-writer';
export { readCommonCartridgeManifest } from './commoncartridge/cc-reader';
export { writeMbox, parseMbox, MBOX_MEDIA_TYPE } from './mbox/mbox';
export type { MboxMessage, ParsedMboxMessage } from './mbox/mbox';
export { contactsCsvToVcards, writeContactsCsv, parseCsv, CONTACT_COLUMNS, CONTACTS_CSV_MEDIA_TYPE } from './vcard/contacts-csv';
export {
  encodeQuotedPrintable,
  decodeQuotedPrintable,
  decodeEncodedWords,
  encodeWords,
  formatRfc5322Date,
} from './mbox/mime';
export {
  writeICalendar,
  parseICalendar,
  escapeIcalText,
  unescapeIcalText,
  foldIcalLine,
  formatIcalUtc,
  ICAL_MEDIA_TYPE,
  ICAL_PRODID,
} from './icalendar/icalendar';
export type { CahierDeTextes, CahierSession, CahierHomework, IcalComponent, IcalProperty } from './icalendar/icalendar';
export {
  writeScolomfrRecord,
  scolomfrLanguage,
  SCOLOMFR_NS,
  SCOLOMFR_TERMS,
  SCOLOMFR_SOURCE,
  SCOLOMFR_MEDIA_TYPE,
} from './scolomfr/scolomfr';
export type { ScolomfrRecordInput, ScolomfrTerm } from './scolomfr/scolomfr';
export { writeMinimalPdf, writeDocumentPdf, PDF_MEDIA_TYPE } from './pdf/minimal-pdf';
export type { PdfBlock } from './pdf/minimal-pdf';
// --- Common Cartridge: full reader, validator, converter; hostile-input helpers; CLI registry ---
export { readCommonCartridge, openCommonCartridge, outlineItems, normalizeHref, formatIdOf } from './commoncartridge/cc-read';
export type { CcReadOptions, OpenedCartridge } from './commoncartridge/cc-read';
export { openCcPackage } from './commoncartridge/cc-package';
export type { CcPackage, CcSourceInput } from './commoncartridge/cc-package';
export { CC_TYPE_PATTERNS, classifyResourceType, canonicalResourceType } from './commoncartridge/cc-resource-types';
export type { CcTypePattern, CcTypeMatch } from './commoncartridge/cc-resource-types';
export { parseQti, writeQti, checkQtiProfile, QTI_NS } from './commoncartridge/cc-qti';
export type { ParsedQti, ParsedQtiQuestion } from './commoncartridge/cc-qti';
export { planCommonCartridge, writeCommonCartridgeToFile } from './commoncartridge/cc-writer';
export type { CcWriteResult } from './commoncartridge/cc-writer';
export { cartridgeToCourse, mediaTypeOf } from './commoncartridge/cc-to-course';
export type { CcCourseMapping, CcMappingOptions } from './commoncartridge/cc-to-course';
export { validateCommonCartridge, validateCommonCartridge13, validateOpenedCc13, validateOpenedCcLegacy, checkCc13Profile } from './commoncartridge/cc-validate';
export type { CcValidation, CcValidateOptions } from './commoncartridge/cc-validate';
export { findCc13SchemaDir, xmllintStatus } from './commoncartridge/cc-xsd';
export { convertCommonCartridge } from './commoncartridge/cc-convert';
export type { CcConvertOptions, CcConvertResult } from './commoncartridge/cc-convert';
export { extractZipSafely } from './zip/safe-extract';
export type { ExtractResult } from './zip/safe-extract';
export { writeDeterministicZipToFile } from './zip/deterministic-zip';
export type { WrittenFile } from './zip/deterministic-zip';
export { classifyEntryName, DEFAULT_MAX_PATH_DEPTH } from './zip/entry-names';
export type { UnsafeName, UnsafeNameReason } from './zip/entry-names';
export { decodeXmlBytes } from './xml/xml-decode';
export {
  detectAndInspect,
  detectFormat,
  convertFile,
  conversionsFrom,
  registerInspector,
  registerConversion,
  INSPECTORS,
  CONVERSIONS,
  commonCartridgeInspector,
} from './inspect';
export type { InspectReport, InspectFinding, InspectOptions, FormatInspector, FormatConversion, ConversionResult, DetectInput } from './inspect';
export * from './metadata-index';
