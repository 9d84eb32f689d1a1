import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FormatError } from '../errors';
import { openZipSafely, ZipLimits, ZipSource } from './safe-zip';

/** Files inflated at the same time (zlib runs in the thread pool). */
const EXTRACT_CONCURRENCY = 4;

export interface ExtractResult {
  /** Absolute path of the extracted folder. */
  dir: string;
  files: number;
  bytes: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Extracts an untrusted zip into `targetDir`, all or nothing:
 *
 * - every check of `openZipSafely` (names, symlinks, counts, sizes, ratio)
 *   runs on the central directory before a single byte is written;
 * - files are written into a private sibling folder (`<target>.partial-…`),
 *   each path re-checked to stay inside it, opened with `O_EXCL` (never
 *   through an existing file or link), sizes and CRC checked while inflating;
 * - the folder is renamed onto `targetDir` only when everything succeeded;
 *   on any failure it is removed, so nothing partial is left behind.
 *
 * `targetDir` must not exist (a merge into an existing folder is refused).
 */
export async function extractZipSafely(source: ZipSource, targetDir: string, limits: ZipLimits = {}): Promise<ExtractResult> {
  const target = resolve(targetDir);
  if (await exists(target)) {
    throw new FormatError('INVALID_INPUT', `extraction target ${target} already exists`, 'TARGET_EXISTS');
  }
  const zip = await openZipSafely(source, limits);
  const work = join(dirname(target), `.${basename(target)}.partial-${randomBytes(6).toString('hex')}`);
  let files = 0;
  let bytes = 0;
  try {
    await fs.mkdir(work, { recursive: false, mode: 0o700 });
    const root = work + sep;
    const inside = (name: string): string => {
      const path = resolve(work, name);
      if (path !== work && !path.startsWith(root)) {
        throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `zip entry ${JSON.stringify(name)} resolves outside the target`, 'PATH_TRAVERSAL');
      }
      return path;
    };
    // Folders first (explicit ones and the parents of files), then the files, a few at a time.
    const dirs = new Set<string>();
    for (const entry of zip.entries) dirs.add(entry.isDirectory ? inside(entry.name) : dirname(inside(entry.name)));
    for (const d of [...dirs].sort()) await fs.mkdir(d, { recursive: true, mode: 0o755 });
    const queue = zip.entries.filter((e) => !e.isDirectory);
    const extractOne = async (entry: (typeof queue)[number]) => {
      const path = inside(entry.name);
      const stream = await zip.openReadStream(entry.name);
      let written = 0;
      stream.on('data', (c: Buffer) => {
        written += c.length;
        if (written > entry.uncompressedSize) {
          stream.destroy(new FormatError('ZIP_MALFORMED', `entry ${entry.name} inflates past its declared size`, 'SIZE_MISMATCH'));
        }
      });
      await pipeline(stream, createWriteStream(path, { flags: 'wx', mode: 0o644 }));
      files++;
      bytes += written;
    };
    let next = 0;
    let failed = false;
    const lane = async () => {
      while (!failed && next < queue.length) {
        const entry = queue[next++];
        try {
          await extractOne(entry);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(EXTRACT_CONCURRENCY, queue.length) }, lane));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    zip.close();
    await fs.rename(work, target);
    return { dir: target, files, bytes };
  } catch (e) {
    zip.close();
    await fs.rm(work, { recursive: true, force: true });
    if (e instanceof FormatError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new FormatError('ZIP_MALFORMED', `extraction failed: ${msg}`, 'EXTRACTION_FAILED');
  }
}
