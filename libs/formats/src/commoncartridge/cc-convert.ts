import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WrittenFile } from '../zip/deterministic-zip';
import { extractZipSafely } from '../zip/safe-extract';
import { ZipLimits } from '../zip/safe-zip';
import { CcSourceInput } from './cc-package';
import { openCommonCartridge } from './cc-read';
import { cartridgeToCourse } from './cc-to-course';
import { CcCourse, CcDetectedVersion, CcFinding, CcItem, CcQuizItem, CcWriteVersion } from './cc-types';
import { writeCommonCartridgeToFile } from './cc-writer';

export interface CcConvertOptions {
  to: CcWriteVersion;
  /** Where to write the package (atomically: nothing is left there on failure). */
  outPath: string;
  /** Date of every zip entry (default 1980-01-01: the output depends only on the input). */
  date?: Date;
  limits?: ZipLimits;
}

export interface CcConvertResult {
  from: CcDetectedVersion;
  to: CcWriteVersion;
  fromFormat: string;
  toFormat: string;
  /** Everything the conversion could not carry, as sentences. */
  losses: string[];
  /** Findings about the source (what the reader noticed). */
  sourceFindings: CcFinding[];
  output: WrittenFile;
}

function isZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05);
}

async function sourceIsZip(source: CcSourceInput): Promise<boolean> {
  if (Buffer.isBuffer(source)) return isZip(source);
  const path = typeof source === 'string' ? source : source.path;
  const st = await fs.stat(path).catch(() => undefined);
  if (!st?.isFile()) return false;
  const fh = await fs.open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return isZip(b);
  } finally {
    await fh.close();
  }
}

/** CC 1.0 and 1.1 allow one question bank: several are merged, and the merge is reported. */
function mergeBanksForOneBank(course: CcCourse, version: CcWriteVersion, losses: string[]): CcCourse {
  const extras = course.extraResources ?? [];
  const banks = extras.filter((e): e is CcQuizItem => e.kind === 'quiz' && !!e.bank);
  if (banks.length <= 1) return course;
  const merged: CcQuizItem = { ...banks[0], title: 'Question banks', questions: banks.flatMap((b) => b.questions) };
  losses.push(`CC ${version} allows one question bank: ${banks.length} banks (${banks.map((b) => `"${b.title}"`).join(', ')}) merged into one`);
  const others: CcItem[] = extras.filter((e) => !(e.kind === 'quiz' && e.bank));
  return { ...course, extraResources: [...others, merged] };
}

/**
 * Converts a Common Cartridge (any version the reader knows, zip, folder or
 * manifest) into CC 1.0, 1.1 or 1.3: read → map to the course model → write. A zip
 * source is first extracted with `extractZipSafely` into a private temporary
 * folder (removed afterwards), so that large files are copied from disk and
 * never held in memory.
 */
export async function convertCommonCartridge(source: CcSourceInput, options: CcConvertOptions): Promise<CcConvertResult> {
  let workDir: string | undefined;
  let input: CcSourceInput = source;
  try {
    if (await sourceIsZip(source)) {
      workDir = await fs.mkdtemp(join(tmpdir(), 'ent-cc-convert-'));
      const extracted = join(workDir, 'package');
      await extractZipSafely(Buffer.isBuffer(source) ? source : { path: typeof source === 'string' ? source : source.path }, extracted, options.limits);
      input = extracted;
    }
    const opened = await openCommonCartridge(input, options.limits);
    try {
      const { course, losses } = await cartridgeToCourse(opened);
      const target = options.to !== '1.3' ? mergeBanksForOneBank(course, options.to, losses) : course;
      if (opened.cartridge.version === 'thin-1.3' && options.to === '1.3') {
        losses.push('written as a full Common Cartridge 1.3 (schema "IMS Common Cartridge"), not as a Thin CC');
      }
      const output = await writeCommonCartridgeToFile(target, { version: options.to, date: options.date }, options.outPath);
      return {
        from: opened.cartridge.version,
        to: options.to,
        fromFormat: opened.cartridge.formatId,
        toFormat: `imscc-${options.to}`,
        losses: [...losses, ...output.losses],
        sourceFindings: opened.cartridge.findings,
        output: { path: output.path, size: output.size, sha256: output.sha256 },
      };
    } finally {
      opened.close();
    }
  } finally {
    if (workDir) await fs.rm(workDir, { recursive: true, force: true });
  }
}
