/**
 * Format registry: the stable format ids both contracts speak (ARCHITECTURE §3).
 *
 * Plain data, no runtime dependency: an ENT vendor can reuse this file as is.
 * Detectors (sniffing the bytes) live in `libs/formats`; this registry only
 * names formats, their usual media types and a French label for the teacher.
 */

export type FormatFamily =
  | 'common-cartridge'
  | 'lms-backup'
  | 'assessment'
  | 'interactive'
  | 'scorm'
  | 'metadata'
  | 'calendar'
  | 'contacts'
  | 'mail'
  | 'training-offer'
  | 'binary';

export interface FormatDefinition {
  /** Stable id, matches `FORMAT_ID_PATTERN` of the contract. */
  readonly id: string;
  /** Media types this format usually travels with (informative; `binary` accepts any). */
  readonly mediaTypes: readonly string[];
  /** Name shown to the teacher, in French. */
  readonly label: string;
  readonly family: FormatFamily;
  /** True for `binary` only: any media type is acceptable. */
  readonly anyMediaType?: true;
  /** Standard at end of life: the platform transfers it as a plain binary. */
  readonly endOfLife?: true;
}

const ZIP = 'application/zip';
const XML = 'application/xml';

export const FORMAT_REGISTRY: readonly FormatDefinition[] = Object.freeze(
  (
    [
      { id: 'imscc-1.0', mediaTypes: ['application/vnd.ims.imsccv1p0', ZIP], label: 'Common Cartridge 1.0', family: 'common-cartridge' },
      { id: 'imscc-1.1', mediaTypes: ['application/vnd.ims.imsccv1p1', ZIP], label: 'Common Cartridge 1.1', family: 'common-cartridge' },
      { id: 'imscc-1.2', mediaTypes: ['application/vnd.ims.imsccv1p2', ZIP], label: 'Common Cartridge 1.2', family: 'common-cartridge' },
      { id: 'imscc-1.3', mediaTypes: ['application/vnd.ims.imsccv1p3', ZIP], label: 'Common Cartridge 1.3', family: 'common-cartridge' },
      { id: 'thincc-1.3', mediaTypes: ['application/vnd.ims.imsccv1p3', ZIP], label: 'Thin Common Cartridge 1.3 (liens et outils LTI)', family: 'common-cartridge' },
      { id: 'moodle-mbz', mediaTypes: ['application/vnd.moodle.backup', 'application/gzip', ZIP], label: 'Sauvegarde de cours Moodle (.mbz)', family: 'lms-backup' },
      { id: 'qti-2.1', mediaTypes: [ZIP, XML], label: 'Questionnaires QTI 2.1', family: 'assessment' },
      { id: 'h5p', mediaTypes: ['application/h5p', ZIP], label: 'Activité interactive H5P', family: 'interactive' },
      { id: 'scorm-1.2', mediaTypes: [ZIP], label: 'Module SCORM 1.2', family: 'scorm', endOfLife: true },
      { id: 'scorm-2004', mediaTypes: [ZIP], label: 'Module SCORM 2004', family: 'scorm', endOfLife: true },
      { id: 'scolomfr-3.1', mediaTypes: [XML], label: 'Fiche de description ScoLOMFR 3.1', family: 'metadata' },
      { id: 'lom', mediaTypes: [XML], label: 'Fiche de description LOM', family: 'metadata' },
      { id: 'schemaorg-jsonld', mediaTypes: ['application/ld+json'], label: 'Fiche de description schema.org / LRMI (JSON-LD)', family: 'metadata' },
      { id: 'ical', mediaTypes: ['text/calendar'], label: 'Calendrier iCalendar (.ics)', family: 'calendar' },
      { id: 'contacts-csv', mediaTypes: ['text/csv'], label: 'Carnet d\u2019adresses (CSV)', family: 'contacts' },
      { id: 'vcard', mediaTypes: ['text/vcard', 'text/x-vcard'], label: 'Carnet d\u2019adresses vCard', family: 'contacts' },
      { id: 'eml', mediaTypes: ['message/rfc822'], label: 'Message électronique (.eml)', family: 'mail' },
      { id: 'mbox', mediaTypes: ['application/mbox'], label: 'Boîte aux lettres électronique (mbox)', family: 'mail' },
      { id: 'lheo-2.2', mediaTypes: [XML], label: 'Offre de formation LHÉO 2.2', family: 'training-offer' },
      { id: 'lheo-2.3', mediaTypes: [XML], label: 'Offre de formation LHÉO 2.3', family: 'training-offer' },
      { id: 'binary', mediaTypes: ['application/octet-stream'], label: 'Fichier', family: 'binary', anyMediaType: true },
    ] as FormatDefinition[]
  ).map((f) => Object.freeze({ ...f, mediaTypes: Object.freeze([...f.mediaTypes]) })),
);

/** The id of the catch-all format: any file, described only by its media type. */
export const BINARY_FORMAT = 'binary';

const BY_ID: ReadonlyMap<string, FormatDefinition> = new Map(FORMAT_REGISTRY.map((f) => [f.id, f]));

/** Every registered format id, in registry order. */
export const KNOWN_FORMAT_IDS: readonly string[] = Object.freeze(FORMAT_REGISTRY.map((f) => f.id));

/** True when `id` is a registered format id (exact, case-sensitive match). */
export function isKnownFormat(id: unknown): id is string {
  return typeof id === 'string' && BY_ID.has(id);
}

/** The registry entry for `id`, or `undefined` when the id is not registered. */
export function getFormat(id: string): FormatDefinition | undefined {
  return typeof id === 'string' ? BY_ID.get(id) : undefined;
}

/** French label of a format for messages; falls back to the raw id. */
export function formatLabel(id: string): string {
  return getFormat(id)?.label ?? id;
}

/** Lower-cases a media type and drops its parameters (`text/plain; charset=utf-8` → `text/plain`). */
export function normalizeMediaType(mediaType: unknown): string {
  if (typeof mediaType !== 'string') return '';
  return mediaType.split(';', 1)[0].trim().toLowerCase();
}
