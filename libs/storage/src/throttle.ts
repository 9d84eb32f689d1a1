import { Transform, TransformCallback } from 'node:stream';

/**
 * Caps the throughput of a stream (bytes per second), so that pulling a
 * teacher's years of work does not saturate a school's link. Chunks are split
 * so that no burst exceeds one second's budget.
 */
export function createThrottle(bytesPerSecond: number): Transform {
  if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be > 0');
  const started = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const pushSlices = (offset: number) => {
        if (offset >= chunk.length) return done();
        const slice = chunk.subarray(offset, offset + Math.max(1, Math.floor(bytesPerSecond / 10)));
        sent += slice.length;
        const due = started + (sent / bytesPerSecond) * 1000;
        const wait = due - Date.now();
        const emit = () => {
          this.push(slice);
          pushSlices(offset + slice.length);
        };
        if (wait > 0) setTimeout(emit, wait);
        else emit();
      };
      pushSlices(0);
    },
  });
}
