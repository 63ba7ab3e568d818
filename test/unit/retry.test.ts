import { describe, expect, test } from 'vitest';
import { nextRetryDelayMs, parseRetryAfterMs, STANDARD_RETRY_SCHEDULE_MS, type RetryPolicy } from '../../domain/retry.js';

const standard: RetryPolicy = { jitter: 0, retryAfterMaxMs: 3_600_000 };
const opsKnight: RetryPolicy = { scheduleMs: [60_000, 300_000, 900_000], jitter: 0, retryAfterMaxMs: 3_600_000 };
const exponential: RetryPolicy = {
  exponential: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 10_000, maximumAttempts: 6 },
  jitter: 0,
  retryAfterMaxMs: 60_000,
};
const at = (attempt: number, extra: { elapsedMs?: number; retryAfterMs?: number; random?: number } = {}) => ({
  attempt,
  elapsedMs: extra.elapsedMs ?? 0,
  random: extra.random ?? 0.5,
  ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
});

describe('nextRetryDelayMs', () => {
  test('follows the Standard Webhooks schedule by default, then stops after the 10th attempt', () => {
    const delays = Array.from({ length: 10 }, (_, index) => nextRetryDelayMs(standard, at(index + 1)));
    expect(delays).toEqual([...STANDARD_RETRY_SCHEDULE_MS, undefined]);
  });

  test('follows an explicit schedule: 1 min, 5 min, 15 min, then no more', () => {
    expect([1, 2, 3, 4].map((attempt) => nextRetryDelayMs(opsKnight, at(attempt)))).toEqual([60_000, 300_000, 900_000, undefined]);
  });

  test('backs off exponentially up to the maximum interval and the maximum attempts', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => nextRetryDelayMs(exponential, at(attempt)))).toEqual([
      1_000,
      2_000,
      4_000,
      8_000,
      10_000,
      undefined,
    ]);
  });

  test.each([
    [0, 54_000],
    [0.5, 60_000],
    [0.999_999, 66_000],
  ])('moves a delay by at most the jitter fraction (random %f gives %i)', (random, expected) => {
    expect(nextRetryDelayMs({ ...opsKnight, jitter: 0.1 }, at(1, { random }))).toBe(expected);
  });

  test('follows Retry-After instead of the schedule, up to its cap', () => {
    expect(nextRetryDelayMs(opsKnight, at(1, { retryAfterMs: 2_000 }))).toBe(2_000);
    expect(nextRetryDelayMs(exponential, at(1, { retryAfterMs: 7_200_000 }))).toBe(60_000);
  });

  test('does not let Retry-After extend the number of attempts', () => {
    expect(nextRetryDelayMs(opsKnight, at(4, { retryAfterMs: 1_000 }))).toBeUndefined();
  });

  test('stops when the next attempt would start after the deadline', () => {
    const policy = { ...opsKnight, deadlineMs: 400_000 };
    expect(nextRetryDelayMs(policy, at(2, { elapsedMs: 60_000 }))).toBe(300_000);
    expect(nextRetryDelayMs(policy, at(2, { elapsedMs: 120_000 }))).toBeUndefined();
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  test.each([
    ['2', 2_000],
    ['0', 0],
    [' 120 ', 120_000],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
  ])('%j is %i ms', (value, expected) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });

  test.each([undefined, '', 'soon', '-5', '1.5'])('%j is not a delay', (value) => {
    expect(parseRetryAfterMs(value, now)).toBeUndefined();
  });
});
