import { describe, expect, test } from 'vitest';
import { applyHealthReport, EMPTY_HEALTH } from '../../domain/endpoint-state.js';

const T = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

describe('applyHealthReport', () => {
  test('counts, and starts the failing clock at the first failure', () => {
    const health = applyHealthReport(EMPTY_HEALTH, {
      delivered: 0,
      failed: 2,
      lastFailureAt: T(2),
      failedSinceLastSuccess: 2,
      firstFailureSinceLastSuccessAt: T(1),
    });
    expect(health).toEqual({ delivered: 0, failed: 2, consecutiveFailures: 2, lastFailureAt: T(2), failingSince: T(1) });
  });

  test('keeps the failing clock running across reports without a success', () => {
    const first = applyHealthReport(EMPTY_HEALTH, {
      delivered: 0,
      failed: 1,
      lastFailureAt: T(1),
      failedSinceLastSuccess: 1,
      firstFailureSinceLastSuccessAt: T(1),
    });
    const second = applyHealthReport(first, {
      delivered: 0,
      failed: 3,
      lastFailureAt: T(9),
      failedSinceLastSuccess: 3,
      firstFailureSinceLastSuccessAt: T(5),
    });
    expect(second).toMatchObject({ failed: 4, consecutiveFailures: 4, failingSince: T(1), lastFailureAt: T(9) });
  });

  test('a success stops the clock; failures after it start a new one', () => {
    const failing = applyHealthReport(EMPTY_HEALTH, {
      delivered: 0,
      failed: 1,
      lastFailureAt: T(1),
      failedSinceLastSuccess: 1,
      firstFailureSinceLastSuccessAt: T(1),
    });
    const recovered = applyHealthReport(failing, { delivered: 1, failed: 0, lastSuccessAt: T(3), failedSinceLastSuccess: 0 });
    expect(recovered).toEqual({ delivered: 1, failed: 1, consecutiveFailures: 0, lastSuccessAt: T(3), lastFailureAt: T(1) });
    const again = applyHealthReport(recovered, {
      delivered: 1,
      failed: 1,
      lastSuccessAt: T(4),
      lastFailureAt: T(6),
      failedSinceLastSuccess: 1,
      firstFailureSinceLastSuccessAt: T(6),
    });
    expect(again).toMatchObject({ consecutiveFailures: 1, failingSince: T(6), lastSuccessAt: T(4) });
  });
});
