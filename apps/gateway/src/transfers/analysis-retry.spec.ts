import { nextAnalysisAttempt } from './analysis-retry';

const policy = { baseMs: 2_000, maxDelayMs: 60_000, windowMs: 600_000 };
const noJitter = () => 0.5;
const down = { status: undefined, retryable: true };

describe('nextAnalysisAttempt (the arrival did not answer the offer)', () => {
  it('retries a network failure, a 5xx and a 429 by itself, doubling the wait up to a ceiling', () => {
    expect(nextAnalysisAttempt(down, 1, 0, policy, noJitter)).toEqual({ retryInMs: 2_000 });
    expect(nextAnalysisAttempt({ status: 503, retryable: true }, 2, 2_000, policy, noJitter)).toEqual({ retryInMs: 4_000 });
    expect(nextAnalysisAttempt({ status: 502, retryable: true }, 3, 6_000, policy, noJitter)).toEqual({ retryInMs: 8_000 });
    expect(nextAnalysisAttempt(down, 9, 100_000, policy, noJitter)).toEqual({ retryInMs: 60_000 });
    expect(nextAnalysisAttempt({ status: 429, retryable: true }, 1, 0, policy, noJitter)).toEqual({ retryInMs: 2_000 });
  });

  it('waits at least what Retry-After asks', () => {
    expect(nextAnalysisAttempt({ status: 429, retryable: true, retryAfterMs: 30_000 }, 1, 0, policy, noJitter)).toEqual({ retryInMs: 30_000 });
    expect(nextAnalysisAttempt({ status: 503, retryable: true, retryAfterMs: 1_000 }, 3, 6_000, policy, noJitter)).toEqual({ retryInMs: 8_000 });
  });

  it('spreads the retries (±20 %) so that teachers waiting on the same arrival do not come back all at once', () => {
    expect(nextAnalysisAttempt(down, 3, 0, policy, () => 0)).toEqual({ retryInMs: 6_400 });
    expect(nextAnalysisAttempt(down, 3, 0, policy, () => 0.999_999)).toEqual({ retryInMs: 9_600 });
  });

  it('gives up, as unreachable, when the next try would fall past the bounded window', () => {
    expect(nextAnalysisAttempt(down, 12, 590_000, policy, noJitter)).toEqual({ giveUp: 'ARRIVAL_UNREACHABLE' });
    expect(nextAnalysisAttempt({ status: 429, retryable: true, retryAfterMs: 3_600_000 }, 1, 0, policy, noJitter)).toEqual({ giveUp: 'ARRIVAL_UNREACHABLE' });
  });

  it('a definitive refusal (4xx other than 408 and 429) is not retried', () => {
    expect(nextAnalysisAttempt({ status: 400, retryable: false }, 1, 0, policy, noJitter)).toEqual({ giveUp: 'ARRIVAL_REFUSED' });
    expect(nextAnalysisAttempt({ status: 403, retryable: false }, 1, 0, policy, noJitter)).toEqual({ giveUp: 'ARRIVAL_REFUSED' });
    expect(nextAnalysisAttempt({ status: 409, retryable: false }, 1, 0, policy, noJitter)).toEqual({ giveUp: 'ARRIVAL_REFUSED' });
    expect(nextAnalysisAttempt({ status: 408, retryable: false }, 1, 0, policy, noJitter)).toEqual({ retryInMs: 2_000 });
  });
});
