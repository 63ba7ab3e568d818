import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, test } from 'vitest';
import { createDeliveryActivities, type AttemptRequest } from '../../activities/index.js';
import type { AttemptResult } from '../../domain/delivery.js';
import { grantUsableForMs, sendSpacingMs, type SlotAnswer } from '../../domain/send-slots.js';
import { anEvent, anOAuth2Client, aTarget } from '../support/builders.js';
import { useLoopback } from '../support/loopback.js';

// The entity is scripted here (its answers, and how late they arrive, are what this is about); the receiver is real.

const FIVE_PER_SECOND = { requests: 5, perMs: 1_000 };
const NOW = Date.parse('2026-12-01T12:00:00Z');

const loopback = useLoopback();
const { dispatcher } = loopback;

/**
 * How the entity answers one request: what, and when by the attempt's clock (which only answers move); an answer that
 * throws stands for an entity that could not be asked (a deadline passed, Temporal away).
 */
interface ScriptedAnswer {
  readonly answer: (askedAt: number) => SlotAnswer;
  readonly tookMs: number;
}

// An OAuth2 client whose token endpoint is not what these tests are about: a token is always at hand.
const OAUTH2 = anOAuth2Client('https://auth.example.com/token', 'gateway', 'CLIENT_SECRET');

/**
 * One attempt whose slot requests get `answers` in turn, on a clock that starts at `NOW`; ordinary unless `isLocal`,
 * to an endpoint with OAuth2 if `oauth2`.
 */
async function attemptWith(answers: readonly ScriptedAnswer[], rateTicket?: number, { isLocal = false, oauth2 = false } = {}) {
  const asked: { ticket?: number }[] = [];
  let clock = NOW;
  const activities = createDeliveryActivities({
    dispatcher,
    allowDestinations: ['loopback'],
    userAgent: 'late-grant-test',
    env: { CLIENT_SECRET: 'secret' },
    accessTokens: { get: (_client, _secret, rejected) => Promise.resolve(rejected ? 'fresh-token' : 'first-token') },
    loadEvent: () => Promise.reject(new Error('the event is carried in the request')),
    reserveSendSlot: (_endpointId, request) => {
      asked.push(request.ticket === undefined ? {} : { ticket: request.ticket });
      const scripted = answers[asked.length - 1];
      if (!scripted) return Promise.reject(new Error('asked once too often'));
      clock += scripted.tookMs;
      try {
        return Promise.resolve(scripted.answer(clock - scripted.tookMs));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    now: () => new Date(clock),
  });
  const event = anEvent();
  const request: AttemptRequest = {
    eventId: event.id,
    event,
    attempt: 1,
    target: aTarget(loopback.receiver.url, { rateLimit: FIVE_PER_SECOND, ...(oauth2 ? { auth: OAUTH2 } : {}) }),
    ...(rateTicket === undefined ? {} : { rateTicket }),
  };
  const environment = new MockActivityEnvironment({ workflowExecution: { workflowId: `event-${event.id}`, runId: 'run' }, isLocal });
  const result: AttemptResult = await environment.run((attempt: AttemptRequest) => activities.deliverAttempt(attempt), request);
  return { result, asked, eventId: event.id, endedAt: clock };
}

function sentFor(eventId: string): number {
  return loopback.receiver.requests.filter((request) => request.headers['webhook-id'] === eventId).length;
}

const USABLE_MS = grantUsableForMs(FIVE_PER_SECOND);
/** A grant stamped `offsetMs` after the ask, by the attempt's clock: the entity took that long, or its clock runs ahead. */
const stampedAfterAsk =
  (offsetMs = 0) =>
  (askedAt: number): SlotAnswer => ({ granted: true, grantedAt: askedAt + offsetMs });
const fresh: ScriptedAnswer = { answer: stampedAfterAsk(), tookMs: USABLE_MS };
const late: ScriptedAnswer = { answer: stampedAfterAsk(), tookMs: USABLE_MS + 1 };

describe('a send slot granted too long ago', () => {
  test('is not sent on: the attempt asks again with the same ticket and sends on the fresh grant', async () => {
    const { result, asked, eventId } = await attemptWith([late, fresh], 42);
    expect(result.statusCode).toBe(200);
    expect(asked).toEqual([{ ticket: 42 }, { ticket: 42 }]);
    expect(sentFor(eventId)).toBe(1);
  });

  test('three times over makes the attempt wait like a refused one, holding its ticket, with nothing sent', async () => {
    const { result, asked, eventId, endedAt } = await attemptWith([late, late, late], 42);
    expect(result.throttled).toEqual({ retryAt: new Date(endedAt + sendSpacingMs(FIVE_PER_SECOND)).toISOString(), ticket: 42 });
    expect(result.statusCode).toBeUndefined();
    expect(asked).toHaveLength(3);
    expect(sentFor(eventId)).toBe(0);
  });

  test('without a ticket, gives the waiting attempt one due when it asks again', async () => {
    const { result, endedAt } = await attemptWith([late, late, late]);
    expect(result.throttled?.ticket).toBe(endedAt);
  });

  test('a refusal after a late grant is waited for as the entity said', async () => {
    const { result, eventId } = await attemptWith([late, { answer: () => ({ granted: false, retryAt: NOW + 700 }), tookMs: 5 }]);
    expect(result.throttled).toEqual({ retryAt: new Date(NOW + 700).toISOString(), ticket: NOW + 700 });
    expect(sentFor(eventId)).toBe(0);
  });

  test('a grant that does not say when it was made (an older entity) is sent on', async () => {
    const { result, asked } = await attemptWith([{ answer: () => ({ granted: true }), tookMs: 10 * USABLE_MS }]);
    expect(result.statusCode).toBe(200);
    expect(asked).toHaveLength(1);
  });
});

describe('a grant stamped between the ask and its answer', () => {
  test('is as old as the time since its stamp, not since the ask', async () => {
    // Asked, granted 100 ms later (the entity was busy), answered just within the usable time after the grant.
    const grantedLate: ScriptedAnswer = { answer: stampedAfterAsk(100), tookMs: 100 + USABLE_MS };
    const { result, asked } = await attemptWith([grantedLate]);
    expect(result.statusCode).toBe(200);
    expect(asked).toHaveLength(1);
  });
});

describe('a grant stamped by a clock that disagrees with the attempt’s', () => {
  test('an hour behind the attempt’s clock, a grant answered soon is sent on, not taken as an hour old', async () => {
    const { result, asked } = await attemptWith([{ answer: stampedAfterAsk(-3_600_000), tookMs: 5 }]);
    expect(result.statusCode).toBe(200);
    expect(asked).toHaveLength(1);
  });

  test('behind the attempt’s clock, a grant is late when its answer took too long to come back', async () => {
    const { asked } = await attemptWith([{ answer: stampedAfterAsk(-3_600_000), tookMs: USABLE_MS + 1 }, fresh]);
    expect(asked).toHaveLength(2);
  });

  test('ahead of the attempt’s clock, a grant answered soon is sent on', async () => {
    const { result } = await attemptWith([{ answer: stampedAfterAsk(3_600_000), tookMs: 5 }]);
    expect(result.statusCode).toBe(200);
  });

  test('ahead of the attempt’s clock, a grant counts as old as its round trip, and is late when that is too long', async () => {
    const { asked } = await attemptWith([{ answer: stampedAfterAsk(3_600_000), tookMs: USABLE_MS + 1 }, fresh]);
    expect(asked).toHaveLength(2);
  });
});

describe('an entity that does not answer', () => {
  const unanswered: ScriptedAnswer = {
    answer: () => {
      throw new Error('deadline exceeded');
    },
    tookMs: 2_000,
  };

  test('fails an ordinary attempt, for Temporal to retry, with nothing sent', async () => {
    await expect(attemptWith([unanswered], 42)).rejects.toThrow('deadline exceeded');
  });

  test('brings a local attempt back unsent, holding its ticket, for the workflow to go on as ordinary attempts', async () => {
    // Thrown, the SDK's core would retry it inside the workflow task, even on a stopping worker.
    const { result, eventId, endedAt } = await attemptWith([unanswered], 42, { isLocal: true });
    expect(result.throttled).toEqual({ retryAt: new Date(endedAt + 1_000).toISOString(), ticket: 42, unanswered: true });
    expect(result.statusCode).toBeUndefined();
    expect(sentFor(eventId)).toBe(0);
  });

  test('for the second request after a 401 and a new token, counts as a refusal: the 401 is the attempt’s answer', async () => {
    // Thrown, the attempt would be sent again as if nothing had been, though a request went out.
    loopback.receiver.script({ status: 401, body: 'token revoked' });
    const { result, eventId } = await attemptWith([fresh, unanswered], undefined, { isLocal: true, oauth2: true });
    expect(result).toMatchObject({ statusCode: 401, responseBodyExcerpt: 'token revoked' });
    expect(result.throttled).toBeUndefined();
    expect(sentFor(eventId)).toBe(1);
  });

  test('takes no ticket for a local attempt that held none: one not from the entity could jump its queue', async () => {
    const { result } = await attemptWith([unanswered], undefined, { isLocal: true });
    expect(result.throttled).toStrictEqual({ retryAt: expect.any(String), unanswered: true });
  });
});
