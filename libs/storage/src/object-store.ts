import { createHash, type Hash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import {
  ChecksumMismatchError,
  InvalidRangeError,
  ObjectNotFoundError,
  S3TimeoutError,
  SizeLimitExceededError,
  SizeMismatchError,
} from './errors';
import { assertValidObjectKey, assertValidPrefix } from './keys';
import { multipartEtag } from './multipart-etag';

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
  /**
   * How long a request may go without a byte in either direction before its connection is closed
   * and the operation fails with S3TimeoutError. Default 120,000 ms. An idle limit, not a total
   * one: a 2 GiB upload that keeps moving is never cut.
   */
  idleTimeoutMs?: number;
}

/**
 * Connections to the S3 server that close after `ms` without traffic. Node's agents only close an
 * idle connection that waits in their pool; one inside a request that the server stops answering
 * stayed open forever (a hung radosgw kept a staging job RUNNING, its lease renewed, for minutes).
 */
function idleTimeoutAgent(useSSL: boolean, ms: number): HttpAgent {
  const agent = useSSL ? new HttpsAgent({ keepAlive: true, timeout: ms }) : new HttpAgent({ keepAlive: true, timeout: ms });
  const create = agent.createConnection.bind(agent) as (options: object, callback?: unknown) => Socket;
  (agent as unknown as { createConnection: typeof create }).createConnection = (options, callback) => {
    const socket = create(options, callback);
    socket.on('timeout', () => socket.destroy(new S3TimeoutError(ms)));
    return socket;
  };
  return agent;
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

/**
 * Where a resumable upload stands, as recorded after each finished part (see `putResumable`).
 * Plain JSON: the gateway keeps it in Postgres beside the transfer it belongs to.
 */
export interface UploadCheckpoint {
  uploadId: string;
  partSize: number;
  /** Finished parts, numbered 1..n, each exactly `partSize` bytes. */
  parts: { part: number; etag: string; size: number }[];
  /** Bytes the finished parts hold (parts.length × partSize): where the source resumes. */
  bytes: number;
  /**
   * Written by gateways before ADR 013 (a hash-wasm state); ignored since: the SHA-256 of the
   * bytes already up is rebuilt by reading them back from S3.
   */
  hashState?: string;
  /**
   * Set just before the upload's parts are completed into the object itself, to be read back
   * (ADR 013): from then on the upload may be gone and the object under the key holds exactly
   * `bytes` bytes, with the multipart ETag of `parts`.
   */
  prefixCompleted?: boolean;
  /** A new upload being filled with server-side copies of the completed prefix (aborted if left). */
  copyUploadId?: string;
  /** The source's validator (HTTP ETag) when the upload began: a resumed read must match it. */
  sourceTag?: string;
  /** The object's total size, when known when the upload began. */
  totalSize?: number;
}

/** Where one object's checkpoint lives (one store per object key). */
export interface UploadCheckpointStore {
  load(): Promise<UploadCheckpoint | undefined>;
  save(checkpoint: UploadCheckpoint): Promise<void>;
  clear(): Promise<void>;
}

export interface ResumableSourceRequest {
  /** First byte wanted (0: the whole source). */
  offset: number;
  /** Only resume if the source is still this representation (else start from 0). */
  sourceTag?: string;
}

export interface ResumableSourceOpened {
  stream: Readable;
  /**
   * The byte the stream starts at: the offset asked for, or 0 when the source cannot seek, has
   * changed since `sourceTag`, or no `sourceTag` was given for a non-zero offset.
   */
  offset: number;
  /** Validator of what is being read (an HTTP ETag), recorded so that a later resume can ask for it. */
  sourceTag?: string;
  /** Size of the whole source, when it says so. */
  totalSize?: number;
  contentType?: string;
}

/** Opens the source of a resumable upload at an offset (an HTTP GET with Range / If-Range, say). */
export type ResumableSource = (request: ResumableSourceRequest) => Promise<ResumableSourceOpened>;

export interface PutResumableOptions extends PutStreamOptions {
  checkpoints: UploadCheckpointStore;
}

export interface PutResumableResult extends PutResult {
  /** 0 for a fresh upload; else the byte it resumed from (bytes before it were not read again). */
  resumedFrom: number;
}

/** minio's client, with the ListParts call (protected there) that resuming needs. */
class S3Client extends Client {
  uploadedParts(bucket: string, key: string, uploadId: string): Promise<{ part: number; etag: string; size: number }[]> {
    return this.listParts(bucket, key, uploadId);
  }
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
/** ListParts answers meaning "no parts to continue from" (s3rver implements no ListParts). */
const UPLOAD_GONE_CODES = new Set(['NoSuchUpload', 'NotImplemented', 'MethodNotAllowed', 'NoSuchKey', 'NotFound']);

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
  private readonly client: S3Client;
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
    const idleTimeoutMs = config.idleTimeoutMs ?? 120_000;
    if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1) {
      throw new Error(`idleTimeoutMs must be a positive integer, got ${idleTimeoutMs}`);
    }
    this.client = new S3Client({
      endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: this.region,
      pathStyle: true,
      transportAgent: idleTimeoutAgent(useSSL, idleTimeoutMs),
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
    try {
      checkPutOptions(key, options);
    } catch (err) {
      source.destroy();
      throw err;
    }
    const { resumedFrom: _, ...result } = await this.upload(key, source, options, { hasher: createHash('sha256') });
    return result;
  }

  /**
   * Like `putStream`, but a multipart upload interrupted by anything but bad bytes (a crash, a
   * broken connection, an S3 error) continues where it stopped on the next call with the same
   * `checkpoints`, instead of from byte 0 (ARCHITECTURE §5).
   *
   * After each part, `checkpoints` records the upload id and the finished parts. The next call
   * checks that S3 still holds those parts, then rebuilds the SHA-256 of the bytes already up by
   * reading them back from S3 (ADR 013: the parts are completed into the object, hashed with
   * Node's native SHA-256, and copied server-side into a new upload), then asks `open` for the
   * source from the first missing byte, on condition that it is still the same representation
   * (`sourceTag`, an HTTP ETag). When the upload is gone or the source cannot (or may not) start
   * there, the object starts again from byte 0: resuming saves work, it never weakens the size
   * and SHA-256 checks, which cover the whole object. Size, limit and checksum failures abort the
   * upload, remove whatever part of the object a resume made visible, and clear the checkpoint.
   */
  async putResumable(key: string, open: ResumableSource, options: PutResumableOptions): Promise<PutResumableResult> {
    const { checkpoints } = options;
    checkPutOptions(key, options);
    let checkpoint = await checkpoints.load();
    let hasher = createHash('sha256');
    if (checkpoint) {
      const standing = await this.standing(key, checkpoint);
      if (!standing) {
        await this.discardUpload(key, checkpoint, checkpoints);
        checkpoint = undefined;
      } else {
        const etag = await this.readBackPrefix(key, checkpoint, standing, checkpoints, hasher);
        if (etag === undefined) {
          await this.discardUpload(key, { ...checkpoint, prefixCompleted: true }, checkpoints);
          checkpoint = undefined;
          hasher = createHash('sha256');
        } else {
          const known = options.expectedSize ?? checkpoint.totalSize;
          if (known !== undefined && checkpoint.bytes === known) {
            // Every part was up (a crash came just before completion): the object is whole.
            return this.finishReadBack(key, checkpoint, options, hasher, etag);
          }
          checkpoint = await this.copyBack(key, checkpoint, etag, options.contentType, checkpoints);
        }
      }
    }
    const opened = await open(checkpoint ? { offset: checkpoint.bytes, sourceTag: checkpoint.sourceTag } : { offset: 0 });
    const wanted = checkpoint?.bytes ?? 0;
    if (opened.offset !== wanted) {
      if (opened.offset !== 0 || !checkpoint) {
        opened.stream.destroy();
        throw new Error(`source opened at byte ${opened.offset}, expected ${wanted} or 0`);
      }
      // The source changed or cannot seek: the bytes up there are of no use.
      await this.discardUpload(key, { ...checkpoint, prefixCompleted: true }, checkpoints);
      checkpoint = undefined;
      hasher = createHash('sha256');
    }
    const expectedSize = options.expectedSize ?? opened.totalSize;
    if (expectedSize !== undefined && options.maxBytes !== undefined && expectedSize > options.maxBytes) {
      opened.stream.destroy();
      throw new SizeLimitExceededError(options.maxBytes, expectedSize);
    }
    return this.upload(key, opened.stream, { ...options, expectedSize, contentType: opened.contentType ?? options.contentType }, {
      hasher,
      checkpoints,
      resume: checkpoint,
      sourceTag: opened.sourceTag,
    });
  }

  /** Aborts a multipart upload (e.g. one recorded in a checkpoint whose transfer was given up). */
  async abortUpload(key: string, uploadId: string): Promise<void> {
    assertValidObjectKey(key);
    try {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId);
    } catch (err) {
      if (s3Code(err) !== 'NoSuchUpload') throw err;
    }
  }

  /**
   * Whether a checkpoint can be continued: 'open' when S3 still holds its parts under an open
   * upload, 'completed' when they were already completed into the object (a resume that
   * stopped while reading them back), undefined when it cannot be trusted.
   */
  private async standing(key: string, cp: UploadCheckpoint): Promise<'open' | 'completed' | undefined> {
    const consistent =
      typeof cp.uploadId === 'string' && cp.uploadId.length > 0 &&
      Number.isSafeInteger(cp.partSize) && cp.partSize >= MIN_PART_BYTES &&
      Array.isArray(cp.parts) && cp.parts.length > 0 &&
      cp.parts.every((p, i) => p.part === i + 1 && p.size === cp.partSize && typeof p.etag === 'string') &&
      cp.bytes === cp.parts.length * cp.partSize;
    if (!consistent) return undefined;
    if (cp.prefixCompleted) {
      const st = await this.stat(key);
      if (st && st.size === cp.bytes && unquote(st.etag) === multipartEtag(cp.parts)) return 'completed';
    }
    let listed: { part: number; etag: string; size: number }[];
    try {
      listed = await this.client.uploadedParts(this.bucket, key, cp.uploadId);
    } catch (err) {
      // Gone (completed, aborted, reclaimed by a lifecycle rule), or a server that cannot list
      // parts (s3rver): start again. Anything else is transient and fails this attempt.
      if (UPLOAD_GONE_CODES.has(s3Code(err) ?? '')) return undefined;
      throw err;
    }
    const byNumber = new Map(listed.map((p) => [p.part, p]));
    const intact = cp.parts.every((p) => {
      const up = byNumber.get(p.part);
      return up !== undefined && unquote(up.etag) === unquote(p.etag) && up.size === p.size;
    });
    return intact ? 'open' : undefined;
  }

  /**
   * ADR 013: S3 cannot read the parts of an unfinished upload, so they are completed into the
   * object itself (marked first in the checkpoint: a crash here is continued, not lost) and the
   * object is read back through `hasher`. Returns the object's ETag, or undefined when what S3
   * gives back is not the `bytes` bytes recorded (then the object starts again from 0).
   */
  private async readBackPrefix(
    key: string,
    cp: UploadCheckpoint,
    standing: 'open' | 'completed',
    checkpoints: UploadCheckpointStore,
    hasher: Hash,
  ): Promise<string | undefined> {
    const etag = multipartEtag(cp.parts);
    if (cp.copyUploadId) await this.abortUpload(key, cp.copyUploadId).catch(() => undefined);
    if (standing === 'open') {
      await checkpoints.save({ ...cp, prefixCompleted: true, copyUploadId: undefined });
      await this.client.completeMultipartUpload(this.bucket, key, cp.uploadId, cp.parts.map(({ part, etag: e }) => ({ part, etag: e })));
    }
    const st = await this.stat(key);
    if (!st || st.size !== cp.bytes || unquote(st.etag) !== etag) return undefined;
    let read = 0;
    for await (const chunk of await this.client.getObject(this.bucket, key)) {
      hasher.update(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
    return read === cp.bytes ? etag : undefined;
  }

  /** Every byte was up before the break: the read-back object is the whole, checked like any other. */
  private async finishReadBack(
    key: string,
    cp: UploadCheckpoint,
    options: PutResumableOptions,
    hasher: Hash,
    etag: string,
  ): Promise<PutResumableResult> {
    const sha256 = hasher.digest('hex');
    try {
      if (options.maxBytes !== undefined && cp.bytes > options.maxBytes) throw new SizeLimitExceededError(options.maxBytes, cp.bytes);
      if (options.expectedSize !== undefined && cp.bytes !== options.expectedSize) throw new SizeMismatchError(options.expectedSize, cp.bytes);
      if (options.expectedSha256 !== undefined && sha256 !== options.expectedSha256.toLowerCase()) {
        throw new ChecksumMismatchError(options.expectedSha256.toLowerCase(), sha256);
      }
    } catch (err) {
      await this.client.removeObject(this.bucket, key).catch(() => undefined);
      await options.checkpoints.clear();
      throw err;
    }
    await options.checkpoints.clear();
    return { sizeBytes: cp.bytes, sha256, etag, resumedFrom: cp.bytes };
  }

  /**
   * A new upload under the same key whose first parts are server-side copies of the read-back
   * prefix (UploadPartCopy, conditional on its ETag): no byte goes through the gateway again.
   * Its checkpoint replaces the old one only once every part is copied.
   */
  private async copyBack(key: string, cp: UploadCheckpoint, etag: string, contentType: string, checkpoints: UploadCheckpointStore): Promise<UploadCheckpoint> {
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, { 'Content-Type': contentType });
    await checkpoints.save({ ...cp, prefixCompleted: true, copyUploadId: uploadId });
    const source = `/${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const parts: UploadCheckpoint['parts'] = new Array(cp.parts.length);
    let next = 0;
    const worker = async () => {
      while (next < cp.parts.length) {
        const i = next++;
        const { part, size } = cp.parts[i];
        const start = i * cp.partSize;
        const res = await this.client.uploadPart(
          {
            bucketName: this.bucket,
            objectName: key,
            uploadID: uploadId,
            partNumber: part,
            headers: {
              'x-amz-copy-source': source,
              'x-amz-copy-source-range': `bytes=${start}-${start + size - 1}`,
              'x-amz-copy-source-if-match': `"${etag}"`,
            },
          },
          '',
        );
        parts[i] = { part, etag: unquote(res.etag), size };
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const resumed: UploadCheckpoint = { uploadId, partSize: cp.partSize, parts, bytes: cp.bytes };
    if (cp.sourceTag !== undefined) resumed.sourceTag = cp.sourceTag;
    if (cp.totalSize !== undefined) resumed.totalSize = cp.totalSize;
    await checkpoints.save(resumed);
    return resumed;
  }

  /** Forgets a checkpoint: aborts its uploads and removes the prefix a resume made visible. */
  private async discardUpload(key: string, cp: UploadCheckpoint, checkpoints: UploadCheckpointStore): Promise<void> {
    // Best effort: an upload that cannot be aborted here is invisible to readers, and the
    // bucket's AbortIncompleteMultipartUpload lifecycle rule reclaims it (README).
    await this.abortUpload(key, cp.uploadId).catch(() => undefined);
    if (cp.copyUploadId) await this.abortUpload(key, cp.copyUploadId).catch(() => undefined);
    if (cp.prefixCompleted) await this.client.removeObject(this.bucket, key).catch(() => undefined);
    await checkpoints.clear();
  }

  private async upload(
    key: string,
    source: Readable,
    options: PutStreamOptions,
    run: { hasher: Hash; checkpoints?: UploadCheckpointStore; resume?: UploadCheckpoint; sourceTag?: string },
  ): Promise<PutResumableResult> {
    const { contentType, expectedSize, maxBytes, expectedSha256 } = options;
    const { hasher, checkpoints, resume, sourceTag } = run;
    // Grow the parts when the announced size would need more than S3's 10,000 parts.
    const sizeHint = expectedSize ?? maxBytes ?? 0;
    const partSize = resume?.partSize ?? Math.max(this.partSizeBytes, Math.ceil(sizeHint / (MAX_PARTS - 1)));
    const headers = { 'Content-Type': contentType };
    const parts: { part: number; etag: string; size: number }[] = resume ? resume.parts.map((p) => ({ ...p })) : [];
    const resumedFrom = resume?.bytes ?? 0;
    let uploadId = resume?.uploadId;
    let bytes = resumedFrom;
    let inFlight: Promise<void> | undefined;
    let chunks: Buffer[] = [];
    let buffered = 0;
    let reserved = parts.length;
    const record = () =>
      checkpoints!.save({
        uploadId: uploadId!,
        partSize,
        parts: parts.map((p) => ({ ...p })),
        bytes: parts.reduce((n, p) => n + p.size, 0),
        ...(sourceTag !== undefined ? { sourceTag } : {}),
        ...(expectedSize !== undefined ? { totalSize: expectedSize } : {}),
      });

    // `whole`: a part of exactly partSize, recorded in the checkpoint once it is up.
    const nextPart = async (body: Buffer, whole: boolean) => {
      // The part number is taken before waiting, so that numbers follow the order of the bytes.
      const part = ++reserved;
      if (part > MAX_PARTS) throw new Error(`object needs more than ${MAX_PARTS} parts`);
      if (inFlight) await inFlight; // at most one part on the wire while the next one fills
      if (uploadId === undefined) {
        uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, { ...headers });
        // Recorded before any part goes up: a crash from here on leaves no unknown upload behind.
        if (checkpoints) await record();
      }
      const p = this.client
        .uploadPart(
          {
            bucketName: this.bucket,
            objectName: key,
            uploadID: uploadId,
            partNumber: part,
            // No Content-MD5: over http the request signature already carries the part's
            // SHA-256, which S3 checks; over https the connection protects it (ADR 013).
            headers: {},
          },
          body,
        )
        .then(async (res) => {
          parts.push({ part, etag: unquote(res.etag), size: body.length });
          if (whole && checkpoints) await record();
        });
      p.catch(() => undefined); // awaited later; must not count as unhandled meanwhile
      inFlight = p;
    };

    try {
      for await (const received of source as AsyncIterable<Buffer | string>) {
        const chunk = typeof received === 'string' ? Buffer.from(received) : received;
        let offset = 0;
        while (offset < chunk.length) {
          // Parts are cut at exact multiples of partSize, so that a resumed upload knows from
          // the byte count alone which part comes next and where it starts.
          const slice = chunk.subarray(offset, offset + Math.min(chunk.length - offset, partSize - buffered));
          offset += slice.length;
          bytes += slice.length;
          if (maxBytes !== undefined && bytes > maxBytes) throw new SizeLimitExceededError(maxBytes, bytes);
          if (expectedSize !== undefined && bytes > expectedSize) throw new SizeMismatchError(expectedSize, bytes, false);
          hasher.update(slice);
          chunks.push(slice);
          buffered += slice.length;
          if (buffered === partSize) {
            const body = Buffer.concat(chunks, buffered);
            chunks = [];
            buffered = 0;
            await nextPart(body, true);
          }
        }
      }

      const sizeBytes = bytes;
      const sha256 = hasher.digest('hex');
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
        return { sizeBytes, sha256, etag: res.etag, resumedFrom };
      }
      if (rest.length > 0) await nextPart(rest, false);
      await inFlight;
      parts.sort((a, b) => a.part - b.part);
      const res = await this.client.completeMultipartUpload(this.bucket, key, uploadId, parts);
      await checkpoints?.clear();
      // Ceph radosgw 16 answers CompleteMultipartUpload with an empty <ETag>: ask for it.
      const etag = res.etag || (await this.client.statObject(this.bucket, key)).etag;
      return { sizeBytes, sha256, etag, resumedFrom };
    } catch (err) {
      source.destroy();
      if (inFlight) await Promise.allSettled([inFlight]);
      const badBytes = err instanceof SizeLimitExceededError || err instanceof SizeMismatchError || err instanceof ChecksumMismatchError;
      if (badBytes && resume) {
        // A resume made the prefix visible under the key: bad bytes must not stay there.
        await this.client.removeObject(this.bucket, key).catch(() => undefined);
      }
      if (uploadId !== undefined && (!checkpoints || badBytes)) {
        // Best effort: the original error is what the caller needs. A failed abort leaves an
        // incomplete upload, invisible to readers, that `abortIncompleteUploads` or a bucket
        // lifecycle rule reclaims.
        await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
        await checkpoints?.clear().catch(() => undefined);
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

function checkPutOptions(key: string, options: PutStreamOptions): void {
  const { expectedSize, maxBytes, expectedSha256 } = options;
  assertValidObjectKey(key);
  assertSize('expectedSize', expectedSize);
  assertSize('maxBytes', maxBytes);
  if (expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(expectedSha256)) {
    throw new TypeError('expectedSha256 must be 64 hex digits');
  }
  if (expectedSize !== undefined && maxBytes !== undefined && expectedSize > maxBytes) {
    throw new SizeLimitExceededError(maxBytes, expectedSize);
  }
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

function assertSize(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

function s3Code(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
