import { describe, expect, test } from 'vitest';
import { statusStoppingDelivery, type EndpointStatusView } from '../../domain/endpoint-state.js';

// Which status an attempt obeys: the worker's cached one unless the delivery was told of a newer, and a deletion for
// every delivery accepted before it, whatever runs under the id since.

const DELETED_AT = '2026-12-02T10:00:00.000Z';
const BEFORE = '2026-12-02T09:59:59.000Z';
const AFTER = '2026-12-02T10:00:01.000Z';
const deletion: EndpointStatusView = { status: 'disabled', statusReason: 'deleted', statusVersion: 3, deletedAt: DELETED_AT };
const paused: EndpointStatusView = { status: 'paused', statusReason: 'deploying', statusVersion: 4 };
const active: EndpointStatusView = { status: 'active', statusVersion: 2 };

describe('the status that stops a delivery', () => {
  test.each([
    ['a paused endpoint, as new as what the delivery was told', { knownStatusVersion: 4 }, paused, undefined, paused],
    ['a paused endpoint older than a release the delivery was told of', { knownStatusVersion: 5 }, paused, undefined, undefined],
    ['an active endpoint', { knownStatusVersion: 0 }, active, undefined, undefined],
    ['no status read yet', { knownStatusVersion: 0 }, undefined, undefined, undefined],
    ['a deletion after the acceptance', { acceptedAt: BEFORE, knownStatusVersion: 1 }, deletion, deletion, deletion],
    [
      'a deletion after the acceptance, against a newer release',
      { acceptedAt: BEFORE, knownStatusVersion: 9 },
      deletion,
      deletion,
      deletion,
    ],
    ['a deletion before the acceptance, with no entity since', { acceptedAt: AFTER, knownStatusVersion: 0 }, deletion, deletion, undefined],
    ['a deletion, when the acceptance is not known', { knownStatusVersion: 0 }, deletion, deletion, undefined],
    ['a deletion after the acceptance, the id made again since', { acceptedAt: BEFORE, knownStatusVersion: 9 }, active, deletion, deletion],
    ['the id made again since an earlier deletion, now paused', { acceptedAt: AFTER, knownStatusVersion: 1 }, paused, deletion, paused],
    ['the id made again since an earlier deletion, active', { acceptedAt: AFTER, knownStatusVersion: 1 }, active, deletion, undefined],
  ] as const)('%s', (_name, delivery, current, lastDeletion, expected) => {
    expect(statusStoppingDelivery(delivery, current, lastDeletion)).toEqual(expected);
  });

  test('takes the current status as the last deletion when none is given apart', () => {
    expect(statusStoppingDelivery({ acceptedAt: BEFORE, knownStatusVersion: 0 }, deletion)).toBe(deletion);
    expect(statusStoppingDelivery({ acceptedAt: AFTER, knownStatusVersion: 0 }, deletion)).toBeUndefined();
  });
});
