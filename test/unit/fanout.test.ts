import { describe, expect, test } from 'vitest';
import { endpointIdsBytes, fitsOnePart, partitionTargets } from '../../domain/fanout.js';

const targets = (count: number, idLength = 6) =>
  Array.from({ length: count }, (_, index) => ({ endpointId: `e${String(index).padStart(idLength - 1, '0')}` }));

describe('partitionTargets', () => {
  test('keeps a small fan-out in one part', () => {
    expect(partitionTargets(targets(100))).toHaveLength(1);
    expect(partitionTargets([])).toEqual([]);
  });

  test('splits 5,000 endpoints into parts of at most 100, in order, losing none', () => {
    const all = targets(5_000);
    const parts = partitionTargets(all);
    expect(parts).toHaveLength(50);
    expect(parts.every((part) => part.length <= 100)).toBe(true);
    expect(parts.flat()).toEqual(all);
  });

  test('makes parts smaller when long ids would not fit one search attribute value', () => {
    const parts = partitionTargets(targets(300, 90));
    for (const part of parts) expect(endpointIdsBytes(part.map((t) => t.endpointId))).toBeLessThanOrEqual(1_800);
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.flat()).toHaveLength(300);
  });

  test('agrees with fitsOnePart, which the API uses to decide whether the event lists its endpoint ids', () => {
    for (const count of [1, 99, 100, 101, 180, 250]) {
      const all = targets(count);
      expect(fitsOnePart(all.map((t) => t.endpointId))).toBe(partitionTargets(all).length === 1);
    }
  });

  test('honours custom limits', () => {
    expect(partitionTargets(targets(7), { maxTargets: 3, maxIdsBytes: 1_800 }).map((part) => part.length)).toEqual([3, 3, 1]);
  });
});
