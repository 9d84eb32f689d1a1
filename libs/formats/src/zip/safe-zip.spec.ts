import { FormatError } from '../errors';
import { writeDeterministicZip } from './deterministic-zip';
import { openZipSafely } from './safe-zip';

async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return e instanceof FormatError ? e.code : `not a FormatError: ${String(e)}`;
  }
  return undefined;
}

/** Builds a zip with a safe name, then swaps the name bytes (local header + central directory). */
async function zipWithRawName(placeholder: string, evil: string): Promise<Buffer> {
  expect(Buffer.byteLength(placeholder)).toBe(Buffer.byteLength(evil));
  const zip = await writeDeterministicZip([{ name: placeholder, data: 'pwned' }]);
  const from = Buffer.from(placeholder);
  const to = Buffer.from(evil);
  let count = 0;
  for (let i = zip.indexOf(from); i >= 0; i = zip.indexOf(from, i + 1)) {
    to.copy(zip, i);
    count++;
  }
  expect(count).toBe(2);
  return zip;
}

describe('writeDeterministicZip', () => {
  const entries = [
    { name: 'a.txt', data: 'bonjour é' },
    { name: 'dir/b.bin', data: Buffer.alloc(1000, 7), store: true },
  ];
  const date = new Date('2025-09-01T08:30:00Z');

  it('gives the same bytes for the same input, and different bytes for another date', async () => {
    const a = await writeDeterministicZip(entries, { date });
    const b = await writeDeterministicZip(entries, { date });
    expect(a.equals(b)).toBe(true);
    const c = await writeDeterministicZip(entries, { date: new Date('2025-09-02T08:30:00Z') });
    expect(a.equals(c)).toBe(false);
  });

  it('does not depend on the time zone of the machine', async () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const utc = await writeDeterministicZip(entries, { date });
      process.env.TZ = 'Pacific/Kiritimati';
      const kiri = await writeDeterministicZip(entries, { date });
      process.env.TZ = 'America/Los_Angeles';
      const la = await writeDeterministicZip(entries, { date });
      expect(kiri.equals(utc)).toBe(true);
      expect(la.equals(utc)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('reads back entries and their content', async () => {
    const zip = await openZipSafely(await writeDeterministicZip(entries, { date }));
    expect(zip.entries.map((e) => e.name)).toEqual(['a.txt', 'dir/b.bin']);
    expect((await zip.read('a.txt')).toString('utf8')).toBe('bonjour é');
    expect((await zip.read('dir/b.bin')).equals(Buffer.alloc(1000, 7))).toBe(true);
    zip.close();
  });

  it('refuses unsafe or duplicate names when writing', async () => {
    expect(await rejectionCode(writeDeterministicZip([{ name: '../x', data: '' }]))).toBe('ZIP_UNSAFE_ENTRY_NAME');
    expect(
      await rejectionCode(writeDeterministicZip([{ name: 'x', data: '' }, { name: 'x', data: '' }])),
    ).toBe('INVALID_INPUT');
  });
});

describe('openZipSafely', () => {
  it.each([
    ['parent traversal', 'aa/evil.txt', '../evil.txt'],
    ['nested traversal', 'a/bb/evil.txt', 'a/../evil.txt'],
    ['absolute path', 'xetc/passwd', '/etc/passwd'],
    ['backslash', 'a/evil.txt', 'a\\evil.txt'],
    ['drive letter', 'xx/evil.txt', 'C:/evil.txt'],
  ])('refuses an entry name with %s', async (_label, placeholder, evil) => {
    const zip = await zipWithRawName(placeholder, evil);
    expect(await rejectionCode(openZipSafely(zip))).toBe('ZIP_UNSAFE_ENTRY_NAME');
  });

  it('accepts names that merely contain two dots', async () => {
    const zip = await openZipSafely(await writeDeterministicZip([{ name: 'notes..v2.txt', data: 'x' }]));
    expect(zip.has('notes..v2.txt')).toBe(true);
    zip.close();
  });

  it('bounds the number of entries', async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' }));
    const zip = await writeDeterministicZip(many);
    expect(await rejectionCode(openZipSafely(zip, { maxEntries: 10 }))).toBe('ZIP_TOO_MANY_ENTRIES');
    await expect(openZipSafely(zip, { maxEntries: 11 })).resolves.toBeDefined();
  });

  it('bounds the expanded size (zip bomb) before inflating anything', async () => {
    const bomb = await writeDeterministicZip([{ name: 'zeros.bin', data: Buffer.alloc(4 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await rejectionCode(openZipSafely(bomb, { maxTotalUncompressedBytes: 1024 * 1024 }))).toBe('ZIP_TOO_LARGE');
    const zip = await openZipSafely(bomb);
    expect(await rejectionCode(zip.read('zeros.bin', 1024))).toBe('ZIP_TOO_LARGE');
    zip.close();
  });

  it('reports garbage and missing entries as format errors', async () => {
    expect(await rejectionCode(openZipSafely(Buffer.from('not a zip at all')))).toBe('ZIP_MALFORMED');
    const zip = await openZipSafely(await writeDeterministicZip([{ name: 'a', data: 'x' }]));
    expect(await rejectionCode(zip.read('b'))).toBe('ZIP_ENTRY_MISSING');
    zip.close();
  });
});
