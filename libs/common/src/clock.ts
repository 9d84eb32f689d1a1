/**
 * The time the domain reads: deadlines, retention, the dates a teacher is shown, when a job is
 * due. Everything that decides "is it late yet?" asks a Clock, never `Date.now()`, so that a test
 * can run a whole summer in minutes (ADR 011).
 *
 * Security-relevant time (token expiry, S3 request signatures, leases of running jobs) stays on
 * the system time: a clock moved by a test must not make a real token valid nor a signature
 * rejected.
 */
export interface Clock {
  now(): Date;
}

/**
 * The process's clock. It reads the system time and nothing else: no environment variable, no
 * file. The only way to move it is `installClockOffset`, which the test-only preload module
 * (`libs/common/src/testing/clock-preload.ts`, loaded with `node -r`) calls; production never
 * loads that module.
 */
class ProcessClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** For the test preload only: shift this process's domain time (it keeps running from there). */
  setOffsetMs(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new RangeError('clock offset must be a finite number of milliseconds');
    this.offsetMs = offsetMs;
  }
}

export const processClock = new ProcessClock();

/** Nest injection token of the Clock. */
export const CLOCK = Symbol('CLOCK');

/** A clock for unit tests: it stands still until told to move. */
export class FixedClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
