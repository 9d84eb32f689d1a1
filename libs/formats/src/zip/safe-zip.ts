import * as yauzl from 'yauzl';
import { FormatError } from '../errors';
import { unsafeEntryNameReason } from './entry-names';

export interface ZipLimits {
  /** Maximum number of entries (default 10 000). */
  maxEntries?: number;
  /** Maximum sum of the declared uncompressed sizes (default 512 MiB). */
  maxTotalUncompressedBytes?: number;
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxEntries: 10_000,
  maxTotalUncompressedBytes: 512 * 1024 * 1024,
};

export interface ZipEntryInfo {
  name: string;
  isDirectory: boolean;
  compressedSize: number;
  uncompressedSize: number;
}

export interface SafeZip {
  readonly entries: readonly ZipEntryInfo[];
  readonly totalUncompressedBytes: number;
  has(name: string): boolean;
  /** Reads one entry fully; fails if it is larger than `maxBytes` (default 16 MiB). */
  read(name: string, maxBytes?: number): Promise<Buffer>;
  close(): void;
}

export type ZipSource = Buffer | { path: string };

function mapYauzlError(err: Error): FormatError {
  if (err instanceof FormatError) return err;
  const msg = err.message || String(err);
  if (/fileName|absolute path|relative path/i.test(msg)) return new FormatError('ZIP_UNSAFE_ENTRY_NAME', msg);
  return new FormatError('ZIP_MALFORMED', `not a readable zip: ${msg}`);
}

const YAUZL_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  decodeStrings: true,
  validateEntrySizes: true,
  // Backslashes are an error, not silently turned into '/'.
  strictFileNames: true,
};

function openYauzl(source: ZipSource): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, zf?: yauzl.ZipFile) => (err || !zf ? reject(mapYauzlError(err ?? new Error('no zip'))) : resolve(zf));
    if (Buffer.isBuffer(source)) yauzl.fromBuffer(source, YAUZL_OPTIONS, cb);
    else yauzl.open(source.path, YAUZL_OPTIONS, cb);
  });
}

/**
 * Opens an untrusted zip: entry count and total expanded size bounded before
 * anything is inflated, every entry name checked against zip slip, and each
 * read bounded. Nothing is ever written to disk.
 */
export async function openZipSafely(source: ZipSource, limits: ZipLimits = {}): Promise<SafeZip> {
  const maxEntries = limits.maxEntries ?? DEFAULT_ZIP_LIMITS.maxEntries;
  const maxTotal = limits.maxTotalUncompressedBytes ?? DEFAULT_ZIP_LIMITS.maxTotalUncompressedBytes;
  const zf = await openYauzl(source);
  try {
    if (zf.entryCount > maxEntries) {
      throw new FormatError('ZIP_TOO_MANY_ENTRIES', `zip has ${zf.entryCount} entries, limit is ${maxEntries}`);
    }
    const byName = new Map<string, yauzl.Entry>();
    const infos: ZipEntryInfo[] = [];
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zf.on('error', (e: Error) => reject(mapYauzlError(e)));
      zf.on('end', () => resolve());
      zf.on('entry', (entry: yauzl.Entry) => {
        const reason = unsafeEntryNameReason(entry.fileName);
        if (reason) {
          return reject(
            new FormatError('ZIP_UNSAFE_ENTRY_NAME', `unsafe zip entry name ${JSON.stringify(entry.fileName)}: ${reason}`),
          );
        }
        total += entry.uncompressedSize;
        if (total > maxTotal) {
          return reject(
            new FormatError('ZIP_TOO_LARGE', `zip expands to more than ${maxTotal} bytes (declared sizes)`),
          );
        }
        const info: ZipEntryInfo = {
          name: entry.fileName,
          isDirectory: entry.fileName.endsWith('/'),
          compressedSize: entry.compressedSize,
          uncompressedSize: entry.uncompressedSize,
        };
        infos.push(info);
        byName.set(entry.fileName, entry);
        zf.readEntry();
      });
      zf.readEntry();
    });
    zf.removeAllListeners('error');
    zf.on('error', () => undefined);

    return {
      entries: infos,
      totalUncompressedBytes: total,
      has: (name) => byName.has(name),
      read: (name, maxBytes = 16 * 1024 * 1024) => {
        const entry = byName.get(name);
        if (!entry) return Promise.reject(new FormatError('ZIP_ENTRY_MISSING', `zip has no entry ${JSON.stringify(name)}`));
        if (entry.uncompressedSize > maxBytes) {
          return Promise.reject(
            new FormatError('ZIP_TOO_LARGE', `entry ${name} is ${entry.uncompressedSize} bytes, limit is ${maxBytes}`),
          );
        }
        return new Promise<Buffer>((resolve, reject) => {
          zf.openReadStream(entry, (err, stream) => {
            if (err || !stream) return reject(mapYauzlError(err ?? new Error('no stream')));
            const chunks: Buffer[] = [];
            let size = 0;
            stream.on('data', (c: Buffer) => {
              size += c.length;
              if (size > maxBytes) {
                stream.destroy();
                reject(new FormatError('ZIP_TOO_LARGE', `entry ${name} inflates past ${maxBytes} bytes`));
                return;
              }
              chunks.push(c);
            });
            stream.on('error', (e: Error) => reject(mapYauzlError(e)));
            stream.on('end', () => resolve(Buffer.concat(chunks)));
          });
        });
      },
      close: () => zf.close(),
    };
  } catch (e) {
    zf.close();
    throw e;
  }
}
