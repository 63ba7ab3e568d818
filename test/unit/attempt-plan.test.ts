import { describe, expect, test } from 'vitest';
import {
  DELIVERY_VERSION,
  FAST_PATH_MAX_TARGETS,
  INLINE_EVENT_MAX_BYTES,
  planAttempt,
  WIDE_FAN_OUT_COPIES_MAX_BYTES,
  type AttemptCircumstances,
} from '../../domain/attempt-plan.js';

const first: AttemptCircumstances = {
  version: DELIVERY_VERSION,
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
    ['after a local attempt found the rate limit unanswering, an ordinary activity', { slotUnanswered: true }, false, true],
    ['after such an attempt in version 5, a local one again, as its workers replay it', { version: 5, slotUnanswered: true }, true, true],
    ['after a local attempt failed, an ordinary activity for the same attempt', { localFailed: true }, false, true],
    [
      'after a local attempt failed, a large event is read back',
      { localFailed: true, eventBytes: INLINE_EVENT_MAX_BYTES + 1 },
      false,
      false,
    ],
    ['after such a failure in version 6, a local one again: the SDK retried it', { version: 6, localFailed: true }, true, true],
    ['a retry of a large event reads it back', { attempt: 2, eventBytes: INLINE_EVENT_MAX_BYTES + 1 }, false, false],
    ['a local first attempt carries even a large event: local inputs are not stored', { eventBytes: 200_000 }, true, true],
    ['a first attempt to each of a wide fan-out runs locally, with the event', { targets: 100 }, true, true],
    ['a retry to each of a wide fan-out reads the event back', { targets: 100, attempt: 2 }, false, false],
    ['after a hold in a wide fan-out, an ordinary activity that carries a small event', { targets: 100, heldBefore: true }, false, true],
    [
      'a first attempt of a wide fan-out of version 3 is an ordinary activity that carries a small event',
      { version: 3, targets: 100 },
      false,
      true,
    ],
    [
      'a wide fan-out whose copies would pass the limit reads the event back',
      { targets: 100, heldBefore: true, eventBytes: WIDE_FAN_OUT_COPIES_MAX_BYTES / 100 + 1 },
      false,
      false,
    ],
    ['a wide fan-out of version 2 reads the event back', { version: 2, targets: FAST_PATH_MAX_TARGETS + 1 }, false, false],
    ['a small fan-out of version 2 carries a small event', { version: 2, attempt: 2 }, false, true],
    ['a delivery of version 1 runs as it always did', { version: 1 }, false, false],
  ])('%s', (_name, circumstances, local, carryEvent) => {
    expect(planAttempt({ ...first, ...circumstances })).toEqual({ local, carryEvent });
  });
});
