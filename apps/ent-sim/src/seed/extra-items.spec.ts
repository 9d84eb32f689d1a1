import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMbox, readCommonCartridgeManifest } from '@ent/formats';
import { ENT_A } from '../profiles/ent-a';
import { ENT_B } from '../profiles/ent-b';
import { seedExportBytes, type SeedContent } from '../profiles/profile';
import { extraContents, extraItemId, extraKind, largePdfChunks, withExtraItems } from './extra-items';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fingerprint = (contents: SeedContent[]) =>
  contents.map((c) => ({ id: c.id, ownerId: c.ownerId, category: c.category, updatedAt: c.updatedAt, exports: c.exports.map((e) => `${e.format}:${seedExportBytes(e).length}:${sha(seedExportBytes(e))}`) }));

describe('ENT_SIM_EXTRA_ITEMS synthetic contents', () => {
  const saved = process.env.ENT_SIM_EXTRA_ITEMS;
  afterEach(() => {
    if (saved === undefined) delete process.env.ENT_SIM_EXTRA_ITEMS;
    else process.env.ENT_SIM_EXTRA_ITEMS = saved;
  });

  it('adds nothing by default (the demo seed is unchanged)', async () => {
    delete process.env.ENT_SIM_EXTRA_ITEMS;
    const ids = (await ENT_A.seed()).map((c) => c.id);
    expect(ids).toHaveLength(13);
    expect(ids.some((id) => id.includes('-extra-'))).toBe(false);
    expect(await ENT_A.seed({ extraItems: 0 })).toHaveLength(13);
  });

  it('gives every seeded teacher of the profile N extra contents, so a teacher has at least 20 items', async () => {
    const seeded = await ENT_A.seed({ extraItems: 20 });
    const byOwner = new Map<string, number>();
    for (const c of seeded) byOwner.set(c.ownerId, (byOwner.get(c.ownerId) ?? 0) + 1);
    expect(Object.fromEntries(byOwner)).toEqual({ 'marie.dupont': 24, 'lucas.moreau': 24, 'claire.bernard': 21, 'henri.lefebvre': 23, 'nathalie.petit': 21 });
    expect(new Set(seeded.map((c) => c.id)).size).toBe(seeded.length);
    const marie = seeded.filter((c) => c.ownerId === 'marie.dupont' && c.id.includes('-extra-'));
    expect(marie.map((c) => c.id)[0]).toBe('ent-a-marie.dupont-extra-001');
    expect(marie.map((c) => c.id)[19]).toBe('ent-a-marie.dupont-extra-020');
    // The mix: 8 PDFs, 8 courses, 4 mailboxes.
    const count = (category: string) => marie.filter((c) => c.category === category).length;
    expect([count('STOCKAGE_PARTAGE'), count('PARCOURS_PEDAGOGIQUE'), count('COURRIER_ELECTRONIQUE')]).toEqual([8, 8, 4]);
    expect((await ENT_B.seed({ extraItems: 3 })).filter((c) => c.ownerId === 'paul.martin')).toHaveLength(5);
  });

  it('is deterministic: same N, same bytes (hence same sizes); different items differ', async () => {
    const one = await extraContents('ent-a', [{ ownerId: 'marie.dupont' } as SeedContent], 10);
    const two = await extraContents('ent-a', [{ ownerId: 'marie.dupont' } as SeedContent], 10);
    expect(fingerprint(two)).toEqual(fingerprint(one));
    expect(new Set(one.map((c) => sha(seedExportBytes(c.exports[0])))).size).toBe(10);
    // A prefix of a larger N is the same items.
    const more = await extraContents('ent-a', [{ ownerId: 'marie.dupont' } as SeedContent], 15);
    expect(fingerprint(more.slice(0, 10))).toEqual(fingerprint(one));
  });

  it('reads ENT_SIM_EXTRA_ITEMS when the caller passes no option', async () => {
    process.env.ENT_SIM_EXTRA_ITEMS = '5';
    expect((await ENT_B.seed()).length).toBe(2 + 5);
    const seed = withExtraItems('ent-x', async () => [{ ownerId: 'a' } as SeedContent, { ownerId: 'b' } as SeedContent]);
    expect((await seed({ extraItems: 1 })).map((c) => c.id)).toEqual([undefined, undefined, 'ent-x-a-extra-001', 'ent-x-b-extra-001']);
  });

  it('refuses a count out of bounds', async () => {
    await expect(extraContents('ent-a', [], 501)).rejects.toThrow(RangeError);
    await expect(extraContents('ent-a', [], -1)).rejects.toThrow(RangeError);
  });

  it('writes well-formed files: PDF magic, readable CC 1.3 and 1.1 packages, parseable mbox', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'entsim-extra-'));
    try {
      const items = await extraContents('ent-b', [{ ownerId: 'paul.martin' } as SeedContent], 5);
      expect(items.map((c) => extraKind(items.indexOf(c)))).toEqual(['pdf', 'course', 'pdf', 'course', 'mbox']);
      for (const c of items) {
        expect(c.id).toBe(extraItemId('ent-b', 'paul.martin', items.indexOf(c)));
        if (c.category === 'STOCKAGE_PARTAGE') {
          expect(c.exports).toHaveLength(1);
          expect(c.exports[0]).toMatchObject({ format: 'binary', mediaType: 'application/pdf' });
          expect(seedExportBytes(c.exports[0]).subarray(0, 5).toString()).toBe('%PDF-');
        } else if (c.category === 'PARCOURS_PEDAGOGIQUE') {
          expect(c.exports.map((e) => e.format)).toEqual(['imscc-1.3', 'imscc-1.1']);
          for (const e of c.exports) {
            const path = join(dir, `${c.id}-${e.format}.imscc`);
            writeFileSync(path, seedExportBytes(e));
            const summary = await readCommonCartridgeManifest({ path });
            expect(summary.version).toBe(e.format.slice('imscc-'.length));
            expect(summary.missingFiles).toEqual([]);
          }
        } else {
          expect(c.category).toBe('COURRIER_ELECTRONIQUE');
          expect(c.exports[0].format).toBe('mbox');
          expect(parseMbox(seedExportBytes(c.exports[0])).length).toBeGreaterThanOrEqual(2);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('produces the large PDF chunk by chunk, of the exact size, deterministic, never more than 1 MiB at once', async () => {
    for (const size of [700, 5 * 1024 * 1024 + 3, 33 * 1024 * 1024 + 1]) {
      const hash = createHash('sha256');
      let total = 0;
      let largest = 0;
      let first: Buffer | undefined;
      let last: Buffer | undefined;
      for (const chunk of largePdfChunks('ent-a', 'marie.dupont', size)) {
        first ??= chunk;
        last = chunk;
        hash.update(chunk);
        total += chunk.length;
        largest = Math.max(largest, chunk.length);
      }
      expect(total).toBe(size);
      expect(largest).toBeLessThanOrEqual(1024 * 1024 + 1024);
      expect(first!.subarray(0, 5).toString()).toBe('%PDF-');
      expect(last!.subarray(-6).toString()).toBe('%%EOF\n');
      expect(sha(Buffer.concat([...largePdfChunks('ent-a', 'marie.dupont', size)]))).toBe(hash.digest('hex'));
    }
  });

  it('seeds the large PDF only for ENT_SIM_LARGE_ITEM_OWNERS when given', async () => {
    const seed = withExtraItems('ent-x', async () => [{ ownerId: 'a' } as SeedContent, { ownerId: 'b' } as SeedContent]);
    const all = await seed({ extraItems: 0, largeItemBytes: 6 * 1024 * 1024 });
    expect(all.filter((c) => c.id?.endsWith('-large')).map((c) => c.ownerId)).toEqual(['a', 'b']);
    const one = await seed({ extraItems: 0, largeItemBytes: 6 * 1024 * 1024, largeItemOwners: ['b'] });
    const large = one.filter((c) => c.id?.endsWith('-large'));
    expect(large.map((c) => c.ownerId)).toEqual(['b']);
    expect(seedExportBytes(large[0].exports[0]).length).toBe(6 * 1024 * 1024);
  });
});
