import { ZipFile } from 'yazl';
import { FormatError } from '../errors';
import { assertSafeEntryName } from './entry-names';

export interface ZipInputEntry {
  name: string;
  data: Buffer | string;
  /** Store without compression (for data that is already compressed: PDF, images, zips). */
  store?: boolean;
}

/** 1980-01-01T00:00:00Z, the earliest DOS timestamp: used when no date is given. */
export const ZIP_EPOCH = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));

/**
 * yazl writes the DOS date from the *local* date fields of the Date it gets.
 * To get the same bytes in every time zone we hand it a Date whose local
 * fields equal the UTC fields of the wanted instant (DOS time has no zone and
 * a 2-second resolution, which we round down to).
 */
function dosDateFor(date: Date): Date {
  const t = Math.max(date.getTime(), ZIP_EPOCH.getTime());
  const d = new Date(t);
  return new Date(
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds() - (d.getUTCSeconds() % 2),
  );
}

/**
 * Writes a zip whose bytes depend only on the entries, their order and `date`:
 * fixed timestamps (no extended-timestamp extra field), fixed file modes, no
 * comment. Same input, same bytes (for a given zlib build).
 */
export async function writeDeterministicZip(entries: ZipInputEntry[], options: { date?: Date } = {}): Promise<Buffer> {
  const mtime = dosDateFor(options.date ?? ZIP_EPOCH);
  const seen = new Set<string>();
  const zip = new ZipFile();
  for (const entry of entries) {
    assertSafeEntryName(entry.name);
    if (seen.has(entry.name)) throw new FormatError('INVALID_INPUT', `duplicate zip entry name: ${entry.name}`);
    seen.add(entry.name);
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
    zip.addBuffer(data, entry.name, {
      mtime,
      mode: 0o100644,
      compress: !entry.store,
      forceDosTimestamp: true,
    });
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.end();
  });
}
