import { describe, expect, test } from 'vitest';
import { createHeldDeliveries } from '../../domain/held-deliveries.js';

// What a paused endpoint's entity holds: each delivery once, released in the order they asked, carried whole into
// the next run.

describe('held deliveries', () => {
  test('hold each delivery once, in the order they first asked', () => {
    const held = createHeldDeliveries(['event/a', 'event/b', 'event/a']);
    held.add('event/c');
    held.add('event/b');
    expect(held.toArray()).toEqual(['event/a', 'event/b', 'event/c']);
    expect(held.size).toBe(3);
    expect([held.has('event/b'), held.has('event/z')]).toEqual([true, false]);
  });

  test('release from the front, peeked first and dropped after, and take a released one again as new', () => {
    const held = createHeldDeliveries(['event/a', 'event/b', 'event/c']);
    expect(held.first(2)).toEqual(['event/a', 'event/b']);
    expect(held.size).toBe(3);
    held.drop(2);
    expect([held.size, held.has('event/a'), held.has('event/c')]).toEqual([1, false, true]);
    held.add('event/a');
    expect(held.toArray()).toEqual(['event/c', 'event/a']);
    held.drop(10);
    expect([held.size, held.toArray(), held.first(5)]).toEqual([0, [], []]);
  });

  test('keep their order across many holds and releases, as a plain list would', () => {
    const held = createHeldDeliveries();
    const model: string[] = [];
    for (let round = 0; round < 200; round++) {
      for (let index = 0; index < 7; index++) {
        const id = `event/${round}_${index}`;
        held.add(id);
        if (!model.includes(id)) model.push(id);
      }
      // Asking again changes nothing.
      held.add(`event/${round}_0`);
      const released = held.first(5);
      expect(released).toEqual(model.slice(0, 5));
      held.drop(released.length);
      model.splice(0, released.length);
      expect(held.size).toBe(model.length);
    }
    expect(held.toArray()).toEqual(model);
  });
});
