import { describe, expect, test } from 'vitest';
import { attemptsAtMost, endpointIdsBytes, fitsOnePart, partitionTargets, partLimitsFor } from '../../domain/fanout.js';
import type { RetryPolicy } from '../../domain/retry.js';

const targets = (count: number, idLength = 6) =>
  Array.from({ length: count }, (_, index) => ({ endpointId: `e${String(index).padStart(idLength - 1, '0')}` }));

describe('partitionTargets', () => {
  test('keeps a small fan-out in one part', () => {
    expect(partitionTargets(targets(100))).toHaveLength(1);
    expect(partitionTargets([])).toEqual([]);
  });

  test('splits 5,000 endpoints into parts of at most 100, in order, losing none', () => {
    const all = targets(5_000);
    const parts = partitionTargets(all);
    expect(parts).toHaveLength(50);
    expect(parts.every((part) => part.length <= 100)).toBe(true);
    expect(parts.flat()).toEqual(all);
  });

  test('makes parts smaller when long ids would not fit one search attribute value', () => {
    const parts = partitionTargets(targets(300, 90));
    for (const part of parts) expect(endpointIdsBytes(part.map((t) => t.endpointId))).toBeLessThanOrEqual(1_800);
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.flat()).toHaveLength(300);
  });

  test('fitsOnePart, which the API uses to decide whether the event lists its endpoint ids, stops at 100 ids and 1,800 bytes', () => {
    expect([0, 1, 99, 100, 101, 250].map((count) => fitsOnePart(targets(count)))).toEqual([true, true, true, true, false, false]);
    // 19 ids of 90 characters come to 1,768 bytes as JSON, 20 to 1,861.
    expect(fitsOnePart(targets(19, 90))).toBe(true);
    expect(fitsOnePart(targets(20, 90))).toBe(false);
  });

  test('honours custom limits', () => {
    expect(partitionTargets(targets(7), { maxTargets: 3, maxIdsBytes: 1_800 }).map((part) => part.length)).toEqual([3, 3, 1]);
  });
});

const exponential = (maximumAttempts: number): RetryPolicy => ({
  exponential: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 3_600_000, maximumAttempts },
  jitter: 0,
  retryAfterMaxMs: 60_000,
});
const withRetry = (count: number, retry: RetryPolicy | undefined) =>
  targets(count).map((target) => ({ ...target, ...(retry ? { retry } : {}) }));

describe('parts bounded by attempts, so that no part outgrows its history', () => {
  test.each([
    ['the Standard Webhooks schedule', undefined, 10],
    ['a schedule of three retries', { scheduleMs: [1, 2, 3], jitter: 0, retryAfterMaxMs: 1 }, 4],
    ['no retry at all', { scheduleMs: [], jitter: 0, retryAfterMaxMs: 1 }, 1],
    ['exponential backoff', exponential(100), 100],
  ])('counts the attempts %s allows, the first included', (_name, retry, attempts) => {
    expect(attemptsAtMost(retry)).toBe(attempts);
  });

  test('leaves the limits out for ordinary policies: 100 endpoints on the standard schedule stay one part', () => {
    expect(partLimitsFor(withRetry(100, undefined))).toBeUndefined();
    expect(partLimitsFor(withRetry(5_000, undefined))).toBeUndefined();
    // One endpoint that may try 100 times among 99 that try 10: 1,090 attempts, under the bound.
    expect(partLimitsFor([...withRetry(1, exponential(100)), ...withRetry(99, undefined)])).toBeUndefined();
  });

  test('splits 100 endpoints that may each try 100 times into parts of at most 1,666 attempts, in order, losing none', () => {
    const all = withRetry(100, exponential(100));
    const limits = partLimitsFor(all);
    expect(limits).toEqual({ maxTargets: 100, maxIdsBytes: 1_800, maxAttempts: 1_666 });
    const parts = partitionTargets(all, limits);
    expect(parts.map((part) => part.length)).toEqual([16, 16, 16, 16, 16, 16, 4]);
    expect(parts.flat()).toEqual(all);
    expect(fitsOnePart(all, limits)).toBe(false);
    expect(fitsOnePart(all)).toBe(true);
  });

  test('counts each endpoint at its own policy', () => {
    const mixed = [...withRetry(10, exponential(100)), ...withRetry(100, undefined)].map((target, index) => ({
      ...target,
      endpointId: `m${index}`,
    }));
    const parts = partitionTargets(mixed, partLimitsFor(mixed));
    const attempts = parts.map((part) => part.reduce((sum, target) => sum + attemptsAtMost(target.retry), 0));
    expect(Math.max(...attempts)).toBeLessThanOrEqual(1_666);
    // The ten that may try 100 times and 66 of the others fill the first part (1,660 attempts).
    expect(parts.map((part) => part.length)).toEqual([76, 34]);
  });
});
