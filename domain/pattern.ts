import { z } from 'zod';
import { EVENT_PATTERN_FORM, EVENT_TYPE_FORM, EVENT_TYPE_MAX_LENGTH } from './event-type.js';

// zod resets a pattern's `lastIndex` before each test, and workflows share event-type.ts frozen (see
// `SHARED_DOMAIN_MODULES`): the schemas test with copies of their own.

/** An event type: dot-separated segments of letters, digits, `_` and `-`, such as `order.created`. */
export const EventTypeSchema = z
  .string()
  .max(EVENT_TYPE_MAX_LENGTH)
  .regex(new RegExp(EVENT_TYPE_FORM), 'event type must be dot-separated words, e.g. order.created');

/**
 * A subscription pattern: `*` (every event), `order.*` (every type under `order.`, at any depth) or an exact type.
 */
export const EventPatternSchema = z
  .string()
  .max(EVENT_TYPE_MAX_LENGTH)
  .regex(new RegExp(EVENT_PATTERN_FORM), 'pattern must be *, a prefix such as order.*, or an exact event type');

/** Whether `eventType` is selected by `pattern` (see {@link EventPatternSchema} for the forms). */
export function matchesPattern(pattern: string, eventType: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return eventType.startsWith(pattern.slice(0, -1));
  return pattern === eventType;
}

/** Whether every type `inner` selects is selected by `outer`. */
function covers(outer: string, inner: string): boolean {
  if (outer === '*') return true;
  if (outer.endsWith('.*')) return inner !== '*' && inner.startsWith(outer.slice(0, -1));
  return outer === inner;
}

/**
 * The patterns selecting exactly the types both lists select. Two patterns are either nested or disjoint (a prefix
 * contains its longer prefixes and its types), so each pair meets in the narrower one or not at all.
 */
export function intersectPatterns(first: readonly string[], second: readonly string[]): string[] {
  const met = new Set<string>();
  for (const a of first) {
    for (const b of second) {
      if (covers(a, b)) met.add(b);
      else if (covers(b, a)) met.add(a);
    }
  }
  return [...met];
}
