import { describe, expect, test } from 'vitest';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../../domain/json-depth.js';

const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;

describe('exceedsJsonDepth', () => {
  test('counts each array or object level, scalars not at all', () => {
    expect(exceedsJsonDepth(42, 0)).toBe(false);
    expect(exceedsJsonDepth({ a: 1 }, 1)).toBe(false);
    expect(exceedsJsonDepth({ a: { b: 1 } }, 1)).toBe(true);
    expect(exceedsJsonDepth({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(exceedsJsonDepth({ a: [1, { b: [] }] }, 3)).toBe(true);
  });

  test('accepts the limit and refuses one more, and answers for any depth without overflowing', () => {
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(exceedsJsonDepth(nested(100_000))).toBe(true);
  });
});
