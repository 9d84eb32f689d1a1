import { promises as fs } from 'node:fs';
import { FormatError, parseVcard, readCommonCartridgeManifest, validateCommonCartridge } from '@ent/formats';
import { problems } from '../problems';

async function head(path: string, n: number): Promise<Buffer> {
  const fh = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const MAGIC: Record<string, { bytes: Buffer; name: string }> = {
  'application/pdf': { bytes: Buffer.from('%PDF-'), name: 'a PDF' },
  'image/png': { bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), name: 'a PNG image' },
  'image/jpeg': { bytes: Buffer.from([0xff, 0xd8, 0xff]), name: 'a JPEG image' },
};

/** Runs a cartridge reader; a package it cannot read is a 422. */
async function readCartridge<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof FormatError) throw problems.invalidContent(`not a readable Common Cartridge: ${err.message}`);
    throw err;
  }
}

function checkVersion(found: string, announced: string): void {
  if (found !== announced) throw problems.invalidContent(`the package is a Common Cartridge ${found}, not ${announced} as announced`);
}

/**
 * What a real ENT would check before accepting an import: the bytes are what
 * the format says. Throws a 422 problem otherwise.
 */
export async function checkImportedContent(path: string, size: number, format: string, mediaType: string, courseImport?: 'moodle'): Promise<void> {
  if (size === 0) throw problems.invalidContent('the body is empty');
  const m = /^imscc-(1\.[0-3])$/.exec(format);
  if (m && courseImport === 'moodle') return checkAsMoodle(path, m[1]);
  if (m) {
    const summary = await readCartridge(() => readCommonCartridgeManifest({ path }));
    checkVersion(summary.version, m[1]);
    if (summary.missingFiles.length > 0) {
      throw problems.invalidContent(`the package lacks ${summary.missingFiles.length} file(s) its manifest lists, e.g. ${summary.missingFiles[0]}`);
    }
    return;
  }
  const start = await head(path, 16);
  if (format === 'ical' && !start.toString('utf8').replace(/^\uFEFF/, '').startsWith('BEGIN:VCALENDAR')) {
    throw problems.invalidContent('an iCalendar object starts with BEGIN:VCALENDAR');
  }
  if (format === 'mbox' && !start.toString('latin1').startsWith('From ')) {
    throw problems.invalidContent('an mbox file starts with a "From " line');
  }
  if (format === 'vcard') return checkVcards(path, size);
  if (format === 'binary' && MAGIC[mediaType] && !start.subarray(0, MAGIC[mediaType].bytes.length).equals(MAGIC[mediaType].bytes)) {
    throw problems.invalidContent(`the bytes are not ${MAGIC[mediaType].name} (${mediaType})`);
  }
}

/** An address book is imported whole: every card must read (RFC 6350), or nothing is. */
const MAX_VCARD_BYTES = 16 * 1024 * 1024;
async function checkVcards(path: string, size: number): Promise<void> {
  if (size > MAX_VCARD_BYTES) throw problems.invalidContent(`an address book of more than ${MAX_VCARD_BYTES} bytes is not imported`);
  try {
    const cards = parseVcard((await fs.readFile(path)).toString('utf8'));
    if (cards.length === 0) throw problems.invalidContent('the address book holds no vCard');
    const bad = cards.findIndex((c) => !['3.0', '4.0'].includes(c.version) || !c.fn);
    if (bad >= 0) throw problems.invalidContent(`vCard ${bad + 1}: a VERSION 3.0 or 4.0 and a formatted name (FN) are required`);
  } catch (err) {
    if (err instanceof FormatError) throw problems.invalidContent(`not a readable vCard address book: ${err.message}`);
    throw err;
  }
}

/**
 * Moodle's IMS CC import: CC 1.0 and 1.1 only (no 1.3 importer), and the
 * package is validated against the official XSDs of its version before
 * anything is imported; a refusal is whole.
 */
async function checkAsMoodle(path: string, announced: string): Promise<void> {
  if (announced !== '1.0' && announced !== '1.1') {
    throw problems.unsupportedFormat(`Moodle imports Common Cartridge 1.0 and 1.1 only, not ${announced} (unable_to_find_conversion_path)`);
  }
  const v = await readCartridge(() => validateCommonCartridge({ path }));
  checkVersion(v.version, announced);
  if (!v.xsd.checked) throw problems.invalidContent(`the package could not be validated as Moodle does: ${v.xsd.reason ?? 'no schema'}`);
  const errors = v.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw problems.invalidContent(`refused by the Common Cartridge ${announced} XSDs, as Moodle refuses it: ${errors.length} error(s), first ${errors[0].path ?? ''} ${errors[0].message}`.slice(0, 600));
  }
}
