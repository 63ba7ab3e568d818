import { describe, expect, test } from 'vitest';
import { NO_SEND_SLOTS, reserveSendSlot, slotMarginMs, type RateLimit, type SendSlots } from '../../domain/send-slots.js';

/** A small deterministic random generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const fivePerSecond: RateLimit = { requests: 5, perMs: 1_000 };

describe('reserveSendSlot', () => {
  test('grants a burst of `requests` at once, then one per freed slot, each a window and margin after the one it replaces', () => {
    let slots: SendSlots = NO_SEND_SLOTS;
    const answers = [];
    for (let n = 0; n < 6; n++) {
      const step = reserveSendSlot(slots, fivePerSecond, 10_000);
      slots = step.slots;
      answers.push(step.answer);
    }
    expect(answers.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => ({ granted: true, grantedAt: 10_000 })));
    expect(answers[5]).toEqual({ granted: false, retryAt: 10_000 + 1_000 + slotMarginMs(fivePerSecond) });
    expect(slotMarginMs(fivePerSecond)).toBe(100);
    expect(slotMarginMs({ requests: 10, perMs: 60_000 })).toBe(3_000);
  });

  test('spaces the tickets of waiting requests, and lets no newcomer overtake them', () => {
    let slots: SendSlots = { grants: [0, 0, 0, 0, 0], nextTicketAt: 0 };
    const tickets: number[] = [];
    for (let n = 0; n < 3; n++) {
      const step = reserveSendSlot(slots, fivePerSecond, 500);
      slots = step.slots;
      if (!step.answer.granted) tickets.push(step.answer.retryAt);
    }
    expect(tickets).toEqual([1_100, 1_320, 1_540]);
    // At 1,100 a slot is free: a newcomer may not take it while tickets are outstanding, the first ticket may.
    expect(reserveSendSlot(slots, fivePerSecond, 1_100).answer).toEqual({ granted: false, retryAt: 1_760 });
    expect(reserveSendSlot(slots, fivePerSecond, 1_100, 1_100).answer).toEqual({ granted: true, grantedAt: 1_100 });
    // A ticket not yet due does not let its holder jump the queue.
    expect(reserveSendSlot(slots, fivePerSecond, 1_100, 1_320).answer.granted).toBe(false);
  });

  test('lets a ticket holder that finds no free slot keep its place, ahead of later tickets', () => {
    // Five grants within the window; the holder of the ticket for 1,100 comes back late, at 1,150, and finds no slot.
    const full: SendSlots = { grants: [100, 200, 300, 400, 500], nextTicketAt: 1_540 };
    expect(reserveSendSlot(full, fivePerSecond, 1_150, 1_100)).toEqual({ slots: full, answer: { granted: false, retryAt: 1_200 } });
    // A newcomer at the same moment goes behind every ticket.
    expect(reserveSendSlot(full, fivePerSecond, 1_150).answer).toEqual({ granted: false, retryAt: 1_540 });
  });

  test('never grants more than `requests` in any window of `per`, whatever the arrivals, and grants every waiter in the end', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const next = random(seed);
      const limit: RateLimit = { requests: 1 + Math.floor(next() * 8), perMs: 200 + Math.floor(next() * 2_000) };
      let slots: SendSlots = NO_SEND_SLOTS;
      const granted: number[] = [];
      // Waiters come back at their ticket, some late; newcomers arrive at random.
      const waiting: { at: number; ticket?: number }[] = Array.from({ length: 60 }, () => ({ at: Math.floor(next() * 5_000) }));
      for (let guard = 0; waiting.length > 0 && guard < 10_000; guard++) {
        waiting.sort((a, b) => a.at - b.at);
        const request = waiting.shift() as { at: number; ticket?: number };
        const step = reserveSendSlot(slots, limit, request.at, request.ticket);
        slots = step.slots;
        if (step.answer.granted) granted.push(request.at);
        else waiting.push({ at: step.answer.retryAt + Math.floor(next() * 50), ticket: step.answer.retryAt });
      }
      expect(granted).toHaveLength(60);
      granted.sort((a, b) => a - b);
      for (let index = limit.requests; index < granted.length; index++) {
        const earlier = granted[index - limit.requests] as number;
        expect((granted[index] as number) - earlier, `seed ${seed}`).toBeGreaterThanOrEqual(limit.perMs + slotMarginMs(limit));
      }
    }
  });
});
