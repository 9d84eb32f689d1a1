/** How the departure asks the arrival again when it did not answer the offer (ADR 016). */
export interface AnalysisRetryPolicy {
  /** Wait after the first failure; doubled at each one after. */
  baseMs: number;
  /** Ceiling of one wait. */
  maxDelayMs: number;
  /** Past this long since she asked, the question is given up (she is told, and may ask again). */
  windowMs: number;
}

export interface AnalysisFailure {
  /** HTTP status the arrival answered; undefined for a network failure or a timeout. */
  status: number | undefined;
  /** Whether the call may succeed if repeated (network, timeout, 5xx, 429), as the peer client classifies it. */
  retryable: boolean;
  /** From Retry-After (429, 503). */
  retryAfterMs?: number;
}

export type AnalysisRetryDecision = { retryInMs: number } | { giveUp: 'ARRIVAL_UNREACHABLE' | 'ARRIVAL_REFUSED' };

/**
 * After the `attempt`-th failed try, `elapsedMs` after she asked: when to try again, or why not.
 * Transient failures (network, timeout, 408, 429, 5xx) are retried with exponential backoff,
 * spread by ±20 % so that the teachers waiting on one arrival do not all come back at the same
 * second when it does, never sooner than Retry-After, and only within the window. Any other
 * answer is the arrival's considered refusal: asking again the same thing cannot change it.
 */
export function nextAnalysisAttempt(
  failure: AnalysisFailure,
  attempt: number,
  elapsedMs: number,
  policy: AnalysisRetryPolicy,
  random: () => number = Math.random,
): AnalysisRetryDecision {
  const transient = failure.retryable || failure.status === undefined || failure.status === 408 || failure.status === 429 || failure.status >= 500;
  if (!transient) return { giveUp: 'ARRIVAL_REFUSED' };
  const backoff = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const spread = Math.round(backoff * (0.8 + 0.4 * random()));
  const retryInMs = Math.max(spread, failure.retryAfterMs ?? 0);
  if (elapsedMs + retryInMs > policy.windowMs) return { giveUp: 'ARRIVAL_UNREACHABLE' };
  return { retryInMs };
}
