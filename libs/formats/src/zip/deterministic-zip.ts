import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { FormatError } from '../errors';
import { assertSafeEntryName } from './entry-names';

export interface ZipInputEntry {
  name: string;
  /** The bytes, or a file read when the zip is written (large payloads never held in memory). */
  data: Buffer | string | { path: string };
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

function buildZip(entries: ZipInputEntry[], options: { date?: Date }): ZipFile {
  const mtime = dosDateFor(options.date ?? ZIP_EPOCH);
  const seen = new Set<string>();
  const zip = new ZipFile();
  for (const entry of entries) {
    assertSafeEntryName(entry.name);
    if (seen.has(entry.name)) throw new FormatError('INVALID_INPUT', `duplicate zip entry name: ${entry.name}`);
    seen.add(entry.name);
    const opts = { mtime, mode: 0o100644, compress: !entry.store, forceDosTimestamp: true };
    if (typeof entry.data === 'object' && !Buffer.isBuffer(entry.data)) {
      zip.addFile(entry.data.path, entry.name, opts);
      continue;
    }
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
    zip.addBuffer(data, entry.name, opts);
  }
  return zip;
}

/**
 * Writes a zip whose bytes depend only on the entries, their order and `date`:
 * fixed timestamps (no extended-timestamp extra field), fixed file modes, no
 * comment. Same input, same bytes (for a given zlib build).
 */
export async function writeDeterministicZip(entries: ZipInputEntry[], options: { date?: Date } = {}): Promise<Buffer> {
  const zip = buildZip(entries, options);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    (zip as unknown as NodeJS.EventEmitter).on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.end();
  });
}

export interface WrittenFile {
  path: string;
  size: number;
  /** Lowercase hex SHA-256 of the bytes written. */
  sha256: string;
}

/**
 * Same bytes as `writeDeterministicZip`, streamed to `outPath` (memory stays
 * flat whatever the size). Atomic: written to a hidden sibling file, renamed
 * at the end; on failure the partial file is removed. Returns size and SHA-256.
 */
export async function writeDeterministicZipToFile(
  entries: ZipInputEntry[],
  outPath: string,
  options: { date?: Date } = {},
): Promise<WrittenFile> {
  const zip = buildZip(entries, options);
  const tmp = join(dirname(outPath), `.${basename(outPath)}.partial-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  (zip as unknown as NodeJS.EventEmitter).on('error', (e: Error) => tap.destroy(e));
  try {
    zip.end();
    await pipeline(zip.outputStream, tap, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    await fs.rename(tmp, outPath);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    if (e instanceof FormatError) throw e;
    throw new FormatError('INVALID_INPUT', `could not write ${outPath}: ${e instanceof Error ? e.message : String(e)}`, 'WRITE_FAILED');
  }
  return { path: outPath, size, sha256: hash.digest('hex') };
}
