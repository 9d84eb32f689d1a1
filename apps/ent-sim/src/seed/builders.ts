import {
  CahierSession,
  CcCourse,
  MboxMessage,
  ScolomfrTerm,
  SCOLOMFR_TERMS,
  writeCommonCartridge,
  writeICalendar,
  writeMbox,
  writeMinimalPdf,
  writeScolomfrRecord,
  writeContactsCsv,
} from '@ent/formats';
import type { ContentCategory } from '@ent/contract';
import { FORMATS, METADATA_FORMATS, SeedContent } from '../profiles/profile';

/** Helpers that turn French demo material into seeded contents with their exact export bytes. */

export function contentUrn(entId: string, id: string): string {
  return `urn:ent-sim:${entId}:content:${id}`;
}

export async function courseContent(
  entId: string,
  id: string,
  ownerId: string,
  course: Omit<CcCourse, 'identifier'>,
): Promise<SeedContent> {
  const full: CcCourse = { ...course, identifier: contentUrn(entId, id) };
  const updatedAt = new Date(String(course.updatedAt)).toISOString();
  return {
    id,
    ownerId,
    title: course.title,
    category: 'PARCOURS_PEDAGOGIQUE',
    updatedAt,
    exports: [
      { ...FORMATS.imscc13, bytes: await writeCommonCartridge(full, { version: '1.3' }) },
      { ...FORMATS.imscc11, bytes: await writeCommonCartridge(full, { version: '1.1' }) },
    ],
  };
}

export interface PdfDocumentSeed {
  id: string;
  ownerId: string;
  title: string;
  category?: ContentCategory;
  updatedAt: string;
  lines: string[];
  /** When given, a ScoLOMFR 3.1 record is attached. */
  scolomfr?: {
    description: string;
    keywords: string[];
    author: string;
    learningResourceType?: ScolomfrTerm;
    educationalLevel?: ScolomfrTerm;
  };
}

export function pdfContent(entId: string, doc: PdfDocumentSeed): SeedContent {
  const bytes = writeMinimalPdf(doc.title, doc.lines);
  const content: SeedContent = {
    id: doc.id,
    ownerId: doc.ownerId,
    title: doc.title,
    category: doc.category ?? 'STOCKAGE_PARTAGE',
    updatedAt: new Date(doc.updatedAt).toISOString(),
    exports: [{ ...FORMATS.pdf, bytes }],
  };
  if (doc.scolomfr) {
    const record = writeScolomfrRecord({
      identifier: contentUrn(entId, doc.id),
      title: doc.title,
      description: doc.scolomfr.description,
      language: 'fr',
      keywords: doc.scolomfr.keywords,
      author: doc.scolomfr.author,
      date: new Date(doc.updatedAt),
      learningResourceType: doc.scolomfr.learningResourceType,
      educationalLevel: doc.scolomfr.educationalLevel,
      format: FORMATS.pdf.mediaType,
      size: bytes.length,
    });
    content.metadata = { [METADATA_FORMATS.scolomfr31.format]: Buffer.from(record, 'utf8') };
  }
  return content;
}

export function cahierContent(id: string, ownerId: string, title: string, updatedAt: string, sessions: CahierSession[]): SeedContent {
  return {
    id,
    ownerId,
    title,
    category: 'CAHIER_TEXTES',
    updatedAt: new Date(updatedAt).toISOString(),
    exports: [{ ...FORMATS.ical, bytes: Buffer.from(writeICalendar({ title, sessions }), 'utf8') }],
  };
}

export function mailContent(id: string, ownerId: string, title: string, messages: MboxMessage[]): SeedContent {
  const latest = new Date(Math.max(...messages.map((m) => m.date.getTime())));
  return {
    id,
    ownerId,
    title,
    category: 'COURRIER_ELECTRONIQUE',
    updatedAt: latest.toISOString(),
    exports: [{ ...FORMATS.mbox, bytes: writeMbox([...messages].sort((a, b) => a.date.getTime() - b.date.getTime())) }],
  };
}

/** A webmail address book as the ENT exports it: CSV with a header row (`contacts-csv`, docs/formats-mail.md). */
export function contactsContent(id: string, ownerId: string, title: string, updatedAt: string, columns: readonly string[], rows: Record<string, string>[]): SeedContent {
  return {
    id,
    ownerId,
    title,
    category: 'COURRIER_ELECTRONIQUE',
    updatedAt: new Date(updatedAt).toISOString(),
    exports: [{ ...FORMATS.contactsCsv, bytes: Buffer.from(writeContactsCsv(columns, rows), 'utf8') }],
  };
}

export { SCOLOMFR_TERMS };
