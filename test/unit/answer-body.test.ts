import diagnosticsChannel from 'node:diagnostics_channel';
import { ActivityCancellationDetails } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, test } from 'vitest';
import { createDeliveryActivities, type AttemptRequest } from '../../activities/index.js';
import type { AttemptResult } from '../../domain/delivery.js';
import { anEvent, aTarget } from '../support/builders.js';
import { useLoopback } from '../support/loopback.js';

// A receiver's status is its answer: the body after it only fills the excerpt. An answer whose body is cut off (the
// attempt's time runs out, the worker stops) is still recorded, since sending the request again would repeat it to a
// receiver that has already said it took it. The receiver is real; the activity's context is the SDK's mock.

const loopback = useLoopback();
const { dispatcher } = loopback;

const activities = createDeliveryActivities({
  dispatcher,
  allowDestinations: ['loopback'],
  userAgent: 'answer-body-test',
  env: {},
  loadEvent: () => Promise.reject(new Error('the event is carried in the request')),
});

/** One ordinary attempt in `environment`, its event carried, to the receiver with `timeoutMs`. */
function attempt(environment: MockActivityEnvironment, timeoutMs: number): Promise<AttemptResult> {
  const event = anEvent();
  const request: AttemptRequest = { eventId: event.id, event, attempt: 1, target: aTarget(loopback.receiver.url, { timeoutMs }) };
  return environment.run((input: AttemptRequest) => activities.deliverAttempt(input), request);
}

const anEnvironment = () => new MockActivityEnvironment({ workflowExecution: { workflowId: 'event/body', runId: 'run' } });

describe('an answer whose body is cut off', () => {
  test('by the attempt’s timeout is recorded with its status, not as a timeout', async () => {
    // Three seconds to connect and get the status, even on a loaded machine; the body would take ten.
    loopback.receiver.script({ status: 200, body: 'accepted', bodyDelayMs: 10_000 });
    const result = await attempt(anEnvironment(), 3_000);
    expect(result).toMatchObject({ statusCode: 200 });
    expect(result.errorClass).toBeUndefined();
    expect(result.responseBodyExcerpt).toBeUndefined();
  }, 15_000);

  test('by a stopping worker is recorded with its status, so that no other worker sends it again', async () => {
    loopback.receiver.script({ status: 202, body: 'queued', bodyDelayMs: 3_000 });
    const environment = anEnvironment();
    // The worker stops once the status and headers are in, while the body is still to come: on the next turn of the
    // event loop, once the request's promise has resolved with them (undici tells of the headers just before).
    const stop = (): void => environment.cancel('WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true }));
    const stopOnHeaders = (): void => void setImmediate(stop);
    diagnosticsChannel.subscribe('undici:request:headers', stopOnHeaders);
    try {
      const result = await attempt(environment, 10_000);
      expect(environment.context.cancellationSignal.aborted).toBe(true);
      expect(result).toMatchObject({ statusCode: 202 });
      expect(result.errorClass).toBeUndefined();
    } finally {
      diagnosticsChannel.unsubscribe('undici:request:headers', stopOnHeaders);
    }
  });

  test('keeps what of the body arrived as the excerpt when it is whole', async () => {
    loopback.receiver.script({ status: 200, body: 'all of it', bodyDelayMs: 50 });
    const result = await attempt(anEnvironment(), 5_000);
    expect(result).toMatchObject({ statusCode: 200, responseBodyExcerpt: 'all of it' });
  });
});
