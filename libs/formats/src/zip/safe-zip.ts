import { Readable, Transform } from 'node:stream';
import * as yauzl from 'yauzl';
import { FormatError } from '../errors';
import { classifyEntryName, DEFAULT_MAX_PATH_DEPTH, unsafeEntryNameError } from './entry-names';

export interface ZipLimits {
  /** Maximum number of entries (default 10 000). */
  maxEntries?: number;
  /** Maximum sum of the declared uncompressed sizes (default 512 MiB). */
  maxTotalUncompressedBytes?: number;
  /**
   * Maximum expansion ratio (uncompressed / compressed) of one entry, applied
   * to entries larger than `ratioThresholdBytes` (default 200). Deflate cannot
   * exceed ~1032:1, so a ratio above a few hundred means crafted data.
   */
  maxCompressionRatio?: number;
  /** Entries at most this large are exempt from the ratio check (default 16 MiB). */
  ratioThresholdBytes?: number;
  /** Maximum number of path segments in an entry name (default 32). */
  maxPathDepth?: number;
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxEntries: 10_000,
  maxTotalUncompressedBytes: 512 * 1024 * 1024,
  maxCompressionRatio: 200,
  ratioThresholdBytes: 16 * 1024 * 1024,
  maxPathDepth: DEFAULT_MAX_PATH_DEPTH,
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
  /**
   * Streams one entry (inflated, CRC and size checked by the zip reader); the
   * stream fails with a `FormatError` if the entry inflates past its declared size.
   */
  openReadStream(name: string): Promise<Readable>;
  close(): void;
}

export type ZipSource = Buffer | { path: string };

function mapYauzlError(err: Error): FormatError {
  if (err instanceof FormatError) return err;
  const msg = err.message || String(err);
  if (/end of central directory record signature not found/i.test(msg)) {
    return new FormatError('ZIP_MALFORMED', `not a zip archive: ${msg}`, 'NOT_A_ZIP');
  }
  if (/too many bytes in the stream|expected .* bytes|size mismatch/i.test(msg)) {
    return new FormatError('ZIP_MALFORMED', `zip entry size does not match its header: ${msg}`, 'SIZE_MISMATCH');
  }
  if (/crc32|invalid distance|invalid stored block|incorrect header check|unexpected end|invalid block type/i.test(msg)) {
    return new FormatError('ZIP_MALFORMED', `zip entry data is corrupt: ${msg}`, 'CORRUPT_DATA');
  }
  if (/unsupported compression method/i.test(msg)) {
    return new FormatError('ZIP_MALFORMED', msg, 'UNSUPPORTED_COMPRESSION');
  }
  return new FormatError('ZIP_MALFORMED', `not a readable zip: ${msg}`, 'CORRUPT');
}

const YAUZL_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  // Names are decoded and checked here (precise reasons, strict UTF-8).
  decodeStrings: false,
  validateEntrySizes: true,
  strictFileNames: true,
};

function openYauzl(source: ZipSource): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, zf?: yauzl.ZipFile) => (err || !zf ? reject(mapYauzlError(err ?? new Error('no zip'))) : resolve(zf));
    if (Buffer.isBuffer(source)) yauzl.fromBuffer(source, YAUZL_OPTIONS, cb);
    else yauzl.open(source.path, YAUZL_OPTIONS, cb);
  });
}

// IBM code page 437, bytes 0x80–0xFF: the zip default when the UTF-8 flag is not set.
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function strictUtf8(raw: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return null;
  }
}

/** Entry name as a string, or a FormatError with reason `INVALID_UTF8`. */
function decodeEntryName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  const printable = raw.toString('latin1').replace(/[^\x20-\x7e]/g, '?');
  // Info-ZIP Unicode Path extra field (0x7075), honoured only when its CRC matches the raw name.
  for (const f of entry.extraFields ?? []) {
    if (f.id !== 0x7075 || f.data.length < 6 || f.data[0] !== 1 || f.data.readUInt32LE(1) !== crc32(raw)) continue;
    const name = strictUtf8(f.data.subarray(5));
    if (name === null) {
      throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `zip entry name ${JSON.stringify(printable)} has an invalid UTF-8 Unicode Path field`, 'INVALID_UTF8');
    }
    return name;
  }
  if ((entry.generalPurposeBitFlag & 0x800) !== 0) {
    const name = strictUtf8(raw);
    if (name === null) {
      throw new FormatError(
        'ZIP_UNSAFE_ENTRY_NAME',
        `zip entry name ${JSON.stringify(printable)} is flagged UTF-8 but is not valid UTF-8 (overlong or truncated sequence)`,
        'INVALID_UTF8',
      );
    }
    return name;
  }
  let out = '';
  for (const b of raw) out += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return out;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** Unix file type from the external attributes, when the entry was made on a Unix-like host. */
function unixFileType(entry: yauzl.Entry): number | undefined {
  const host = entry.versionMadeBy >>> 8;
  if (host !== 3 && host !== 19) return undefined; // 3 = Unix, 19 = OS X
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const type = mode & S_IFMT;
  return type === 0 ? undefined : type;
}

/**
 * Opens an untrusted zip: entry count, total expanded size and expansion ratio
 * bounded before anything is inflated; every entry name decoded strictly and
 * checked against zip slip, Unicode tricks and excessive depth; symlinks,
 * devices, duplicate names and encrypted entries refused; each read bounded.
 * Nothing is ever written to disk. Every failure is a `FormatError` with a
 * stable `code` and `reason`.
 */
export async function openZipSafely(source: ZipSource, limits: ZipLimits = {}): Promise<SafeZip> {
  const maxEntries = limits.maxEntries ?? DEFAULT_ZIP_LIMITS.maxEntries;
  const maxTotal = limits.maxTotalUncompressedBytes ?? DEFAULT_ZIP_LIMITS.maxTotalUncompressedBytes;
  const maxRatio = limits.maxCompressionRatio ?? DEFAULT_ZIP_LIMITS.maxCompressionRatio;
  const ratioThreshold = limits.ratioThresholdBytes ?? DEFAULT_ZIP_LIMITS.ratioThresholdBytes;
  const maxDepth = limits.maxPathDepth ?? DEFAULT_ZIP_LIMITS.maxPathDepth;
  const zf = await openYauzl(source);
  try {
    if (zf.entryCount > maxEntries) {
      throw new FormatError('ZIP_TOO_MANY_ENTRIES', `zip has ${zf.entryCount} entries, limit is ${maxEntries}`, 'ENTRY_COUNT');
    }
    const byName = new Map<string, yauzl.Entry>();
    const infos: ZipEntryInfo[] = [];
    const files = new Set<string>();
    const dirs = new Set<string>();
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zf.on('error', (e: Error) => reject(mapYauzlError(e)));
      zf.on('end', () => resolve());
      zf.on('entry', (entry: yauzl.Entry) => {
        try {
          const name = decodeEntryName(entry);
          const unsafe = classifyEntryName(name, maxDepth);
          if (unsafe) throw unsafeEntryNameError(name, unsafe);
          const isDirectory = name.endsWith('/');
          const type = unixFileType(entry);
          if (type === S_IFLNK) {
            throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `zip entry ${JSON.stringify(name)} is a symbolic link (refused: it could point outside the package)`, 'SYMLINK');
          }
          if (type !== undefined && type !== S_IFREG && type !== S_IFDIR) {
            throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `zip entry ${JSON.stringify(name)} is a special file (device, FIFO or socket, mode 0${type.toString(8)})`, 'SPECIAL_FILE');
          }
          if ((entry.generalPurposeBitFlag & 0x1) !== 0) {
            throw new FormatError('ZIP_MALFORMED', `zip entry ${JSON.stringify(name)} is encrypted`, 'ENCRYPTED_ENTRY');
          }
          const key = isDirectory ? name.slice(0, -1) : name;
          if (byName.has(name) || (isDirectory ? files.has(key) : dirs.has(key))) {
            throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `zip has two entries named ${JSON.stringify(key)} (ambiguous content)`, 'DUPLICATE_NAME');
          }
          // Every parent of a file is a folder: a file may not also be a parent.
          const parts = key.split('/');
          for (let i = 1; i < parts.length; i++) {
            const parent = parts.slice(0, i).join('/');
            if (files.has(parent)) {
              throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `zip entry ${JSON.stringify(name)} lies under ${JSON.stringify(parent)}, which is a file`, 'DUPLICATE_NAME');
            }
            dirs.add(parent);
          }
          if (isDirectory) dirs.add(key);
          else if (dirs.has(key)) {
            throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `zip entry ${JSON.stringify(name)} is both a file and a folder`, 'DUPLICATE_NAME');
          } else files.add(key);
          total += entry.uncompressedSize;
          if (total > maxTotal) {
            throw new FormatError('ZIP_TOO_LARGE', `zip expands to more than ${maxTotal} bytes (declared sizes)`, 'TOTAL_SIZE');
          }
          if (entry.uncompressedSize > ratioThreshold) {
            const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
            if (ratio > maxRatio) {
              throw new FormatError(
                'ZIP_TOO_LARGE',
                `zip entry ${JSON.stringify(name)} expands ${Math.round(ratio)}:1 (${entry.uncompressedSize} bytes from ${entry.compressedSize}), limit is ${maxRatio}:1 (zip bomb)`,
                'COMPRESSION_RATIO',
              );
            }
          }
          infos.push({ name, isDirectory, compressedSize: entry.compressedSize, uncompressedSize: entry.uncompressedSize });
          byName.set(name, entry);
          zf.readEntry();
        } catch (e) {
          reject(e);
        }
      });
      zf.readEntry();
    });
    zf.removeAllListeners('error');
    zf.on('error', () => undefined);

    const openStream = (name: string): Promise<{ entry: yauzl.Entry; stream: Readable }> => {
      const entry = byName.get(name);
      if (!entry) return Promise.reject(new FormatError('ZIP_ENTRY_MISSING', `zip has no entry ${JSON.stringify(name)}`));
      return new Promise((resolve, reject) => {
        zf.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(mapYauzlError(err ?? new Error('no stream')));
          resolve({ entry, stream });
        });
      });
    };

    return {
      entries: infos,
      totalUncompressedBytes: total,
      has: (name) => byName.has(name),
      read: async (name, maxBytes = 16 * 1024 * 1024) => {
        const known = byName.get(name);
        if (known && known.uncompressedSize > maxBytes) {
          throw new FormatError('ZIP_TOO_LARGE', `entry ${name} is ${known.uncompressedSize} bytes, limit is ${maxBytes}`, 'ENTRY_SIZE');
        }
        const { stream } = await openStream(name);
        return new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) {
              stream.destroy();
              reject(new FormatError('ZIP_TOO_LARGE', `entry ${name} inflates past ${maxBytes} bytes`, 'ENTRY_SIZE'));
              return;
            }
            chunks.push(c);
          });
          stream.on('error', (e: Error) => reject(mapYauzlError(e)));
          stream.on('end', () => resolve(Buffer.concat(chunks)));
        });
      },
      openReadStream: async (name) => {
        const { stream } = await openStream(name);
        // Re-emit the reader's errors as FormatErrors.
        const out = new Transform({ transform: (chunk, _enc, cb) => cb(null, chunk) });
        stream.on('error', (e: Error) => out.destroy(mapYauzlError(e)));
        return stream.pipe(out);
      },
      close: () => zf.close(),
    };
  } catch (e) {
    zf.close();
    throw e;
  }
}
