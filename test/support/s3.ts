import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from 'minio';

/**
 * S3 for tests. CI (`.ci/run`) starts Ceph radosgw, a real S3 that verifies SigV4 signatures
 * and presigned URLs, and exports S3_ENDPOINT; a developer may point S3_ENDPOINT at a MinIO.
 * Without S3_ENDPOINT an in-process s3rver is started instead: it stores and serves bytes
 * faithfully but checks no SigV4 signature, so tests that prove signature checks must only be
 * defined when `s3VerifiesSignatures()` is true.
 */
export interface TestS3 {
  endPoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  verifiesSignatures: boolean;
  kind: 'external' | 's3rver';
  stop(): Promise<void>;
}

export const NO_S3_ENDPOINT_WARNING = 'S3_ENDPOINT is not set: using an in-process s3rver, which checks no signature';

/**
 * Known synchronously, so that a spec can decide at collection time whether to define the
 * signature tests (jest collects tests before any beforeAll runs). Same answer as testS3().
 */
export function s3VerifiesSignatures(): boolean {
  return !!process.env.S3_ENDPOINT && process.env.S3_VERIFIES_SIGNATURES !== 'false';
}

let warned = false;

export async function testS3(): Promise<TestS3> {
  const endPoint = process.env.S3_ENDPOINT;
  if (endPoint) {
    const accessKey = process.env.S3_ACCESS_KEY;
    const secretKey = process.env.S3_SECRET_KEY;
    if (!accessKey || !secretKey) throw new Error('S3_ENDPOINT is set but S3_ACCESS_KEY or S3_SECRET_KEY is not');
    return {
      endPoint: endPoint.replace(/\/+$/, ''),
      accessKey,
      secretKey,
      region: process.env.S3_REGION || 'us-east-1',
      verifiesSignatures: s3VerifiesSignatures(),
      kind: 'external',
      stop: async () => undefined, // not ours to stop
    };
  }

  if (!warned) {
    warned = true;
    console.warn(NO_S3_ENDPOINT_WARNING);
  }
  // Loaded lazily: s3rver pulls in Koa and friends, useless when a real S3 is given.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  };
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0, // the kernel picks a free port: no race with other suites
    silent: true,
    directory,
    vhostBuckets: false,
  });
  const { port } = await server.run();
  let stopped = false;
  return {
    endPoint: `http://127.0.0.1:${port}`,
    // s3rver knows one account only; it checks V2 signatures but not V4 (which minio uses).
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    verifiesSignatures: false,
    kind: 's3rver',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A bucket name unique to this test file and run: S3 rules (3–63 chars of [a-z0-9-], starting
 * and ending with a letter or digit), from `prefix` (e.g. the spec's file name) and random bits.
 */
export function uniqueBucket(prefix: string): string {
  const slug = basename(prefix)
    .toLowerCase()
    .replace(/\.(e2e-)?spec\.[cm]?[tj]s$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const suffix = `${process.pid.toString(36)}-${randomBytes(5).toString('hex')}`;
  return `${slug || 't'}-${suffix}`;
}

/** A minio client for the test S3 server (path-style, as the gateways use it). */
export function s3Client(s3: Pick<TestS3, 'endPoint' | 'accessKey' | 'secretKey' | 'region'>): Client {
  const url = new URL(s3.endPoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    useSSL: url.protocol === 'https:',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    pathStyle: true,
  });
}

/** Deletes every object (and incomplete upload, where the server lists them) and the bucket. */
export async function dropBucket(s3: Pick<TestS3, 'endPoint' | 'accessKey' | 'secretKey' | 'region'>, bucket: string): Promise<void> {
  const client = s3Client(s3);
  if (!(await client.bucketExists(bucket))) return;
  const keys: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true)) if (item.name) keys.push(item.name);
  if (keys.length > 0) await client.removeObjects(bucket, keys);
  try {
    for await (const u of client.listIncompleteUploads(bucket, '', true)) {
      await client.abortMultipartUpload(bucket, u.key, u.uploadId);
    }
  } catch {
    // s3rver does not list multipart uploads; its data directory is removed anyway
  }
  await client.removeBucket(bucket);
}
