import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENT_A } from '../profiles/ent-a';
import { ENT_B } from '../profiles/ent-b';
import { SeedContent } from '../profiles/profile';
import { ContentStore } from './content-store';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const tinySeed = async (): Promise<SeedContent[]> => [
  {
    id: 'c1',
    ownerId: 'u1',
    title: 'Un',
    category: 'STOCKAGE_PARTAGE',
    updatedAt: '2025-09-01T00:00:00.000Z',
    exports: [{ format: 'binary', mediaType: 'application/pdf', bytes: Buffer.from('%PDF-1.4 un') }],
  },
];

describe('ContentStore', () => {
  it('seeds once, stores the exact bytes, and reopens without reseeding', async () => {
    const dir = tempDir('entsim-store-');
    const seed = jest.fn(tinySeed);
    const a = await ContentStore.open(dir, 'ent-x', seed);
    expect(seed).toHaveBeenCalledTimes(1);
    const [c] = a.list('u1');
    expect(c.formats[0]).toMatchObject({ sizeBytes: 11, sha256: sha(Buffer.from('%PDF-1.4 un')) });
    expect(readFileSync(a.blobPath(c.formats[0].sha256)).toString()).toBe('%PDF-1.4 un');
    expect(a.list('u2')).toEqual([]);
    expect(a.get('u2', 'c1')).toBeUndefined();

    const b = await ContentStore.open(dir, 'ent-x', seed);
    expect(seed).toHaveBeenCalledTimes(1);
    expect(b.list('u1')).toEqual(a.list('u1'));
  });

  it('stores an export produced chunk by chunk under the SHA-256 of all its bytes', async () => {
    const dir = tempDir('entsim-chunks-');
    const parts = [Buffer.from('%PDF-1.4 '), Buffer.alloc(3 * 1024 * 1024, 7), Buffer.from(' fin')];
    const store = await ContentStore.open(dir, 'ent-a', async () => [
      { id: 'big', ownerId: 'u1', title: 'Gros', category: 'STOCKAGE_PARTAGE', updatedAt: '2025-09-01T00:00:00.000Z', exports: [{ format: 'binary', mediaType: 'application/pdf', chunks: () => parts.values() }] },
    ]);
    const whole = Buffer.concat(parts);
    const [format] = store.get('u1', 'big')!.formats;
    expect(format).toMatchObject({ sha256: sha(whole), sizeBytes: whole.length });
    expect(readFileSync(store.blobPath(format.sha256)).equals(whole)).toBe(true);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  it('serialises mutations and replaces the index atomically (no temp file left)', async () => {
    const dir = tempDir('entsim-store-');
    const s = await ContentStore.open(dir, 'ent-x', tinySeed);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.mutate((idx) => {
          idx.contents.push({ ...idx.contents[0], id: `n${i}`, importKey: `k${i}`, origin: 'import' });
        }),
      ),
    );
    expect(s.list('u1')).toHaveLength(21);
    const onDisk = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(onDisk.contents).toHaveLength(21);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(s.findImport('u1', 'k7')?.id).toBe('n7');
  });

  it('writes the index once for the mutations that arrive while it is being written (group commit, issue 17)', async () => {
    const dir = tempDir('entsim-store-');
    const s = await ContentStore.open(dir, 'ent-x', tinySeed);
    const before = s.indexWrites;
    // 20 imports at once: each resolves only once its change is on disk, yet the catalogue is
    // written once for the first and once for the 19 that waited, not 20 times.
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.mutate((idx) => void idx.contents.push({ ...idx.contents[0], id: `g${i}`, importKey: `g${i}`, origin: 'import' }))));
    expect(s.indexWrites - before).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).contents).toHaveLength(21);
  });

  it('drops only the mutation that throws from a group written together, the others see each other', async () => {
    const dir = tempDir('entsim-store-');
    const s = await ContentStore.open(dir, 'ent-x', tinySeed);
    const first = s.mutate(() => undefined);
    const seen: number[] = [];
    const a = s.mutate((idx) => void idx.contents.push({ ...idx.contents[0], id: 'a', importKey: 'a', origin: 'import' }));
    const bad = s.mutate((idx) => {
      idx.contents = [];
      throw new Error('boom');
    });
    const c = s.mutate((idx) => {
      seen.push(idx.contents.length);
      idx.contents.push({ ...idx.contents[0], id: 'c', importKey: 'c', origin: 'import' });
      return idx.contents.length;
    });
    await first;
    await expect(bad).rejects.toThrow('boom');
    await a;
    expect(await c).toBe(3);
    expect(seen[seen.length - 1]).toBe(2);
    expect(s.list('u1').map((x) => x.id)).toEqual([s.list('u1')[0].id, 'a', 'c']);
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).contents.map((x: { id: string }) => x.id)).toEqual(s.list('u1').map((x) => x.id));
  });

  it('keeps the in-memory index unchanged when a mutation throws', async () => {
    const dir = tempDir('entsim-store-');
    const s = await ContentStore.open(dir, 'ent-x', tinySeed);
    await expect(
      s.mutate((idx) => {
        idx.contents = [];
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(s.list('u1')).toHaveLength(1);
    await s.mutate(() => undefined);
    expect(s.list('u1')).toHaveLength(1);
  });

  it('freezes written entries, so that a mutation changing one instead of replacing it fails and changes nothing', async () => {
    const dir = tempDir('entsim-store-');
    const s = await ContentStore.open(dir, 'ent-x', tinySeed);
    const title = s.list('u1')[0].title;
    await expect(s.mutate((idx) => void (idx.contents[0].title = 'changed in place'))).rejects.toThrow(TypeError);
    expect(s.list('u1')[0].title).toBe(title);
    await s.mutate((idx) => void (idx.contents[0] = { ...idx.contents[0], title: 'replaced' }));
    expect(s.list('u1')[0].title).toBe('replaced');
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).contents[0].title).toBe('replaced');
  });

  it('writes an index that reopens to the same catalogue, one entry per line', async () => {
    const dir = tempDir('entsim-store-');
    const s = await ContentStore.open(dir, 'ent-x', tinySeed);
    await s.mutate((idx) => void idx.contents.push({ ...idx.contents[0], id: 'q"\\\u00e9', title: 'Cours « 1 »\n"x"', importKey: 'k', origin: 'import' }));
    await s.mutate((idx) => void (idx.contents[0] = { ...idx.contents[0], title: 'renamed' }));
    const text = readFileSync(join(dir, 'index.json'), 'utf8');
    const parsed = JSON.parse(text);
    expect(parsed).toMatchObject({ version: 1, entId: 'ent-x' });
    expect(parsed.contents).toEqual(s.list('u1'));
    expect(text.split('\n').filter((l) => l.startsWith('{"id"'))).toHaveLength(2);
    const reopened = await ContentStore.open(dir, 'ent-x', tinySeed);
    expect(reopened.list('u1')).toEqual(s.list('u1'));
    expect(reopened.list('u1')[1].title).toBe('Cours « 1 »\n"x"');
  });

  it('refuses a data directory that belongs to another ENT, and cleans temp leftovers', async () => {
    const dir = tempDir('entsim-store-');
    await ContentStore.open(dir, 'ent-x', tinySeed);
    await expect(ContentStore.open(dir, 'ent-y', tinySeed)).rejects.toThrow(/ent-x/);
    writeFileSync(join(dir, 'tmp', 'upload-123'), 'partial');
    await ContentStore.open(dir, 'ent-x', tinySeed);
    expect(existsSync(join(dir, 'tmp', 'upload-123'))).toBe(false);
  });

  it.each([
    ['ent-a', ENT_A],
    ['ent-b', ENT_B],
  ])('seeds the %s profile deterministically (same bytes on two fresh stores)', async (_name, profile) => {
    const one = await ContentStore.open(tempDir('entsim-seed-'), profile.entId, () => profile.seed());
    const two = await ContentStore.open(tempDir('entsim-seed-'), profile.entId, () => profile.seed());
    const owners = profile.entId === 'ent-a' ? ['marie.dupont', 'lucas.moreau', 'claire.bernard', 'henri.lefebvre', 'nathalie.petit'] : ['paul.martin'];
    for (const owner of owners) {
      const a = one.list(owner);
      expect(a.length).toBeGreaterThan(0);
      expect(two.list(owner)).toEqual(a);
      for (const c of a) for (const f of c.formats) expect(readFileSync(one.blobPath(f.sha256)).length).toBe(f.sizeBytes);
    }
  });
});
