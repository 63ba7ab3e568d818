import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, test } from 'vitest';
import { createDeliveryActivities, type AttemptRequest, type DeliveryActivityDeps } from '../../activities/index.js';
import type { EndpointStatusView } from '../../domain/endpoint-state.js';
import { anEvent, aTarget } from '../support/builders.js';
import { useLoopback } from '../support/loopback.js';

// A worker keeps the status a deleted endpoint's entity last announced, so that a retry of an earlier event is
// cancelled rather than sent. It speaks for deliveries accepted before the deletion only: an endpoint made again under
// the same id starts its status versions anew, and its deliveries must go out.

const loopback = useLoopback();
const DELETED_AT = '2026-12-02T10:00:00.000Z';
const deleted: EndpointStatusView = { status: 'disabled', statusReason: 'deleted', statusVersion: 3, deletedAt: DELETED_AT };

/** Activities sending to the loopback receiver, with the event carried in each request, and the statuses given. */
function activitiesKnowing(statuses: Pick<DeliveryActivityDeps, 'endpointStatus' | 'endpointDeletion' | 'endpointStatusesRead'>) {
  return createDeliveryActivities({
    dispatcher: loopback.dispatcher,
    allowDestinations: ['loopback'],
    userAgent: 'deleted-endpoint-test',
    env: {},
    loadEvent: () => Promise.reject(new Error('the event is carried in the request')),
    ...statuses,
  });
}

const activities = activitiesKnowing({ endpointStatus: () => deleted });

/** A retry (the second attempt) of a fresh event, carried in the request. */
function attemptWith(
  deliveryActivities: ReturnType<typeof createDeliveryActivities>,
  { acceptedAt, knownStatusVersion = 1 }: { readonly acceptedAt: string | undefined; readonly knownStatusVersion?: number },
) {
  const event = anEvent();
  const request: AttemptRequest = {
    eventId: event.id,
    event,
    attempt: 2,
    knownStatusVersion,
    target: aTarget(loopback.receiver.url),
    ...(acceptedAt ? { acceptedAt } : {}),
  };
  const environment = new MockActivityEnvironment({ workflowExecution: { workflowId: `event/${event.id}`, runId: 'run' } });
  return environment.run((input: AttemptRequest) => deliveryActivities.deliverAttempt(input), request);
}

const attemptAcceptedAt = (acceptedAt: string | undefined) => attemptWith(activities, { acceptedAt });

describe('an attempt to an endpoint deleted while the worker ran', () => {
  test('is not sent for an event accepted before the deletion', async () => {
    const before = loopback.receiver.requests.length;
    expect(await attemptAcceptedAt('2026-12-02T09:59:59.000Z')).toMatchObject({
      endpointStatus: 'disabled',
      endpointStatusReason: 'deleted',
    });
    expect(loopback.receiver.requests).toHaveLength(before);
  });

  test.each([
    ['accepted after it, by an endpoint made again under the id', '2026-12-02T10:00:01.000Z'],
    ['whose acceptance the request does not say', undefined],
  ])('is sent for an event %s', async (_name, acceptedAt) => {
    const before = loopback.receiver.requests.length;
    expect(await attemptAcceptedAt(acceptedAt)).toMatchObject({ statusCode: 200 });
    expect(loopback.receiver.requests).toHaveLength(before + 1);
  });
});

// An endpoint made again under a deleted one's id has status versions of its own, which its releases carry: none of
// them may let a delivery routed to the deleted endpoint through to the new one (with the deleted one's URL).
describe('an attempt to an endpoint deleted and made again under the same id', () => {
  const remade: EndpointStatusView = { status: 'active', statusVersion: 1 };
  const activitiesAfterRemaking = activitiesKnowing({ endpointStatus: () => remade, endpointDeletion: () => deleted });
  const attempt = (acceptedAt: string, knownStatusVersion: number) =>
    attemptWith(activitiesAfterRemaking, { acceptedAt, knownStatusVersion });

  test('is not sent for an event accepted before the deletion, even released by the new entity with a higher version', async () => {
    const before = loopback.receiver.requests.length;
    for (const knownStatusVersion of [1, 7]) {
      expect(await attempt('2026-12-02T09:59:59.000Z', knownStatusVersion)).toMatchObject({
        endpointStatus: 'disabled',
        endpointStatusReason: 'deleted',
      });
    }
    expect(loopback.receiver.requests).toHaveLength(before);
  });

  test('is sent for an event accepted after it, routed to the new endpoint', async () => {
    const before = loopback.receiver.requests.length;
    expect(await attempt('2026-12-02T10:00:01.000Z', 1)).toMatchObject({ statusCode: 200 });
    expect(loopback.receiver.requests).toHaveLength(before + 1);
  });
});

// A worker started while an endpoint was deleted learns of the deletion from a listing a moment after routing is
// ready: a retry due meanwhile must not be sent to it.
describe('an attempt made before a started worker has read the deletions', () => {
  function activitiesReadingDeletions(statusesRead: Promise<void>) {
    return activitiesKnowing({
      // What the registry says once the listing is read; before, it would not know of the deletion.
      endpointStatus: () => (read ? deleted : undefined),
      endpointStatusesRead: statusesRead,
    });
  }
  let read = false;

  function attempt(activities: ReturnType<typeof createDeliveryActivities>, isLocal: boolean, activityAttempt = 1) {
    const event = anEvent();
    const request: AttemptRequest = {
      eventId: event.id,
      event,
      attempt: isLocal ? 1 : 2,
      knownStatusVersion: 1,
      acceptedAt: '2026-12-02T09:59:59.000Z',
      target: aTarget(loopback.receiver.url),
    };
    const environment = new MockActivityEnvironment({
      isLocal,
      attempt: activityAttempt,
      workflowExecution: { workflowId: `event/${event.id}`, runId: 'run' },
    });
    return environment.run((input: AttemptRequest) => activities.deliverAttempt(input), request);
  }

  test('waits for them, then is held like any attempt to a deleted endpoint', async () => {
    read = false;
    let markRead: () => void = () => {};
    const activities = activitiesReadingDeletions(new Promise<void>((resolve) => (markRead = resolve)));
    const before = loopback.receiver.requests.length;
    const pending = attempt(activities, false);
    setTimeout(() => {
      read = true;
      markRead();
    }, 200);
    expect(await pending).toMatchObject({ endpointStatus: 'disabled', endpointStatusReason: 'deleted' });
    expect(loopback.receiver.requests).toHaveLength(before);
  });

  test('fails unsent when they are still unread, so that Temporal runs it again', async () => {
    read = false;
    const activities = activitiesReadingDeletions(new Promise<void>(() => {}));
    const before = loopback.receiver.requests.length;
    for (const activityAttempt of [1, 10]) {
      await expect(attempt(activities, false, activityAttempt)).rejects.toMatchObject({
        type: 'EndpointStatusesUnread',
        nonRetryable: false,
        nextRetryDelay: '1s',
        category: 'BENIGN',
      });
    }
    expect(loopback.receiver.requests).toHaveLength(before);
  });

  test('goes on without them after ten tries (the eleventh), rather than stop the delivery for as long as Temporal fails the listing', async () => {
    read = false;
    const activities = activitiesReadingDeletions(new Promise<void>(() => {}));
    const before = loopback.receiver.requests.length;
    expect(await attempt(activities, false, 11)).toMatchObject({ statusCode: 200 });
    expect(loopback.receiver.requests).toHaveLength(before + 1);
  });

  test('goes on when it is a local first attempt, which does not wait for them', async () => {
    read = false;
    const activities = activitiesReadingDeletions(new Promise<void>(() => {}));
    const before = loopback.receiver.requests.length;
    expect(await attempt(activities, true)).toMatchObject({ statusCode: 200 });
    expect(loopback.receiver.requests).toHaveLength(before + 1);
  });
});
