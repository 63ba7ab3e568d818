import { describe, expect, test } from 'vitest';
import { EventPatternSchema, EventTypeSchema, matchesPattern } from '../../domain/pattern.js';

describe('matchesPattern', () => {
  test.each([
    ['*', 'order.created', true],
    ['*', 'x', true],
    ['order.*', 'order.created', true],
    ['order.*', 'order.item.added', true],
    ['order.*', 'order', false],
    ['order.*', 'orders.created', false],
    ['order.*', 'preorder.created', false],
    ['order.created', 'order.created', true],
    ['order.created', 'order.created.v2', false],
    ['order.created', 'order.updated', false],
    ['provider_build.*', 'provider_build.updated', true],
  ])('%s matches %s: %s', (pattern, type, expected) => {
    expect(matchesPattern(pattern, type)).toBe(expected);
  });
});

describe('EventPatternSchema', () => {
  test.each(['*', 'order.*', 'order.created', 'a-b.c_d.*', 'incident.triggered'])('accepts %s', (pattern) => {
    expect(EventPatternSchema.safeParse(pattern).success).toBe(true);
  });

  test.each(['', '**', 'order.', '.order', 'order..created', 'order.*.created', '*.created', 'order *', 'order.**'])(
    'refuses %j',
    (pattern) => {
      expect(EventPatternSchema.safeParse(pattern).success).toBe(false);
    },
  );
});

describe('EventTypeSchema', () => {
  test.each(['order.created', 'a', 'user_feedback.created'])('accepts %s', (type) => {
    expect(EventTypeSchema.safeParse(type).success).toBe(true);
  });

  test.each(['', '*', 'order.*', 'order created', 'order.', 'x'.repeat(201)])('refuses %j', (type) => {
    expect(EventTypeSchema.safeParse(type).success).toBe(false);
  });
});
