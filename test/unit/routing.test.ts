import { describe, expect, test } from 'vitest';
import { matchesPattern } from '../../domain/pattern.js';
import { createRouteIndex, type Subscriber } from '../../domain/routing.js';

/** A small deterministic random generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS = ['order', 'invoice', 'created', 'updated', 'item', 'x'];

function randomType(next: () => number): string {
  const depth = 1 + Math.floor(next() * 3);
  return Array.from({ length: depth }, () => WORDS[Math.floor(next() * WORDS.length)]).join('.');
}

function randomPattern(next: () => number): string {
  const roll = next();
  if (roll < 0.1) return '*';
  if (roll < 0.5) return `${randomType(next)}.*`;
  return randomType(next);
}

describe('createRouteIndex', () => {
  test('routes exactly like checking every pattern of every subscriber, on random subscriptions', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const next = random(seed);
      const subscribers: Subscriber[] = Array.from({ length: 40 }, (_, index) => ({
        id: `ep-${index}`,
        events: Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomPattern(next)),
      }));
      const index = createRouteIndex(subscribers);
      for (let probe = 0; probe < 30; probe++) {
        const type = randomType(next);
        const expected = subscribers.filter((s) => s.events.some((pattern) => matchesPattern(pattern, type))).map((s) => s.id);
        expect(
          index.route(type).map((s) => s.id),
          `seed ${seed}, type ${type}`,
        ).toEqual(expected);
      }
    }
  });

  test('lists a subscriber once even when several of its patterns match', () => {
    const index = createRouteIndex([{ id: 'a', events: ['*', 'order.*', 'order.created'] }]);
    expect(index.route('order.created').map((s) => s.id)).toEqual(['a']);
  });

  test('keeps the order subscribers were given in', () => {
    const index = createRouteIndex([
      { id: 'exact', events: ['order.created'] },
      { id: 'prefix', events: ['order.*'] },
      { id: 'all', events: ['*'] },
    ]);
    expect(index.route('order.created').map((s) => s.id)).toEqual(['exact', 'prefix', 'all']);
  });

  test('routes nothing when nobody subscribed', () => {
    expect(createRouteIndex([]).route('order.created')).toEqual([]);
  });
});
