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
export { writeMinimalPdf, PDF_MEDIA_TYPE } from './pdf/minimal-pdf';
