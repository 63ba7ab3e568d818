/**
 * The Standard Webhooks retry schedule, as delays before each retry: the first attempt is immediate, then
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h later (about 3 days in all).
 */
export const STANDARD_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000,
];

/** Exponential backoff, as Temporal's own retry policies describe it. */
export interface ExponentialBackoff {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  /** Attempts in all, the first included. */
  readonly maximumAttempts: number;
}

/** How an endpoint's failed deliveries are retried. Plain data: it travels in workflow input. */
export interface RetryPolicy {
  /** Either an explicit list of delays before each retry… */
  readonly scheduleMs?: readonly number[];
  /** …or exponential backoff. */
  readonly exponential?: ExponentialBackoff;
  /** Each delay moves by up to this fraction either way (0 to 0.5), so that retries of many events spread out. */
  readonly jitter: number;
  /** No retry starts later than this after the first attempt. */
  readonly deadlineMs?: number;
  /** A receiver's `Retry-After` is followed up to this long. */
  readonly retryAfterMaxMs: number;
}

/** What the next delay depends on, besides the policy. */
export interface RetryContext {
  /** The attempt that just failed, from 1. */
  readonly attempt: number;
  /** Time since the first attempt started. */
  readonly elapsedMs: number;
  /** What the receiver asked for with `Retry-After`, if anything. */
  readonly retryAfterMs?: number;
  /** A number in [0, 1), from `Math.random` (deterministic inside a workflow). */
  readonly random: number;
}

/**
 * The delay before the next attempt, or `undefined` when the policy has no retry left.
 * A receiver's `Retry-After` replaces the policy's delay (capped at `retryAfterMaxMs`, and never jittered below
 * what it asked); the number of attempts and the deadline still bound it.
 */
export function nextRetryDelayMs(policy: RetryPolicy, context: RetryContext): number | undefined {
  const base = baseDelayMs(policy, context.attempt);
  if (base === undefined) return undefined;
  const delay =
    context.retryAfterMs === undefined
      ? Math.round(base * (1 + policy.jitter * (2 * context.random - 1)))
      : Math.min(context.retryAfterMs, policy.retryAfterMaxMs);
  if (policy.deadlineMs !== undefined && context.elapsedMs + delay > policy.deadlineMs) return undefined;
  return Math.max(0, delay);
}

function baseDelayMs(policy: RetryPolicy, attempt: number): number | undefined {
  const { exponential } = policy;
  if (!exponential) return (policy.scheduleMs ?? STANDARD_RETRY_SCHEDULE_MS)[attempt - 1];
  if (attempt >= exponential.maximumAttempts) return undefined;
  return Math.min(exponential.initialIntervalMs * exponential.backoffCoefficient ** (attempt - 1), exponential.maximumIntervalMs);
}

/**
 * A `Retry-After` header as milliseconds from `now`: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * `undefined` when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfterMs(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP dates always end in GMT; without the check, Date.parse would read "-5" or "1.5" as years.
  if (!/ GMT$/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
