import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SizeLimitExceededError } from './errors';
import { createSha256Counter, sha256OfStream } from './hashing';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('createSha256Counter', () => {
  it('passes bytes through unchanged while hashing and counting them', async () => {
    const parts = [randomBytes(1), randomBytes(70_000), Buffer.alloc(0), randomBytes(333)];
    const whole = Buffer.concat(parts);
    const counter = createSha256Counter();
    const out: Buffer[] = [];
    await pipeline(Readable.from(parts), counter, async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) out.push(c);
    });
    expect(Buffer.concat(out).equals(whole)).toBe(true);
    expect(counter.bytes).toBe(whole.length);
    expect(counter.digestHex()).toBe(sha(whole));
  });

  it('refuses to give a digest before the end', () => {
    const counter = createSha256Counter();
    counter.write(Buffer.from('abc'));
    expect(() => counter.digestHex()).toThrow(/ended/);
    counter.destroy();
  });

  it('fails with SizeLimitExceededError once more than maxBytes flow', async () => {
    const counter = createSha256Counter({ maxBytes: 10 });
    const run = pipeline(Readable.from([Buffer.alloc(6), Buffer.alloc(6)]), counter, async (src: AsyncIterable<Buffer>) => {
      for await (const _ of src) void _;
    });
    await expect(run).rejects.toBeInstanceOf(SizeLimitExceededError);
    await expect(run).rejects.toMatchObject({ maxBytes: 10, bytesSeen: 12, code: 'SIZE_LIMIT_EXCEEDED' });
  });

  it('accepts exactly maxBytes', async () => {
    await expect(sha256OfStream(Readable.from([Buffer.alloc(10)]), { maxBytes: 10 })).resolves.toEqual({
      sha256: sha(Buffer.alloc(10)),
      bytes: 10,
    });
  });

  it('rejects a negative or fractional maxBytes', () => {
    expect(() => createSha256Counter({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => createSha256Counter({ maxBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('sha256OfStream', () => {
  it('hashes an empty stream', async () => {
    await expect(sha256OfStream(Readable.from([]))).resolves.toEqual({ sha256: sha(Buffer.alloc(0)), bytes: 0 });
  });

  it('hashes string chunks as UTF-8', async () => {
    await expect(sha256OfStream(Readable.from(['é', 'té']))).resolves.toEqual({ sha256: sha(Buffer.from('été')), bytes: 5 });
  });

  it('rejects with the error of the source', async () => {
    const source = new Readable({ read() { this.destroy(new Error('connector hung up')); } });
    await expect(sha256OfStream(source)).rejects.toThrow('connector hung up');
  });
});
