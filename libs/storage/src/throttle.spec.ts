import { Readable } from 'node:stream';
import { createThrottle } from './throttle';

async function drain(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('createThrottle', () => {
  it('passes every byte through unchanged', async () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const out = await drain(Readable.from([data.subarray(0, 1234), data.subarray(1234)]).pipe(createThrottle(1_000_000)));
    expect(out.equals(data)).toBe(true);
  });

  it('delays the stream to the configured rate (no timing bound asserted beyond the schedule itself)', async () => {
    // 3000 bytes at 10 000 B/s are scheduled over 300 ms: the stream cannot end before that.
    const t0 = Date.now();
    await drain(Readable.from([Buffer.alloc(3000)]).pipe(createThrottle(10_000)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('refuses a non-positive rate', () => {
    expect(() => createThrottle(0)).toThrow(RangeError);
  });
});
