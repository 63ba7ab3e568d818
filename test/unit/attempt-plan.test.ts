import { describe, expect, test } from 'vitest';
import { FAST_PATH_MAX_TARGETS, INLINE_EVENT_MAX_BYTES, planAttempt, type AttemptCircumstances } from '../../domain/attempt-plan.js';

const first: AttemptCircumstances = {
  version: 2,
  attempt: 1,
  heldBefore: false,
  firstAttemptAsActivity: false,
  targets: 1,
  eventBytes: 200,
};

describe('planning an attempt', () => {
  test.each<[string, Partial<AttemptCircumstances>, boolean, boolean]>([
    ['a first attempt runs in the workflow task, with the event', {}, true, true],
    ['a first attempt to each of a small fan-out runs locally too', { targets: FAST_PATH_MAX_TARGETS }, true, true],
    ['a retry is an ordinary activity that carries a small event', { attempt: 2 }, false, true],
    ['after a hold, an ordinary activity', { heldBefore: true }, false, true],
    ['to an endpoint routing found failing, an ordinary activity', { firstAttemptAsActivity: true }, false, true],
    ['a retry of a large event reads it back', { attempt: 2, eventBytes: INLINE_EVENT_MAX_BYTES + 1 }, false, false],
    ['a local first attempt carries even a large event: local inputs are not stored', { eventBytes: 200_000 }, true, true],
    ['a large fan-out runs ordinary activities that read the event back', { targets: FAST_PATH_MAX_TARGETS + 1 }, false, false],
    ['a delivery of version 1 runs as it always did', { version: 1 }, false, false],
  ])('%s', (_name, circumstances, local, carryEvent) => {
    expect(planAttempt({ ...first, ...circumstances })).toEqual({ local, carryEvent });
  });
});
