import type { ConnectorCategoryImport, ContentCategory } from '@ent/contract';

/** Format ids of the registry that the simulated ENTs use. */
export const FORMATS = {
  imscc13: { format: 'imscc-1.3', mediaType: 'application/vnd.ims.imsccv1p3' },
  imscc11: { format: 'imscc-1.1', mediaType: 'application/vnd.ims.imsccv1p1' },
  imscc10: { format: 'imscc-1.0', mediaType: 'application/vnd.ims.imsccv1p0' },
  ical: { format: 'ical', mediaType: 'text/calendar' },
  mbox: { format: 'mbox', mediaType: 'application/mbox' },
  contactsCsv: { format: 'contacts-csv', mediaType: 'text/csv' },
  vcard: { format: 'vcard', mediaType: 'text/vcard' },
  pdf: { format: 'binary', mediaType: 'application/pdf' },
} as const;

export const METADATA_FORMATS = {
  scolomfr31: { format: 'scolomfr-3.1', mediaType: 'application/xml' },
  schemaorg: { format: 'schemaorg-jsonld', mediaType: 'application/ld+json' },
} as const;

/** Known media types of the non-binary formats (used when an import does not give one). */
export const MEDIA_TYPE_OF_FORMAT: Record<string, string> = {
  'imscc-1.3': FORMATS.imscc13.mediaType,
  'imscc-1.1': FORMATS.imscc11.mediaType,
  'imscc-1.0': FORMATS.imscc10.mediaType,
  ical: FORMATS.ical.mediaType,
  mbox: FORMATS.mbox.mediaType,
  'contacts-csv': FORMATS.contactsCsv.mediaType,
  vcard: FORMATS.vcard.mediaType,
};

/** An export's bytes: in memory, or produced chunk by chunk (a large item, seeded in flat memory). */
export type SeedExport = { format: string; mediaType: string } & ({ bytes: Buffer } | { chunks: () => Iterable<Buffer> });

/** The bytes of an export, whole (for small ones and for tests). */
export function seedExportBytes(e: SeedExport): Buffer {
  return 'bytes' in e ? e.bytes : Buffer.concat([...e.chunks()]);
}

export interface SeedContent {
  id: string;
  ownerId: string;
  title: string;
  category: ContentCategory;
  updatedAt: string;
  /** Export formats, preferred first; the bytes are what the ENT will serve, byte for byte. */
  exports: SeedExport[];
  /** Metadata records by metadata format id. */
  metadata?: Record<string, Buffer>;
}

export interface SeedOptions {
  /**
   * Synthetic contents added per seeded teacher (ENT_SIM_EXTRA_ITEMS, 0–500).
   * Absent: read from ENT_SIM_EXTRA_ITEMS in the environment (0 when unset).
   */
  extraItems?: number;
  /** Size of one large PDF added per seeded teacher (ENT_SIM_LARGE_ITEM_BYTES; 0 or absent: none). */
  largeItemBytes?: number;
  /** Teachers who get the large PDF (ENT_SIM_LARGE_ITEM_OWNERS; absent: every seeded teacher). */
  largeItemOwners?: string[];
}

export interface EntProfile {
  entId: string;
  /** Establishment served by this ENT (for logs and docs). */
  uai: string;
  establishment: string;
  categories: ConnectorCategoryImport[];
  refusedCategories: ContentCategory[];
  /** Upper bound of an imported item in this ENT; the effective limit is min(this, ENT_SIM_MAX_ITEM_BYTES). */
  maxItemBytes?: number;
  /**
   * How courses (Common Cartridge) are imported. Absent: read and checked
   * (version, files). `moodle`: as Moodle's IMS CC import — CC 1.0 and 1.1
   * only, refused whole when the official XSDs of the version refuse it.
   */
  courseImport?: 'moodle';
  /** The contents of a fresh store; deterministic (same options, same bytes). */
  seed(options?: SeedOptions): Promise<SeedContent[]>;
}
