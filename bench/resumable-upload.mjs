#!/usr/bin/env node
/**
 * Benchmark: what resumable multipart uploads cost and what they save (ADR 006, ADR 013),
 * against baselines measured in the same run, rounds interleaved so that machine noise hits
 * both sides:
 *
 *   1. a fresh upload: putResumable (one checkpoint per part) vs putStream;
 *   2. after a break at 75 %: finishing with putResumable (reads the first 75 % back from S3 to
 *      rebuild the SHA-256, copies it server-side, reads and sends the last 25 % from the
 *      source) vs starting again with putStream (reads and sends everything).
 *
 *   npm run build && S3_ENDPOINT=… S3_ACCESS_KEY=… S3_SECRET_KEY=… node bench/resumable-upload.mjs [--mb 64] [--rounds 3]
 *
 * Needs a real S3 (ListParts): start one with ../shared/tools/s3-radosgw/up.sh and source its
 * s3.env. radosgw keeps objects in RAM and frees deleted ones only at its garbage collection:
 * give it room (CEPH_MEMSTORE_BYTES=8589934592) for runs past the default size. Prints medians and ratios; absolute times on these machines mean little.
 * Not run by the test command.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(HERE, '..', 'dist', 'libs', 'storage', 'src', 'index.js');
const MIB = 1024 * 1024;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (!existsSync(DIST)) {
  console.error(`${DIST} not found: run \`npm run build\` first`);
  process.exit(2);
}
if (!process.env.S3_ENDPOINT || !process.env.S3_ACCESS_KEY || !process.env.S3_SECRET_KEY) {
  console.error('S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY must name a real S3 (e.g. radosgw: ../shared/tools/s3-radosgw/up.sh)');
  process.exit(2);
}
const { ObjectStore } = createRequire(import.meta.url)(DIST);

const size = Number(arg('--mb', '64')) * MIB;
const rounds = Number(arg('--rounds', '3'));
const PART = 8 * MIB;
// The object: one random block repeated (cheap to produce at any offset, incompressible enough).
const block = randomBytes(MIB + 4099);
const byteAt = (offset) => offset % block.length;

/** The object's bytes from `offset`, in 256 KiB chunks; `stopAt` cuts the stream with an error. */
function source(offset, stopAt) {
  let at = offset;
  let read = 0;
  const stream = new Readable({
    read() {
      if (stopAt !== undefined && at >= stopAt) return this.destroy(new Error('cut'));
      if (at >= size) return this.push(null);
      const n = Math.min(256 * 1024, size - at, (stopAt ?? size) - at);
      const start = byteAt(at);
      const chunk = start + n <= block.length ? block.subarray(start, start + n) : Buffer.concat([block.subarray(start), block.subarray(0, n - (block.length - start))]);
      at += n;
      read += n;
      this.push(chunk);
    },
  });
  return { stream, read: () => read };
}

class MemoryCheckpoints {
  text = undefined;
  async load() { return this.text && JSON.parse(this.text); }
  async save(cp) { this.text = JSON.stringify(cp); }
  async clear() { this.text = undefined; }
}

const store = new ObjectStore({
  endPoint: process.env.S3_ENDPOINT,
  accessKey: process.env.S3_ACCESS_KEY,
  secretKey: process.env.S3_SECRET_KEY,
  region: process.env.S3_REGION || 'us-east-1',
  bucket: `bench-resumable-${process.pid}`,
  presignTtlSeconds: 60,
  partSizeBytes: PART,
});

const time = async (fn) => {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];


async function main() {
  await store.ensureBucket();
  const results = { putStream: [], putResumable: [], restart: [], resume: [] };
  let expected;
  let reread = { restart: 0, resume: 0 };

  for (let r = 0; r < rounds; r++) {
    const plain = await time(() => store.putStream('bench/plain', source(0).stream, { contentType: 'application/octet-stream', expectedSize: size }));
    const resumable = await time(() =>
      store.putResumable('bench/resumable', async ({ offset }) => ({ stream: source(offset).stream, offset, sourceTag: '"v"', totalSize: size }), {
        contentType: 'application/octet-stream', expectedSize: size, checkpoints: new MemoryCheckpoints(),
      }));
    expected ??= plain.out.sha256;
    if (plain.out.sha256 !== expected || resumable.out.sha256 !== expected) throw new Error('digests differ');
    results.putStream.push(plain.ms);
    results.putResumable.push(resumable.ms);

    // A break at 75 %, then: start again from zero (what happened before) or resume.
    const cutAt = Math.floor((size * 0.75) / PART) * PART + PART / 2;
    const checkpoints = new MemoryCheckpoints();
    const open = (stopAt) => async ({ offset, sourceTag }) => {
      const from = sourceTag === '"v"' ? offset : 0;
      const s = source(from, stopAt);
      open.last = s;
      return { stream: s.stream, offset: from, sourceTag: '"v"', totalSize: size };
    };
    await store.putResumable('bench/cut', open(cutAt), { contentType: 'application/octet-stream', expectedSize: size, checkpoints }).catch(() => undefined);
    const restartSource = source(0);
    const restart = await time(() => store.putStream('bench/restart', restartSource.stream, { contentType: 'application/octet-stream', expectedSize: size }));
    const resume = await time(() => store.putResumable('bench/cut', open(undefined), { contentType: 'application/octet-stream', expectedSize: size, checkpoints }));
    if (restart.out.sha256 !== expected || resume.out.sha256 !== expected) throw new Error('digests differ after the break');
    if (resume.out.resumedFrom === 0) throw new Error('the upload did not resume: is S3_ENDPOINT a real S3 with ListParts?');
    results.restart.push(restart.ms);
    results.resume.push(resume.ms);
    reread = { restart: restartSource.read(), resume: open.last.read() };
    console.error(`round ${r + 1}/${rounds} done`);
  }
  await store.removePrefix('bench/');
  await store.abortIncompleteUploads('bench/');

  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  console.log(`object ${size / MIB} MiB, parts of ${PART / MIB} MiB, ${rounds} interleaved rounds, medians`);
  console.log(`fresh upload: putStream ${m.putStream.toFixed(0)} ms, putResumable ${m.putResumable.toFixed(0)} ms: ratio resumable/plain ${(m.putResumable / m.putStream).toFixed(2)}`);
  console.log(`after a break at 75 %: start again ${m.restart.toFixed(0)} ms (${(reread.restart / MIB).toFixed(0)} MiB read), resume ${m.resume.toFixed(0)} ms (${(reread.resume / MIB).toFixed(0)} MiB read): ratio resume/restart ${(m.resume / m.restart).toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
