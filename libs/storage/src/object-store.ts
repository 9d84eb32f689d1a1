import { createHash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { Client } from 'minio';
import {
  ChecksumMismatchError,
  InvalidRangeError,
  ObjectNotFoundError,
  SizeLimitExceededError,
  SizeMismatchError,
} from './errors';
import { createSha256Counter } from './hashing';
import { assertValidObjectKey, assertValidPrefix } from './keys';

export interface S3Config {
  /** Base URL of the S3 endpoint, e.g. `http://127.0.0.1:7480` (plain HTTP is allowed). */
  endPoint: string;
  accessKey: string;
  secretKey: string;
  /** Default `us-east-1`. Set explicitly so that no request goes to ask the bucket's location. */
  region?: string;
  bucket: string;
  /** Default lifetime of a presigned GET URL. */
  presignTtlSeconds: number;
  /**
   * Size of the parts of a multipart upload, and so the most memory one upload holds
   * (two parts: one being sent, one being filled). Default 8 MiB; S3 wants at least 5 MiB.
   */
  partSizeBytes?: number;
  /** How long `ping()` waits for the server. Default 3000 ms. */
  pingTimeoutMs?: number;
}

export interface PutStreamOptions {
  contentType: string;
  /** When set, the stream must carry exactly this many bytes (else SizeMismatchError). */
  expectedSize?: number;
  /** When set, the upload stops with SizeLimitExceededError as soon as more bytes flow. */
  maxBytes?: number;
  /** When set (hex), the bytes must hash to it (else ChecksumMismatchError). */
  expectedSha256?: string;
}

export interface PutResult {
  sizeBytes: number;
  /** Lower-case hex SHA-256 of the bytes stored. */
  sha256: string;
  /** The S3 ETag, without quotes (an MD5 for a single PUT, `md5-N` for a multipart upload). */
  etag: string;
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`; no `end` reads to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectStat {
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
}

export interface PresignGetOptions {
  /** Sent back as the response's Content-Disposition (e.g. `attachment; filename="x.imscc"`). */
  contentDisposition?: string;
  /** Sent back as the response's Content-Type. */
  contentType?: string;
}

const MIB = 1024 * 1024;
const MIN_PART_BYTES = 5 * MIB;
const MAX_PART_BYTES = 5 * 1024 * MIB;
const MAX_PARTS = 10_000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchObject']);

/**
 * The S3 object store of one gateway (one bucket), through the `minio` client with path-style
 * addressing, so that it works against MinIO, Ceph radosgw, s3rver and AWS alike.
 *
 * §5: bytes are streamed, never held whole in memory, and hashed (SHA-256) on the way; an
 * object that breaks a size or checksum rule is never committed, so nothing half-valid is
 * left in the bucket for a peer to fetch.
 */
export class ObjectStore {
  readonly bucket: string;
  private readonly client: Client;
  private readonly region: string;
  private readonly presignTtlSeconds: number;
  private readonly partSizeBytes: number;
  private readonly pingTimeoutMs: number;

  constructor(config: S3Config) {
    let url: URL;
    try {
      url = new URL(config.endPoint);
    } catch {
      throw new Error(`S3 endPoint must be a URL such as http://127.0.0.1:7480, got ${JSON.stringify(config.endPoint)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`S3 endPoint must be http:// or https://, got ${url.protocol}`);
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username) {
      throw new Error(`S3 endPoint must be a bare origin (no path, query or credentials): ${config.endPoint}`);
    }
    const partSize = config.partSizeBytes ?? 8 * MIB;
    if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_BYTES || partSize > MAX_PART_BYTES) {
      throw new Error(`partSizeBytes must be between 5 MiB and 5 GiB, got ${partSize}`);
    }
    if (!Number.isInteger(config.presignTtlSeconds) || config.presignTtlSeconds < 1 || config.presignTtlSeconds > MAX_PRESIGN_SECONDS) {
      throw new Error(`presignTtlSeconds must be an integer in 1..${MAX_PRESIGN_SECONDS}, got ${config.presignTtlSeconds}`);
    }
    const useSSL = url.protocol === 'https:';
    this.bucket = config.bucket;
    this.region = config.region || 'us-east-1';
    this.presignTtlSeconds = config.presignTtlSeconds;
    this.partSizeBytes = partSize;
    this.pingTimeoutMs = config.pingTimeoutMs ?? 3000;
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: this.region,
      pathStyle: true,
    });
  }

  /** Creates the bucket if it does not exist (safe to call from several replicas at once). */
  async ensureBucket(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      const code = s3Code(err);
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
      throw err;
    }
  }

  /**
   * Streams `source` into the object `key`, hashing and counting on the way. Objects smaller
   * than one part go up in a single PUT; larger ones as a multipart upload, two parts in memory
   * at most. Size and checksum rules are checked before the object is committed: on any
   * failure the multipart upload is aborted and no object appears (an older object under the
   * same key, if any, is left untouched). The store owns `source`: it is destroyed on failure.
   */
  async putStream(key: string, source: Readable, options: PutStreamOptions): Promise<PutResult> {
    const { contentType, expectedSize, maxBytes, expectedSha256 } = options;
    try {
      assertValidObjectKey(key);
      assertSize('expectedSize', expectedSize);
      assertSize('maxBytes', maxBytes);
      if (expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(expectedSha256)) {
        throw new TypeError('expectedSha256 must be 64 hex digits');
      }
      if (expectedSize !== undefined && maxBytes !== undefined && expectedSize > maxBytes) {
        throw new SizeLimitExceededError(maxBytes, expectedSize);
      }
    } catch (err) {
      source.destroy();
      throw err;
    }

    // Grow the parts when the announced size would need more than S3's 10,000 parts.
    const sizeHint = expectedSize ?? maxBytes ?? 0;
    const partSize = Math.max(this.partSizeBytes, Math.ceil(sizeHint / (MAX_PARTS - 1)));
    const counter = createSha256Counter({ maxBytes });
    // Errors of either stream surface through the iteration below; pipeline tears both down.
    pipeline(source, counter, () => undefined);

    const headers = { 'Content-Type': contentType };
    const parts: { part: number; etag: string }[] = [];
    let uploadId: string | undefined;
    let inFlight: Promise<void> | undefined;
    let chunks: Buffer[] = [];
    let buffered = 0;

    try {
      let reserved = 0;
      const nextPart = async (body: Buffer) => {
        // The part number is taken before waiting, so that numbers follow the order of the bytes.
        const part = ++reserved;
        if (part > MAX_PARTS) throw new Error(`object needs more than ${MAX_PARTS} parts`);
        if (inFlight) await inFlight; // at most one part on the wire while the next one fills
        uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, key, { ...headers });
        const id = uploadId;
        const p = this.client
          .uploadPart(
            {
              bucketName: this.bucket,
              objectName: key,
              uploadID: id,
              partNumber: part,
              headers: { 'Content-MD5': createHash('md5').update(body).digest('base64') },
            },
            body,
          )
          .then((res) => {
            parts.push({ part, etag: res.etag });
          });
        p.catch(() => undefined); // awaited later; must not count as unhandled meanwhile
        inFlight = p;
      };
      for await (const chunk of counter as AsyncIterable<Buffer>) {
        if (expectedSize !== undefined && counter.bytes > expectedSize) {
          throw new SizeMismatchError(expectedSize, counter.bytes, false);
        }
        chunks.push(chunk);
        buffered += chunk.length;
        if (buffered >= partSize) {
          const body = Buffer.concat(chunks, buffered);
          chunks = [];
          buffered = 0;
          await nextPart(body);
        }
      }

      const sizeBytes = counter.bytes;
      const sha256 = counter.digestHex();
      if (expectedSize !== undefined && sizeBytes !== expectedSize) {
        throw new SizeMismatchError(expectedSize, sizeBytes);
      }
      if (expectedSha256 !== undefined && sha256 !== expectedSha256.toLowerCase()) {
        throw new ChecksumMismatchError(expectedSha256.toLowerCase(), sha256);
      }

      const rest = Buffer.concat(chunks, buffered);
      chunks = [];
      if (uploadId === undefined) {
        const res = await this.client.putObject(this.bucket, key, rest, rest.length, headers);
        return { sizeBytes, sha256, etag: res.etag };
      }
      if (rest.length > 0) await nextPart(rest);
      await inFlight;
      parts.sort((a, b) => a.part - b.part);
      const res = await this.client.completeMultipartUpload(this.bucket, key, uploadId, parts);
      // Ceph radosgw 16 answers CompleteMultipartUpload with an empty <ETag>: ask for it.
      const etag = res.etag || (await this.client.statObject(this.bucket, key)).etag;
      return { sizeBytes, sha256, etag };
    } catch (err) {
      counter.destroy();
      source.destroy();
      if (inFlight) await Promise.allSettled([inFlight]);
      if (uploadId !== undefined) {
        // Best effort: the original error is what the caller needs. A failed abort leaves an
        // incomplete upload, invisible to readers, that `abortIncompleteUploads` or a bucket
        // lifecycle rule reclaims.
        await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Reads an object, or an inclusive byte range of it (a resumed download, §2 `Range`). */
  async getStream(key: string, range?: ByteRange): Promise<Readable> {
    assertValidObjectKey(key);
    let offset = 0;
    let length = 0;
    if (range) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || start < 0) throw new InvalidRangeError(`range start must be a non-negative integer, got ${start}`);
      if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
        throw new InvalidRangeError(`range end must be an integer >= start (${start}), got ${end}`);
      }
      offset = start;
      length = end === undefined ? 0 : end - start + 1;
      // getPartialObject sends no Range header for (0, 0), which is the whole object: right.
    }
    try {
      return await this.client.getPartialObject(this.bucket, key, offset, length);
    } catch (err) {
      const code = s3Code(err);
      if (code && NOT_FOUND_CODES.has(code)) throw new ObjectNotFoundError(key);
      if (code === 'InvalidRange') throw new InvalidRangeError(`range ${offset}-${range?.end ?? ''} is not satisfiable for ${key}`);
      throw err;
    }
  }

  /** Metadata of an object, or null when there is none. */
  async stat(key: string): Promise<ObjectStat | null> {
    assertValidObjectKey(key);
    try {
      const s = await this.client.statObject(this.bucket, key);
      const meta = s.metaData as Record<string, string | undefined>;
      return {
        size: s.size,
        etag: s.etag,
        contentType: meta['content-type'] ?? 'application/octet-stream',
        lastModified: s.lastModified,
      };
    } catch (err) {
      const code = s3Code(err);
      if (code && NOT_FOUND_CODES.has(code)) return null;
      throw err;
    }
  }

  /** Deletes an object; deleting a missing object is not an error (S3 semantics). */
  async remove(key: string): Promise<void> {
    assertValidObjectKey(key);
    await this.client.removeObject(this.bucket, key);
  }

  /**
   * Deletes every object whose key starts with `prefix` and returns how many were deleted.
   * An empty prefix is refused: emptying a whole bucket is never what retention means.
   */
  async removePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix, false);
    const keys = await this.listKeys(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let results: unknown[];
      try {
        results = (await this.client.removeObjects(this.bucket, batch)) as unknown[];
      } catch {
        // Multi-object delete is optional or flaky in some S3 servers (s3rver races on its own
        // directories); single deletes are slower but universal, and report their own errors.
        for (const key of batch) await this.client.removeObject(this.bucket, key);
        continue;
      }
      const failures = results
        .map((r) => {
          const e = r as { Error?: { Code?: string; Key?: string }; Code?: string; Key?: string } | null | undefined;
          return e?.Error ?? (e?.Code ? e : undefined);
        })
        .filter((e): e is { Code?: string; Key?: string } => !!e);
      if (failures.length > 0) {
        const first = failures[0];
        throw new Error(`could not delete ${failures.length} object(s) under ${prefix}: ${first.Key}: ${first.Code}`);
      }
    }
    return keys.length;
  }

  /** Keys under `prefix` (all keys for `''`), in S3 listing order (UTF-8 binary). */
  async listKeys(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix, true);
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if (item.name) keys.push(item.name);
    }
    return keys;
  }

  /**
   * Aborts multipart uploads left incomplete under `prefix` (e.g. by a process killed during
   * staging). Returns how many were aborted. Not every S3 implements the listing (s3rver does not).
   */
  async abortIncompleteUploads(prefix: string): Promise<number> {
    assertValidPrefix(prefix, false);
    const uploads: { key: string; uploadId: string }[] = [];
    for await (const u of this.client.listIncompleteUploads(this.bucket, prefix, true)) {
      uploads.push({ key: u.key, uploadId: u.uploadId });
    }
    for (const u of uploads) await this.client.abortMultipartUpload(this.bucket, u.key, u.uploadId);
    return uploads.length;
  }

  /** A URL that lets its holder GET the object, without credentials, for `ttlSeconds`. */
  async presignGet(key: string, ttlSeconds: number = this.presignTtlSeconds, options: PresignGetOptions = {}): Promise<string> {
    assertValidObjectKey(key);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer in 1..${MAX_PRESIGN_SECONDS}, got ${ttlSeconds}`);
    }
    const responseHeaders: Record<string, string> = {};
    if (options.contentDisposition) responseHeaders['response-content-disposition'] = options.contentDisposition;
    if (options.contentType) responseHeaders['response-content-type'] = options.contentType;
    return this.client.presignedGetObject(this.bucket, key, ttlSeconds, responseHeaders);
  }

  /** Health: true when the server answers within the timeout and the bucket exists. */
  async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.pingTimeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([this.client.bucketExists(this.bucket).catch(() => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function assertSize(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

function s3Code(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
