import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContentCategory } from '@ent/contract';
import type { SeedContent } from '../profiles/profile';

export interface StoredBlobRef {
  sha256: string;
  sizeBytes: number;
}

export interface StoredFormat extends StoredBlobRef {
  format: string;
  mediaType: string;
}

export interface StoredMetadata extends StoredBlobRef {
  mediaType: string;
}

export interface StoredContent {
  id: string;
  ownerId: string;
  title: string;
  category: ContentCategory;
  updatedAt: string;
  formats: StoredFormat[];
  metadata: Record<string, StoredMetadata>;
  /** Set on contents created by an import. */
  importKey?: string;
  origin: 'seed' | 'import';
}

interface IndexFile {
  version: 1;
  entId: string;
  createdAt: string;
  contents: StoredContent[];
}

const INDEX = 'index.json';
const SHA256 = /^[0-9a-f]{64}$/;

export interface StoreLogger {
  log(message: string, context?: string): void;
  warn(message: string, context?: string): void;
}

/**
 * The simulated ENT's own store, on disk: bytes as content-addressed files
 * (`blobs/ab/abcd…`), the catalogue in `index.json`, always replaced
 * atomically (temp file, fsync, rename, fsync of the directory). Mutations are
 * serialised in-process; one process owns a data directory.
 */
export class ContentStore {
  private index: IndexFile;
  /** Mutations waiting for the next write of the index (see mutate). */
  private waiting: { fn: (index: IndexFile) => unknown; resolve: (v: unknown) => void; reject: (err: unknown) => void }[] = [];
  private writing = false;
  private writes = 0;

  private constructor(
    readonly dir: string,
    index: IndexFile,
  ) {
    this.index = index;
  }

  /** Opens the store, seeding it on first start (no index yet). */
  static async open(dir: string, entId: string, seed: () => Promise<SeedContent[]>, logger?: StoreLogger): Promise<ContentStore> {
    await fs.mkdir(join(dir, 'blobs'), { recursive: true });
    await fs.mkdir(join(dir, 'tmp'), { recursive: true });
    // Leftovers of interrupted uploads or writes.
    for (const name of await fs.readdir(join(dir, 'tmp'))) await fs.rm(join(dir, 'tmp', name), { force: true, recursive: true });

    let index: IndexFile | undefined;
    try {
      index = JSON.parse(await fs.readFile(join(dir, INDEX), 'utf8')) as IndexFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read ${join(dir, INDEX)}: ${(err as Error).message}`);
      }
    }
    if (index) {
      if (index.version !== 1 || !Array.isArray(index.contents)) throw new Error(`${join(dir, INDEX)} has an unknown layout`);
      if (index.entId !== entId) {
        throw new Error(`${dir} holds the data of ${index.entId}, not ${entId}: use another ENT_SIM_DATA_DIR`);
      }
      const store = new ContentStore(dir, index);
      const missing = await store.missingBlobs();
      if (missing.length > 0) logger?.warn(`${missing.length} stored object(s) are missing from ${dir}/blobs`, 'ContentStore');
      logger?.log(`opened store ${dir} (${index.contents.length} contents)`, 'ContentStore');
      return store;
    }

    const store = new ContentStore(dir, { version: 1, entId, createdAt: new Date().toISOString(), contents: [] });
    const seeded = await seed();
    const contents: StoredContent[] = [];
    for (const s of seeded) {
      const formats: StoredFormat[] = [];
      for (const e of s.exports) {
        formats.push({ format: e.format, mediaType: e.mediaType, ...(await ('bytes' in e ? store.putBlob(e.bytes) : store.putBlobChunks(e.chunks()))) });
      }
      const metadata: Record<string, StoredMetadata> = {};
      for (const [format, bytes] of Object.entries(s.metadata ?? {})) {
        metadata[format] = { mediaType: 'application/xml', ...(await store.putBlob(bytes)) };
      }
      contents.push({ id: s.id, ownerId: s.ownerId, title: s.title, category: s.category, updatedAt: s.updatedAt, formats, metadata, origin: 'seed' });
    }
    await store.mutate((idx) => {
      idx.contents = contents;
    });
    logger?.log(`seeded store ${dir} with ${contents.length} contents`, 'ContentStore');
    return store;
  }

  get entId(): string {
    return this.index.entId;
  }

  list(ownerId: string): StoredContent[] {
    return this.index.contents.filter((c) => c.ownerId === ownerId);
  }

  /** A content of this owner (never another owner's: same answer as for an unknown id). */
  get(ownerId: string, id: string): StoredContent | undefined {
    return this.index.contents.find((c) => c.id === id && c.ownerId === ownerId);
  }

  findImport(ownerId: string, importKey: string): StoredContent | undefined {
    return this.index.contents.find((c) => c.ownerId === ownerId && c.importKey === importKey);
  }

  blobPath(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.dir, 'blobs', sha256.slice(0, 2), sha256);
  }

  /** A fresh path in the store's tmp directory (same file system as the blobs, so rename is atomic). */
  tempPath(prefix: string): string {
    return join(this.dir, 'tmp', `${prefix}-${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  async putBlob(bytes: Buffer): Promise<StoredBlobRef> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const tmp = this.tempPath('blob');
    await writeDurably(tmp, bytes);
    await this.commitBlob(tmp, sha256);
    return { sha256, sizeBytes: bytes.length };
  }

  /** Writes a blob produced chunk by chunk, hashing on the way: never more than one chunk in memory. */
  async putBlobChunks(chunks: Iterable<Buffer>): Promise<StoredBlobRef> {
    const hash = createHash('sha256');
    const tmp = this.tempPath('blob');
    let sizeBytes = 0;
    await pipeline(
      Readable.from(chunks, { objectMode: false }),
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          sizeBytes += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(tmp, { flags: 'wx', mode: 0o600 }),
    );
    const fh = await fs.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const sha256 = hash.digest('hex');
    await this.commitBlob(tmp, sha256);
    return { sha256, sizeBytes };
  }

  /** Moves a fully written temp file into the blob store under its hash (no-op if the blob exists). */
  async commitBlob(tmpPath: string, sha256: string): Promise<void> {
    const target = this.blobPath(sha256);
    await fs.mkdir(join(this.dir, 'blobs', sha256.slice(0, 2)), { recursive: true });
    try {
      await fs.access(target, fsConstants.F_OK);
      await fs.rm(tmpPath, { force: true });
    } catch {
      await fs.rename(tmpPath, target);
    }
  }

  /**
   * Applies `fn` to a copy of the index and persists it atomically; the
   * in-memory index changes only once the file is safely replaced. Calls are
   * serialised, so `fn` sees every earlier mutation. The entries are frozen:
   * `fn` adds, removes or replaces entries of `contents`, never changes one.
   *
   * Group commit (issue 17): the mutations that arrive while the index is being
   * written are applied together, in order, and written once; each resolves when
   * that write is durable. Rewriting the whole catalogue for every import made
   * the simulated ENT the slowest part of a summer of concurrent transfers.
   */
  mutate<T>(fn: (index: IndexFile) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.writing) void this.writeWaiting();
    });
  }

  /** Index files written since the store was opened (group commit makes it fewer than mutations). */
  get indexWrites(): number {
    return this.writes;
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        const outcomes = this.applyInOrder(batch.map((m) => m.fn));
        const draft = outcomes.draft;
        // Frozen before it is written: a group that fails to be written is dropped whole anyway.
        for (const c of draft.contents) deepFreeze(c);
        try {
          const tmp = this.tempPath('index');
          await writeDurably(tmp, Buffer.from(serializeIndex(draft), 'utf8'));
          await fs.rename(tmp, join(this.dir, INDEX));
          await fsyncDir(this.dir);
          this.writes++;
        } catch (err) {
          // Nothing of this group is on disk: every one of them fails, the index stays as it was.
          for (const m of batch) m.reject(err);
          continue;
        }
        this.index = draft;
        batch.forEach((m, i) => {
          const o = outcomes.results[i];
          if (o.ok) m.resolve(o.value);
          else m.reject(o.error);
        });
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * Runs the functions one after the other on one copy of the index. One that throws may have
   * changed the copy half-way: the copy is then made again from the index with the ones that
   * succeeded so far, so that a failed mutation leaves no trace and the next sees only the others.
   */
  private applyInOrder(fns: ((index: IndexFile) => unknown)[]) {
    // The catalogue's entries are frozen once written: a copy of the list is enough, and a
    // mutation replaces an entry instead of changing it (changing one throws).
    const copy = (): IndexFile => ({ ...this.index, contents: this.index.contents.slice() });
    let draft = copy();
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    for (const fn of fns) {
      try {
        results.push({ ok: true, value: fn(draft) });
      } catch (error) {
        results.push({ ok: false, error });
        draft = copy();
        results.forEach((r, i) => {
          if (!r.ok) return;
          try {
            r.value = fns[i](draft);
          } catch (again) {
            results[i] = { ok: false, error: again };
          }
        });
      }
    }
    return { draft, results };
  }

  private async missingBlobs(): Promise<string[]> {
    const missing: string[] = [];
    for (const c of this.index.contents) {
      for (const ref of [...c.formats, ...Object.values(c.metadata)]) {
        try {
          const st = await fs.stat(this.blobPath(ref.sha256));
          if (st.size !== ref.sizeBytes) missing.push(ref.sha256);
        } catch {
          missing.push(ref.sha256);
        }
      }
    }
    return missing;
  }
}

async function writeDurably(path: string, bytes: Buffer): Promise<void> {
  const fh = await fs.open(path, 'wx', 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The JSON of each entry (frozen, hence unchanging), made once. */
const entryJson = new WeakMap<StoredContent, string>();

/**
 * The index file: its header, then one entry per line. Entries never change once written (they
 * are frozen), so each is turned into JSON once and the file is their concatenation: writing the
 * catalogue costs a join, not a new serialisation of every entry (issue 17).
 */
function serializeIndex(index: IndexFile): string {
  const { contents, ...header } = index;
  const lines = contents.map((c) => {
    let json = entryJson.get(c);
    if (json === undefined) entryJson.set(c, (json = JSON.stringify(c)));
    return json;
  });
  const head = JSON.stringify(header);
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"contents":[\n${lines.join(',\n')}\n]}\n`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some file systems refuse to fsync a directory; the rename is still atomic.
  } finally {
    await fh?.close();
  }
}
