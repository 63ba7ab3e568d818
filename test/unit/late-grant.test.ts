import { MockActivityEnvironment } from '@temporalio/testing';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDeliveryActivities, type AttemptRequest } from '../../activities/index.js';
import type { AttemptResult } from '../../domain/delivery.js';
import { grantUsableForMs, sendSpacingMs, type SlotAnswer } from '../../domain/send-slots.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { anEvent, aTarget } from '../support/builders.js';

// The entity is scripted here (its answers, and how late they arrive, are what this is about); the receiver is real.

const FIVE_PER_SECOND = { requests: 5, perMs: 1_000 };
const NOW = Date.parse('2026-12-01T12:00:00Z');

let receiver: Receiver;
const dispatcher = new Agent({ connections: 4 });

beforeAll(async () => {
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await dispatcher.close();
});

/** One attempt whose slot requests get `answers` in turn, as of a clock standing at `NOW`. */
async function attemptWith(answers: readonly SlotAnswer[], rateTicket?: number) {
  const asked: { ticket?: number }[] = [];
  const activities = createDeliveryActivities({
    dispatcher,
    allowDestinations: ['loopback'],
    userAgent: 'late-grant-test',
    env: {},
    loadEvent: () => Promise.reject(new Error('the event is carried in the request')),
    reserveSendSlot: (_endpointId, request) => {
      asked.push(request.ticket === undefined ? {} : { ticket: request.ticket });
      const answer = answers[asked.length - 1];
      return answer ? Promise.resolve(answer) : Promise.reject(new Error('asked once too often'));
    },
    now: () => new Date(NOW),
  });
  const event = anEvent();
  const request: AttemptRequest = {
    eventId: event.id,
    event,
    attempt: 1,
    target: aTarget(receiver.url, { rateLimit: FIVE_PER_SECOND }),
    ...(rateTicket === undefined ? {} : { rateTicket }),
  };
  const environment = new MockActivityEnvironment({ workflowExecution: { workflowId: `event-${event.id}`, runId: 'run' } });
  const result: AttemptResult = await environment.run((attempt: AttemptRequest) => activities.deliverAttempt(attempt), request);
  return { result, asked, eventId: event.id };
}

function sentFor(eventId: string): number {
  return receiver.requests.filter((request) => request.headers['webhook-id'] === eventId).length;
}

describe('a send slot granted too long ago', () => {
  const fresh: SlotAnswer = { granted: true, grantedAt: NOW - grantUsableForMs(FIVE_PER_SECOND) };
  const late: SlotAnswer = { granted: true, grantedAt: NOW - grantUsableForMs(FIVE_PER_SECOND) - 1 };

  test('is not sent on: the attempt asks again with the same ticket and sends on the fresh grant', async () => {
    const { result, asked, eventId } = await attemptWith([late, fresh], 42);
    expect(result.statusCode).toBe(200);
    expect(asked).toEqual([{ ticket: 42 }, { ticket: 42 }]);
    expect(sentFor(eventId)).toBe(1);
  });

  test('three times over makes the attempt wait like a refused one, holding its ticket, with nothing sent', async () => {
    const { result, asked, eventId } = await attemptWith([late, late, late], 42);
    expect(result.throttled).toEqual({ retryAt: new Date(NOW + sendSpacingMs(FIVE_PER_SECOND)).toISOString(), ticket: 42 });
    expect(result.statusCode).toBeUndefined();
    expect(asked).toHaveLength(3);
    expect(sentFor(eventId)).toBe(0);
  });

  test('without a ticket, gives the waiting attempt one due when it asks again', async () => {
    const { result } = await attemptWith([late, late, late]);
    expect(result.throttled?.ticket).toBe(NOW);
  });

  test('a refusal after a late grant is waited for as the entity said', async () => {
    const { result, eventId } = await attemptWith([late, { granted: false, retryAt: NOW + 700 }]);
    expect(result.throttled).toEqual({ retryAt: new Date(NOW + 700).toISOString(), ticket: NOW + 700 });
    expect(sentFor(eventId)).toBe(0);
  });

  test('a grant that does not say when it was made (an older entity) is sent on', async () => {
    const { result, asked } = await attemptWith([{ granted: true }]);
    expect(result.statusCode).toBe(200);
    expect(asked).toHaveLength(1);
  });
});
