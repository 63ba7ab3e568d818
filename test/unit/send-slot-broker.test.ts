import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { brokerOver, type AskEntity } from '../../gateway/send-slots.js';

// The broker between attempts and an endpoint's entity, over a scripted entity: what is asked, and how many at once.

/** An entity that grants every slot after `answerMs`, and counts how many requests it has in flight at once. */
function scriptedEntity(answerMs: number) {
  const seen = { calls: 0, inFlight: 0, mostInFlight: 0 };
  const ask: AskEntity = async () => {
    seen.calls++;
    seen.inFlight++;
    seen.mostInFlight = Math.max(seen.mostInFlight, seen.inFlight);
    try {
      await delay(answerMs);
      return { granted: true };
    } finally {
      seen.inFlight--;
    }
  };
  return { ask, seen };
}

describe('the send slot broker', () => {
  test('asks one entity at most 4 at a time from a burst of 50, and answers them all', async () => {
    const entity = scriptedEntity(5);
    const broker = brokerOver(entity.ask, { timeoutMs: 10_000 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => broker.reserve('burst', {})));
    expect(answers.every((answer) => answer.granted)).toBe(true);
    expect(entity.seen).toMatchObject({ calls: 50, mostInFlight: 4 });
  });

  test('does not send a request whose deadline passed while it queued: its slot would go to nobody', async () => {
    const entity = scriptedEntity(200);
    const broker = brokerOver(entity.ask, { perEndpoint: 1 });
    const first = broker.reserve('one-lane', {});
    await expect(broker.reserve('one-lane', { timeoutMs: 20 })).rejects.toThrow(
      'no send slot from the entity of endpoint one-lane in time',
    );
    await expect(first).resolves.toEqual({ granted: true });
    expect(entity.seen.calls).toBe(1);
  });

  test('queues per endpoint: another endpoint’s request does not wait behind a slow one', async () => {
    let answerSlow = (): void => undefined;
    const slowAnswered = new Promise<void>((resolve) => (answerSlow = resolve));
    const broker = brokerOver(
      async (endpointId) => {
        if (endpointId === 'slow') await slowAnswered;
        return { granted: true };
      },
      { perEndpoint: 1, timeoutMs: 60_000 },
    );
    const slow = broker.reserve('slow', {});
    // Answered while the slow entity has not answered yet.
    await expect(broker.reserve('quick', {})).resolves.toEqual({ granted: true });
    answerSlow();
    await expect(slow).resolves.toEqual({ granted: true });
  });

  test('grants a slot when the endpoint has no entity: nothing holds a limit for it', async () => {
    const broker = brokerOver(() => Promise.reject(new WorkflowNotFoundError('not found', 'endpoint/gone', undefined)));
    await expect(broker.reserve('gone', {})).resolves.toEqual({ granted: true });
  });
});
