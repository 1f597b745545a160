// When to retry a registry request, decided in one place: 429, 408 and transient 5xx answers and network
// errors are retried with exponential backoff + jitter, honouring Retry-After (RFC 9110 §10.2.3);
// 401/403/404 and every other answer are outcomes for the caller, never retried.

export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retries). */
  attempts: number;
  /** Backoff before the second attempt; doubles each time. */
  baseDelayMs: number;
  /** Cap of a backoff delay. */
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the answer is returned as it is. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 4, baseDelayMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

/** What one attempt ended with: an HTTP answer, or no answer at all (connection refused/reset, timeout). */
export type AttemptOutcome = { status: number; retryAfter?: string | null } | { networkError: true };

/** 501 and 505 say the server will never do it; every other 5xx may pass. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), 86_400) * 1000;
  // An HTTP date names its weekday and GMT; Date.parse alone would also take "May 3" or "1.5".
  if (!/^[A-Za-z]{3},? /.test(text) && !/GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread without collapsing to 0. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const max = policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const exp = Math.min(max, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * How long to wait before attempt `attempt + 1`, or undefined when the outcome stands (success, an outcome
 * status, attempts used up, or a Retry-After longer than the policy will wait).
 */
export function retryDelayMs(
  outcome: AttemptOutcome,
  attempt: number,
  policy: RetryPolicy,
  now: number = Date.now(),
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.attempts) return undefined;
  if ('networkError' in outcome) return backoffDelayMs(attempt, policy, random);
  if (!isRetryableStatus(outcome.status)) return undefined;
  const retryAfter = parseRetryAfter(outcome.retryAfter, now);
  if (retryAfter === undefined) return backoffDelayMs(attempt, policy, random);
  if (retryAfter > (policy.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs)) return undefined;
  return retryAfter;
}
