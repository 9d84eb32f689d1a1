import { constants, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { join, resolve, sep } from 'node:path';
import { FormatError } from '../errors';
import { classifyEntryName } from '../zip/entry-names';
import { DEFAULT_ZIP_LIMITS, openZipSafely, SafeZip, ZipLimits } from '../zip/safe-zip';
import { CcFinding } from './cc-types';

/** The manifest itself is bounded well below the package limits. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
/** Descriptors (weblink, topic, QTI, LTI, assignment XML) read by the reader. */
export const MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024;

export type CcSourceInput = string | Buffer | { path: string };

/**
 * Where a cartridge's files come from: a zip (Buffer or path), an extracted
 * folder, or a manifest alone. Paths are package-relative with `/`.
 */
export interface CcPackage {
  readonly kind: 'package' | 'directory' | 'manifest';
  /** Regular files of the package (empty for a manifest alone). */
  readonly files: ReadonlySet<string>;
  readonly manifestPath: string;
  /** Findings about the container itself (ignored symlinks, manifest in a subfolder…). */
  readonly findings: CcFinding[];
  read(path: string, maxBytes?: number): Promise<Buffer>;
  /** Streams a file (for copying large payloads). */
  openReadStream(path: string): Promise<Readable>;
  /** A path on disk for the file, when there is one (extracted folder). */
  diskPath(path: string): string | undefined;
  size(path: string): number | undefined;
  close(): void;
}

function isZipMagic(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06);
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function zipPackage(zip: SafeZip): CcPackage {
  const files = new Set(zip.entries.filter((e) => !e.isDirectory).map((e) => e.name));
  const sizes = new Map(zip.entries.map((e) => [e.name, e.uncompressedSize]));
  let prefix = '';
  const findings: CcFinding[] = [];
  if (!files.has('imsmanifest.xml')) {
    // A folder zipped with its parent: "course/imsmanifest.xml". Accepted with a warning.
    const nested = [...files].filter((f) => /^[^/]+\/imsmanifest\.xml$/.test(f));
    if (nested.length === 1) {
      prefix = nested[0].slice(0, -'imsmanifest.xml'.length);
      findings.push({
        severity: 'warning',
        code: 'CC_MANIFEST_NOT_AT_ROOT',
        message: `imsmanifest.xml is in the folder ${prefix} instead of the package root; paths are read relative to it`,
        path: nested[0],
      });
    } else {
      zip.close();
      throw new FormatError('CC_INVALID_MANIFEST', 'not a Common Cartridge: no imsmanifest.xml at the package root', 'NO_MANIFEST');
    }
  }
  const rel = new Set([...files].filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length)));
  return {
    kind: 'package',
    files: rel,
    manifestPath: 'imsmanifest.xml',
    findings,
    read: (p, max = MAX_DESCRIPTOR_BYTES) => zip.read(prefix + p, max),
    openReadStream: (p) => zip.openReadStream(prefix + p),
    diskPath: () => undefined,
    size: (p) => sizes.get(prefix + p),
    close: () => zip.close(),
  };
}

/**
 * Lists a folder without following symbolic links (they are reported and
 * left out), bounded like a zip: entry count, total size, path checks.
 */
async function walkDirectory(root: string, limits: ZipLimits, findings: CcFinding[]): Promise<Map<string, number>> {
  const maxEntries = limits.maxEntries ?? DEFAULT_ZIP_LIMITS.maxEntries;
  const maxTotal = limits.maxTotalUncompressedBytes ?? DEFAULT_ZIP_LIMITS.maxTotalUncompressedBytes;
  const files = new Map<string, number>();
  let count = 0;
  let total = 0;
  const walk = async (dir: string, rel: string) => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (++count > maxEntries) {
        throw new FormatError('ZIP_TOO_MANY_ENTRIES', `folder has more than ${maxEntries} entries`, 'ENTRY_COUNT');
      }
      if (classifyEntryName(relPath, limits.maxPathDepth)) {
        findings.push({ severity: 'warning', code: 'CC_UNSAFE_FILE_NAME', message: `file name refused and ignored: ${JSON.stringify(relPath)}`, path: relPath });
        continue;
      }
      const full = join(dir, e.name);
      if (e.isSymbolicLink()) {
        findings.push({ severity: 'warning', code: 'CC_SYMLINK_IGNORED', message: `symbolic link not followed: ${relPath}`, path: relPath });
        continue;
      }
      if (e.isDirectory()) await walk(full, relPath);
      else if (e.isFile()) {
        const st = await fs.lstat(full);
        total += st.size;
        if (total > maxTotal) throw new FormatError('ZIP_TOO_LARGE', `folder holds more than ${maxTotal} bytes`, 'TOTAL_SIZE');
        files.set(relPath, st.size);
      } else {
        findings.push({ severity: 'warning', code: 'CC_SPECIAL_FILE_IGNORED', message: `special file ignored: ${relPath}`, path: relPath });
      }
    }
  };
  await walk(root, '');
  return files;
}

async function directoryPackage(dir: string, limits: ZipLimits): Promise<CcPackage> {
  const root = await fs.realpath(resolve(dir));
  const findings: CcFinding[] = [];
  const sizes = await walkDirectory(root, limits, findings);
  if (!sizes.has('imsmanifest.xml')) {
    throw new FormatError('CC_INVALID_MANIFEST', `not a Common Cartridge folder: no imsmanifest.xml in ${dir}`, 'NO_MANIFEST');
  }
  const files = new Set(sizes.keys());
  const abs = (p: string): string => {
    if (!files.has(p)) throw new FormatError('ZIP_ENTRY_MISSING', `the folder has no file ${JSON.stringify(p)}`);
    const full = resolve(root, p);
    if (!full.startsWith(root + sep)) throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `path leaves the folder: ${p}`, 'PATH_TRAVERSAL');
    return full;
  };
  return {
    kind: 'directory',
    files,
    manifestPath: 'imsmanifest.xml',
    findings,
    read: async (p, max = MAX_DESCRIPTOR_BYTES) => {
      const full = abs(p);
      // O_NOFOLLOW: a file swapped for a link after the listing is refused.
      const fh = await fs.open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new FormatError('ZIP_ENTRY_MISSING', `${p} is not a regular file`);
        if (st.size > max) throw new FormatError('ZIP_TOO_LARGE', `file ${p} is ${st.size} bytes, limit is ${max}`, 'ENTRY_SIZE');
        return await fh.readFile();
      } finally {
        await fh.close();
      }
    },
    openReadStream: async (p) => {
      const fh = await fs.open(abs(p), constants.O_RDONLY | constants.O_NOFOLLOW);
      return fh.createReadStream();
    },
    diskPath: (p) => (files.has(p) ? abs(p) : undefined),
    size: (p) => sizes.get(p),
    close: () => undefined,
  };
}

function manifestPackage(xml: Buffer, label: string): CcPackage {
  const missing = (p: string) => Promise.reject(new FormatError('ZIP_ENTRY_MISSING', `only the manifest was given (${label}); ${p} cannot be read`));
  return {
    kind: 'manifest',
    files: new Set(),
    manifestPath: label,
    findings: [
      {
        severity: 'info',
        code: 'CC_MANIFEST_ONLY',
        message: 'a manifest read alone: files and file-based descriptors are not checked',
        path: label,
      },
    ],
    read: (p) => (p === label ? Promise.resolve(xml) : missing(p)),
    openReadStream: (p) => missing(p),
    diskPath: () => undefined,
    size: () => undefined,
    close: () => undefined,
  };
}

/**
 * Opens what `readCommonCartridge` accepts: a zip (Buffer or path, sniffed by
 * its magic number, whatever the extension), an extracted folder (path), or
 * a manifest alone (XML Buffer or path).
 */
export async function openCcPackage(source: CcSourceInput, limits: ZipLimits = {}): Promise<CcPackage> {
  if (Buffer.isBuffer(source)) {
    if (isZipMagic(source)) return zipPackage(await openZipSafely(source, limits));
    if (source.length > MAX_MANIFEST_BYTES) {
      throw new FormatError('XML_TOO_LARGE', `manifest is ${source.length} bytes, limit is ${MAX_MANIFEST_BYTES}`, 'DOCUMENT_SIZE');
    }
    return manifestPackage(source, 'imsmanifest.xml');
  }
  const path = typeof source === 'string' ? source : source.path;
  let st;
  try {
    st = await fs.stat(path);
  } catch (e) {
    throw new FormatError('INVALID_INPUT', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'UNREADABLE');
  }
  if (st.isDirectory()) return directoryPackage(path, limits);
  if (!st.isFile()) throw new FormatError('INVALID_INPUT', `${path} is neither a file nor a folder`, 'UNREADABLE');
  if (isZipMagic(await readHead(path, 4))) return zipPackage(await openZipSafely({ path }, limits));
  if (st.size > MAX_MANIFEST_BYTES) {
    throw new FormatError('XML_TOO_LARGE', `manifest ${path} is ${st.size} bytes, limit is ${MAX_MANIFEST_BYTES}`, 'DOCUMENT_SIZE');
  }
  const xml = await fs.readFile(path);
  return manifestPackage(xml, path.split(/[\\/]/).pop() ?? 'imsmanifest.xml');
}

export function manifestBytes(pkg: CcPackage): Promise<Buffer> {
  return pkg.read(pkg.manifestPath, MAX_MANIFEST_BYTES);
}
