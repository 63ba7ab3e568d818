import { describe, expect, test } from 'vitest';
import { applyHealthReport, EMPTY_HEALTH, type EndpointHealth, type HealthReport } from '../../domain/endpoint-state.js';
import { countRecentAttempts, minuteOf } from '../../domain/recent-attempts.js';

const NOW = new Date('2026-01-01T00:01:00.000Z');
const apply = (health: EndpointHealth, report: HealthReport): EndpointHealth => applyHealthReport(health, report, NOW);

const T = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

describe('applyHealthReport', () => {
  test('counts, and starts the failing clock at the first failure', () => {
    const health = apply(EMPTY_HEALTH, {
      delivered: 0,
      failed: 2,
      lastFailureAt: T(2),
      failedSinceLastSuccess: 2,
      firstFailureSinceLastSuccessAt: T(1),
    });
    expect(health).toEqual({ delivered: 0, failed: 2, consecutiveFailures: 2, lastFailureAt: T(2), failingSince: T(1) });
  });

  test('keeps the failing clock running across reports without a success', () => {
    const first = apply(EMPTY_HEALTH, {
      delivered: 0,
      failed: 1,
      lastFailureAt: T(1),
      failedSinceLastSuccess: 1,
      firstFailureSinceLastSuccessAt: T(1),
    });
    const second = apply(first, {
      delivered: 0,
      failed: 3,
      lastFailureAt: T(9),
      failedSinceLastSuccess: 3,
      firstFailureSinceLastSuccessAt: T(5),
    });
    expect(second).toMatchObject({ failed: 4, consecutiveFailures: 4, failingSince: T(1), lastFailureAt: T(9) });
  });

  test('a success stops the clock; failures after it start a new one', () => {
    const failing = apply(EMPTY_HEALTH, {
      delivered: 0,
      failed: 1,
      lastFailureAt: T(1),
      failedSinceLastSuccess: 1,
      firstFailureSinceLastSuccessAt: T(1),
    });
    const recovered = apply(failing, { delivered: 1, failed: 0, lastSuccessAt: T(3), failedSinceLastSuccess: 0 });
    expect(recovered).toEqual({ delivered: 1, failed: 1, consecutiveFailures: 0, lastSuccessAt: T(3), lastFailureAt: T(1) });
    const again = apply(recovered, {
      delivered: 1,
      failed: 1,
      lastSuccessAt: T(4),
      lastFailureAt: T(6),
      failedSinceLastSuccess: 1,
      firstFailureSinceLastSuccessAt: T(6),
    });
    expect(again).toMatchObject({ consecutiveFailures: 1, failingSince: T(6), lastSuccessAt: T(4) });
  });

  test('keeps the reason of the latest failure, and not that of an older one reported late', () => {
    const failed = apply(EMPTY_HEALTH, {
      delivered: 0,
      failed: 1,
      lastFailureAt: T(5),
      lastFailureReason: 'HTTP 503',
      failedSinceLastSuccess: 1,
    });
    expect(failed.lastFailureReason).toBe('HTTP 503');
    const late = apply(failed, { delivered: 0, failed: 1, lastFailureAt: T(2), lastFailureReason: 'timeout', failedSinceLastSuccess: 1 });
    expect(late.lastFailureReason).toBe('HTTP 503');
    const newer = apply(late, {
      delivered: 0,
      failed: 1,
      lastFailureAt: T(9),
      lastFailureReason: 'connection_refused',
      failedSinceLastSuccess: 1,
    });
    expect(newer.lastFailureReason).toBe('connection_refused');
  });

  test('counts attempts by the minute for the health view, and leaves states without them as they were', () => {
    expect(apply(EMPTY_HEALTH, { delivered: 1, failed: 0, lastSuccessAt: T(1), failedSinceLastSuccess: 0 })).not.toHaveProperty('recent');
    const health = apply(EMPTY_HEALTH, {
      delivered: 3,
      failed: 1,
      lastSuccessAt: T(30),
      failedSinceLastSuccess: 0,
      attemptsByMinute: [[minuteOf(NOW), 3, 1]],
    });
    expect(countRecentAttempts(health.recent ?? { minutes: [], hours: [] }, NOW, 5)).toEqual({ delivered: 3, failed: 1 });
  });
});
