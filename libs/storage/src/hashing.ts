import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SizeLimitExceededError } from './errors';

export interface Sha256CounterOptions {
  /** Fail the stream with SizeLimitExceededError as soon as more than this many bytes flow. */
  maxBytes?: number;
}

/** A pass-through stream that hashes (SHA-256) and counts the bytes going through it. */
export interface Sha256Counter extends Transform {
  /** Bytes seen so far (final once the stream has ended). */
  readonly bytes: number;
  /** Lower-case hex SHA-256 of everything that went through; throws before the stream has ended. */
  digestHex(): string;
}

class Sha256CounterStream extends Transform implements Sha256Counter {
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  private count = 0;

  constructor(private readonly maxBytes: number | undefined) {
    super();
  }

  get bytes(): number {
    return this.count;
  }

  digestHex(): string {
    if (this.digest === undefined) throw new Error('SHA-256 is only known once the stream has ended');
    return this.digest;
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    this.count += buf.length;
    if (this.maxBytes !== undefined && this.count > this.maxBytes) {
      callback(new SizeLimitExceededError(this.maxBytes, this.count));
      return;
    }
    this.hash.update(buf);
    callback(null, buf);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    callback();
  }
}

export function createSha256Counter(options: Sha256CounterOptions = {}): Sha256Counter {
  const { maxBytes } = options;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  return new Sha256CounterStream(maxBytes);
}

/** Reads a stream to its end without keeping it, and returns its SHA-256 (hex) and length. */
export async function sha256OfStream(
  readable: Readable | AsyncIterable<Buffer | string>,
  options: Sha256CounterOptions = {},
): Promise<{ sha256: string; bytes: number }> {
  const counter = createSha256Counter(options);
  await pipeline(readable, counter, async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source) {
      // drained: only the hash and the count are kept
    }
  });
  return { sha256: counter.digestHex(), bytes: counter.bytes };
}
