import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { dropBucket, s3Client, testS3, uniqueBucket, type TestS3 } from '../../../test/support/s3';
import { ChecksumMismatchError } from './errors';
import { sha256OfStream } from './hashing';
import {
  ObjectStore,
  type ResumableSource,
  type ResumableSourceRequest,
  type S3Config,
  type UploadCheckpoint,
  type UploadCheckpointStore,
} from './object-store';
import { multipartEtag } from './multipart-etag';

jest.setTimeout(120_000);

const MIB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A checkpoint store that keeps JSON text, as a database would: nothing shared by reference. */
class TextCheckpoints implements UploadCheckpointStore {
  text: string | undefined;
  saves = 0;
  async load(): Promise<UploadCheckpoint | undefined> {
    return this.text === undefined ? undefined : (JSON.parse(this.text) as UploadCheckpoint);
  }
  async save(cp: UploadCheckpoint): Promise<void> {
    this.saves++;
    this.text = JSON.stringify(cp);
  }
  async clear(): Promise<void> {
    this.text = undefined;
  }
  get current(): UploadCheckpoint | undefined {
    return this.text === undefined ? undefined : (JSON.parse(this.text) as UploadCheckpoint);
  }
}

/**
 * An HTTP-like source over `data`: honours an offset only when the tag still matches (If-Range),
 * sends uneven chunks, and can break after `breakAfter` bytes of this opening (a cut connection).
 */
function httpLikeSource(getData: () => { data: Buffer; tag: string }, breakAfter?: () => number | undefined) {
  const requests: ResumableSourceRequest[] = [];
  let served = 0;
  const open: ResumableSource = async (req) => {
    requests.push(req);
    const { data, tag } = getData();
    const offset = req.offset > 0 && req.sourceTag === tag ? req.offset : 0;
    const limit = breakAfter?.();
    async function* body() {
      let at = offset;
      let sent = 0;
      while (at < data.length) {
        const n = Math.min(data.length - at, 1 + Math.floor(Math.random() * 700 * 1024));
        if (limit !== undefined && sent + n >= limit) {
          yield data.subarray(at, at + (limit - sent));
          served += limit - sent;
          throw new Error('connection reset by peer');
        }
        yield data.subarray(at, at + n);
        at += n;
        sent += n;
        served += n;
      }
    }
    return { stream: Readable.from(body()), offset, sourceTag: tag, totalSize: data.length, contentType: 'application/octet-stream' };
  };
  return { open, requests, served: () => served };
}

/*
 * Resuming needs ListParts, which only a real S3 answers (radosgw in CI, MinIO on a laptop):
 * these cases are defined only when S3_ENDPOINT names one. The in-process s3rver lists no parts,
 * and the last case shows that an interrupted upload then starts again from byte 0, correctly.
 */
const REAL_S3 = !!process.env.S3_ENDPOINT;

describe('ObjectStore.putResumable', () => {
  let s3: TestS3;
  let config: S3Config;
  const bucket = uniqueBucket(__filename);
  /** A new store per attempt: as after a process restart, nothing is carried over in memory. */
  const freshStore = () => new ObjectStore(config);

  beforeAll(async () => {
    s3 = await testS3();
    config = {
      endPoint: s3.endPoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: s3.region,
      bucket,
      presignTtlSeconds: 60,
      partSizeBytes: 5 * MIB,
    };
    await freshStore().ensureBucket();
  });

  afterAll(async () => {
    if (s3) {
      await dropBucket(s3, bucket).catch((err) => console.warn(`could not drop ${bucket}: ${err}`));
      await s3.stop();
    }
  });

  async function incompleteUploads(prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const u of s3Client(s3).listIncompleteUploads(bucket, prefix, true)) ids.push(u.uploadId);
    return ids;
  }

  async function stored(key: string): Promise<{ sha256: string; bytes: number }> {
    return sha256OfStream(await freshStore().getStream(key));
  }

  if (REAL_S3) {
    it('continues from the last recorded part after the source breaks, reading nothing twice', async () => {
      const data = randomBytes(17 * MIB + 4321);
      let cut: number | undefined = 12 * MIB + 1000; // two parts up, the third half-filled
      const src = httpLikeSource(() => ({ data, tag: '"v1"' }), () => cut);
      const checkpoints = new TextCheckpoints();

      await expect(freshStore().putResumable('resume/a.bin', src.open, { contentType: 'x/y', checkpoints, expectedSize: data.length })).rejects.toThrow(
        'connection reset by peer',
      );
      const cp = checkpoints.current!;
      expect(cp.parts.map((p) => p.part)).toEqual([1, 2]);
      expect(cp.bytes).toBe(10 * MIB);
      expect(cp.sourceTag).toBe('"v1"');
      expect(cp.totalSize).toBe(data.length);
      await expect(freshStore().stat('resume/a.bin')).resolves.toBeNull(); // nothing half-made is visible
      expect(await incompleteUploads('resume/a.bin')).toEqual([cp.uploadId]);

      cut = undefined;
      const servedBefore = src.served();
      const put = await freshStore().putResumable('resume/a.bin', src.open, { contentType: 'x/y', checkpoints, expectedSize: data.length, expectedSha256: sha(data) });
      expect(src.requests[1]).toEqual({ offset: 10 * MIB, sourceTag: '"v1"' });
      expect(src.served() - servedBefore).toBe(data.length - 10 * MIB);
      expect(put).toMatchObject({ sizeBytes: data.length, sha256: sha(data), resumedFrom: 10 * MIB });
      expect(put.etag).toMatch(/-4$/);
      await expect(stored('resume/a.bin')).resolves.toEqual({ sha256: sha(data), bytes: data.length });
      expect(checkpoints.current).toBeUndefined();
      expect(await incompleteUploads('resume/')).toEqual([]);
    });

    it('records the upload before its first part, so an upload cut in part 1 is continued, not orphaned', async () => {
      const data = randomBytes(6 * MIB);
      let cut: number | undefined = 2 * MIB;
      const src = httpLikeSource(() => ({ data, tag: '"p1"' }), () => cut);
      const checkpoints = new TextCheckpoints();
      await expect(freshStore().putResumable('resume/p1.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow('connection reset');
      // Part 1 was never cut (2 MiB < 5 MiB): nothing initiated, nothing to record.
      expect(checkpoints.current).toBeUndefined();
      cut = 5 * MIB + 10;
      await expect(freshStore().putResumable('resume/p1.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow('connection reset');
      expect(checkpoints.current).toMatchObject({ bytes: 5 * MIB, parts: [{ part: 1, size: 5 * MIB }] });
      cut = undefined;
      const put = await freshStore().putResumable('resume/p1.bin', src.open, { contentType: 'x/y', checkpoints });
      expect(put).toMatchObject({ sha256: sha(data), resumedFrom: 5 * MIB });
      expect(await incompleteUploads('resume/p1.bin')).toEqual([]);
    });

    it('completes without reading the source again when every part was up before the break', async () => {
      const data = randomBytes(10 * MIB);
      let cut: number | undefined = data.length; // all bytes sent, then the connection fails instead of ending
      const src = httpLikeSource(() => ({ data, tag: '"all"' }), () => cut);
      const checkpoints = new TextCheckpoints();
      await expect(freshStore().putResumable('resume/all.bin', src.open, { contentType: 'x/y', checkpoints, expectedSize: data.length })).rejects.toThrow();
      expect(checkpoints.current!.bytes).toBe(10 * MIB);
      cut = undefined;
      const put = await freshStore().putResumable('resume/all.bin', src.open, { contentType: 'x/y', checkpoints, expectedSha256: sha(data) });
      expect(src.requests).toHaveLength(1);
      expect(put).toMatchObject({ sizeBytes: data.length, sha256: sha(data), resumedFrom: 10 * MIB });
      await expect(stored('resume/all.bin')).resolves.toEqual({ sha256: sha(data), bytes: data.length });
    });

    it('starts again from byte 0 when the source has changed since (If-Range mismatch)', async () => {
      let version = { data: randomBytes(13 * MIB), tag: '"old"' };
      let cut: number | undefined = 11 * MIB;
      const src = httpLikeSource(() => version, () => cut);
      const checkpoints = new TextCheckpoints();
      await expect(freshStore().putResumable('resume/changed.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow();
      const firstUpload = checkpoints.current!.uploadId;
      version = { data: randomBytes(12 * MIB), tag: '"new"' };
      cut = undefined;
      const put = await freshStore().putResumable('resume/changed.bin', src.open, { contentType: 'x/y', checkpoints });
      expect(src.requests[1]).toEqual({ offset: 10 * MIB, sourceTag: '"old"' });
      expect(put).toMatchObject({ resumedFrom: 0, sizeBytes: 12 * MIB, sha256: sha(version.data) });
      await expect(stored('resume/changed.bin')).resolves.toEqual({ sha256: sha(version.data), bytes: 12 * MIB });
      // The old upload's parts were thrown away, not left to linger.
      expect(await incompleteUploads('resume/changed.bin')).not.toContain(firstUpload);
      expect(await incompleteUploads('resume/changed.bin')).toEqual([]);
    });

    it('starts again from byte 0 when the upload is gone or a part differs', async () => {
      const data = randomBytes(12 * MIB);
      for (const damage of ['aborted', 'etag'] as const) {
        const key = `resume/damaged-${damage}.bin`;
        let cut: number | undefined = 11 * MIB;
        const src = httpLikeSource(() => ({ data, tag: '"d"' }), () => cut);
        const checkpoints = new TextCheckpoints();
        await expect(freshStore().putResumable(key, src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow();
        const cp = checkpoints.current!;
        if (damage === 'aborted') await freshStore().abortUpload(key, cp.uploadId);
        if (damage === 'etag') checkpoints.text = JSON.stringify({ ...cp, parts: cp.parts.map((p, i) => (i === 1 ? { ...p, etag: '0'.repeat(32) } : p)) });
        cut = undefined;
        const put = await freshStore().putResumable(key, src.open, { contentType: 'x/y', checkpoints, expectedSha256: sha(data) });
        expect({ damage, resumedFrom: put.resumedFrom }).toEqual({ damage, resumedFrom: 0 });
        expect(src.requests[1].offset).toBe(0);
        await expect(stored(key)).resolves.toEqual({ sha256: sha(data), bytes: data.length });
        expect(await incompleteUploads(key)).toEqual([]);
      }
    });

    it('rebuilds the SHA-256 of the bytes already up from S3 itself, not from the source (ADR 013)', async () => {
      const data = randomBytes(17 * MIB);
      let cut: number | undefined = 11 * MIB;
      const src = httpLikeSource(() => ({ data, tag: '"rb"' }), () => cut);
      const checkpoints = new TextCheckpoints();
      await expect(freshStore().putResumable('resume/rebuild.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow('connection reset');
      const cp = checkpoints.current!;
      expect(cp.bytes).toBe(10 * MIB);
      // The bytes already up are what the whole-object hash is rebuilt from: had they been
      // replaced in S3 (here: part 2 re-sent with other bytes), the digest must follow S3, not
      // the source, and the announced SHA-256 of the source must then be refused.
      const other = randomBytes(5 * MIB);
      const client = s3Client(s3);
      const res = await (client as unknown as { uploadPart(c: object, b: Buffer): Promise<{ etag: string }> }).uploadPart(
        { bucketName: bucket, objectName: 'resume/rebuild.bin', uploadID: cp.uploadId, partNumber: 2, headers: {} },
        other,
      );
      checkpoints.text = JSON.stringify({ ...cp, parts: cp.parts.map((p) => (p.part === 2 ? { ...p, etag: res.etag.replace(/"/g, '') } : p)) });
      cut = undefined;
      const attempt = freshStore().putResumable('resume/rebuild.bin', src.open, { contentType: 'x/y', checkpoints, expectedSha256: sha(data) });
      const mixed = Buffer.concat([data.subarray(0, 5 * MIB), other, data.subarray(10 * MIB)]);
      await expect(attempt).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', actualSha256: sha(mixed) });
      expect(src.requests[1]).toEqual({ offset: 10 * MIB, sourceTag: '"rb"' });
      await expect(freshStore().stat('resume/rebuild.bin')).resolves.toBeNull(); // the visible prefix was removed
      expect(checkpoints.current).toBeUndefined();
      expect(await incompleteUploads('resume/rebuild.bin')).toEqual([]);
    });

    it('continues across several breaks, and from a prefix already completed before a crash', async () => {
      const data = randomBytes(23 * MIB + 99);
      let cut: number | undefined = 7 * MIB;
      const src = httpLikeSource(() => ({ data, tag: '"many"' }), () => cut);
      const checkpoints = new TextCheckpoints();
      await expect(freshStore().putResumable('resume/many.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow('connection reset');
      expect(checkpoints.current!.bytes).toBe(5 * MIB);
      cut = 8 * MIB; // second attempt: from 5 MiB, two more parts up, then a break
      await expect(freshStore().putResumable('resume/many.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow('connection reset');
      const cp = checkpoints.current!;
      expect(cp.bytes).toBe(10 * MIB);
      expect(cp.hashState).toBeUndefined();
      // A crash right after the parts were completed into the object, before they were copied back.
      await s3Client(s3).completeMultipartUpload(bucket, 'resume/many.bin', cp.uploadId, cp.parts.map(({ part, etag }) => ({ part, etag })));
      checkpoints.text = JSON.stringify({ ...cp, prefixCompleted: true });
      expect((await freshStore().stat('resume/many.bin'))!.etag).toBe(multipartEtag(cp.parts));
      cut = undefined;
      const put = await freshStore().putResumable('resume/many.bin', src.open, { contentType: 'x/y', checkpoints, expectedSize: data.length, expectedSha256: sha(data) });
      expect(src.requests.map((r) => r.offset)).toEqual([0, 5 * MIB, 10 * MIB]);
      expect(put).toMatchObject({ sizeBytes: data.length, sha256: sha(data), resumedFrom: 10 * MIB });
      await expect(stored('resume/many.bin')).resolves.toEqual({ sha256: sha(data), bytes: data.length });
      expect(checkpoints.current).toBeUndefined();
      expect(await incompleteUploads('resume/many.bin')).toEqual([]);
    });

    it('continues a checkpoint written before ADR 013 (with a hash-wasm state, now ignored)', async () => {
      const data = randomBytes(12 * MIB);
      let cut: number | undefined = 11 * MIB;
      const src = httpLikeSource(() => ({ data, tag: '"old"' }), () => cut);
      const checkpoints = new TextCheckpoints();
      await expect(freshStore().putResumable('resume/legacy.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow();
      checkpoints.text = JSON.stringify({ ...checkpoints.current!, hashState: 'sha256-hash-wasm-1:AAAA' });
      cut = undefined;
      const put = await freshStore().putResumable('resume/legacy.bin', src.open, { contentType: 'x/y', checkpoints, expectedSha256: sha(data) });
      expect(put).toMatchObject({ resumedFrom: 10 * MIB, sha256: sha(data) });
    });

    it('aborts and forgets a resumed upload whose whole does not match the expected SHA-256', async () => {
      const data = randomBytes(11 * MIB);
      let cut: number | undefined = 10 * MIB + 5;
      const src = httpLikeSource(() => ({ data, tag: '"t"' }), () => cut);
      const checkpoints = new TextCheckpoints();
      const wrong = sha(Buffer.from('something else'));
      await expect(freshStore().putResumable('resume/bad.bin', src.open, { contentType: 'x/y', checkpoints, expectedSha256: wrong })).rejects.toThrow('connection reset');
      expect(checkpoints.current!.bytes).toBe(10 * MIB);
      cut = undefined;
      const attempt = freshStore().putResumable('resume/bad.bin', src.open, { contentType: 'x/y', checkpoints, expectedSha256: wrong });
      await expect(attempt).rejects.toBeInstanceOf(ChecksumMismatchError);
      expect(checkpoints.current).toBeUndefined();
      await expect(freshStore().stat('resume/bad.bin')).resolves.toBeNull();
      expect(await incompleteUploads('resume/bad.bin')).toEqual([]);
    });
  }

  it('puts a small object in one PUT and records no checkpoint', async () => {
    const data = randomBytes(300_000);
    const src = httpLikeSource(() => ({ data, tag: '"s"' }));
    const checkpoints = new TextCheckpoints();
    const put = await freshStore().putResumable('resume/small.bin', src.open, { contentType: 'x/y', checkpoints });
    expect(put).toMatchObject({ sizeBytes: data.length, sha256: sha(data), resumedFrom: 0 });
    expect(checkpoints.saves).toBe(0);
    await expect(stored('resume/small.bin')).resolves.toEqual({ sha256: sha(data), bytes: data.length });
  });

  it('an interrupted upload, continued or started again, always ends with the exact bytes', async () => {
    // On any S3: a server that lists parts continues; one that cannot (s3rver) starts again.
    const data = randomBytes(11 * MIB + 17);
    let cut: number | undefined = 10 * MIB + 3;
    const src = httpLikeSource(() => ({ data, tag: '"any"' }), () => cut);
    const checkpoints = new TextCheckpoints();
    await expect(freshStore().putResumable('resume/any.bin', src.open, { contentType: 'x/y', checkpoints })).rejects.toThrow();
    cut = undefined;
    const put = await freshStore().putResumable('resume/any.bin', src.open, { contentType: 'x/y', checkpoints, expectedSize: data.length });
    expect(put.resumedFrom).toBe(s3.kind === 'external' ? 10 * MIB : 0);
    expect(put.sha256).toBe(sha(data));
    await expect(stored('resume/any.bin')).resolves.toEqual({ sha256: sha(data), bytes: data.length });
  });
});
