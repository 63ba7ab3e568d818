import { classifyAttempt } from './classify.js';
import type { AttemptResult, AttemptVerdict, DeliveryTarget } from './delivery.js';
import { nextRetryDelayMs, parseRetryAfterMs } from './retry.js';

/** The reason a delivery ends with when its endpoint answered 410 Gone. */
export const GONE_REASON = 'the endpoint answered 410 Gone';

/** What a delivery does after an attempt that reached (or tried to reach) the receiver. */
export type NextStep =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'retry'; readonly delayMs: number }
  /** `gone`: the receiver said it wants no more, and its endpoint is to be disabled. */
  | { readonly kind: 'failed'; readonly reason: string; readonly gone: boolean };

/** Where a delivery stands when an attempt's outcome is judged. */
export interface AttemptContext {
  readonly attempt: number;
  /** Since the first attempt started: a retry policy's deadline counts from there. */
  readonly elapsedMs: number;
  /** Asked only when the attempt is to be retried, for the delay's jitter: a workflow's random numbers are replayed in order. */
  readonly random: () => number;
}

/** Judges an attempt (its verdict) and decides what follows, by the target's retry policy and the receiver's Retry-After. */
export function judgeAttempt(
  target: DeliveryTarget,
  result: AttemptResult,
  context: AttemptContext,
): { verdict: AttemptVerdict; next: NextStep } {
  const verdict = classifyAttempt(result, target.retryOnStatus);
  if (verdict === 'delivered') return { verdict, next: { kind: 'succeeded' } };
  const delayMs =
    verdict === 'retryable'
      ? nextRetryDelayMs(target.retry, {
          attempt: context.attempt,
          elapsedMs: context.elapsedMs,
          random: context.random(),
          ...retryAfter(result),
        })
      : undefined;
  return delayMs === undefined
    ? { verdict, next: { kind: 'failed', reason: failureReason(verdict, result), gone: verdict === 'gone' } }
    : { verdict, next: { kind: 'retry', delayMs } };
}

/** An attempt's outcome in a word or two, for summaries: the status code, or the transport error's class. */
export function outcomeLabel(result: AttemptResult): string {
  return result.statusCode === undefined ? (result.errorClass ?? 'error') : String(result.statusCode);
}

function retryAfter(result: AttemptResult): { retryAfterMs?: number } {
  // Measured from the end of the attempt, a time that replays identically.
  const retryAfterMs = parseRetryAfterMs(result.responseHeaders?.['retry-after'], Date.parse(result.startedAt) + result.durationMs);
  return retryAfterMs === undefined ? {} : { retryAfterMs };
}

function failureReason(verdict: AttemptVerdict, result: AttemptResult): string {
  switch (verdict) {
    case 'gone':
      return GONE_REASON;
    case 'rejected':
      return `not retried: ${outcomeLabel(result)}`;
    default:
      return `retries used up; last: ${outcomeLabel(result)}`;
  }
}
