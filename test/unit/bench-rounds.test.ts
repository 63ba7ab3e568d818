import { describe, expect, it } from 'vitest';
import { balancedRounds, roundOrder, sameRoundRatios, type RoundRun } from '../../bench/variants.js';

describe('the order of systems in benchmark rounds', () => {
  it.each([2, 3, 4, 5])('with %i systems, runs each first equally often and after each other exactly as often', (count) => {
    const rounds = Array.from({ length: balancedRounds(count) }, (_, index) => roundOrder(count, index + 1));
    for (const order of rounds) expect([...order].sort()).toEqual(Array.from({ length: count }, (_, index) => index));
    const firsts = rounds.map((order) => order[0]);
    for (let system = 0; system < count; system++) {
      expect(firsts.filter((first) => first === system)).toHaveLength(balancedRounds(count) / count);
    }
    const follows = new Map<string, number>();
    for (const order of rounds) {
      for (let index = 1; index < count; index++) {
        const pair = `${order[index - 1]}→${order[index]}`;
        follows.set(pair, (follows.get(pair) ?? 0) + 1);
      }
    }
    // Every ordered pair of two systems, the same number of times.
    expect(follows.size).toBe(count * (count - 1));
    expect(new Set(follows.values()).size).toBe(1);
  });

  it('starts the first round with the first system, whose figures later loads may be set from', () => {
    expect(roundOrder(4, 1)[0]).toBe(0);
    expect(roundOrder(5, 1)[0]).toBe(0);
  });
});

describe('ratios within a round', () => {
  it('divides each round by the same round of the base', () => {
    const run = (eventsPerSecond: number): RoundRun => ({ eventsPerSecond, p50Ms: 0, p99Ms: 0, p999Ms: 0, nodeCpuMs: 1, serverCpuMs: 1 });
    expect(sameRoundRatios([run(10), run(30)], [run(20), run(15)], (measured) => measured.eventsPerSecond)).toEqual([0.5, 2]);
  });
});
