import { z } from 'zod';

const SEGMENT = '[A-Za-z0-9_-]+';

/** An event type: dot-separated segments of letters, digits, `_` and `-`, such as `order.created`. */
export const EventTypeSchema = z
  .string()
  .max(200)
  .regex(new RegExp(`^${SEGMENT}(\\.${SEGMENT})*$`), 'event type must be dot-separated words, e.g. order.created');

/**
 * A subscription pattern: `*` (every event), `order.*` (every type under `order.`, at any depth) or an exact type.
 */
export const EventPatternSchema = z
  .string()
  .max(200)
  .regex(new RegExp(`^(\\*|${SEGMENT}(\\.${SEGMENT})*(\\.\\*)?)$`), 'pattern must be *, a prefix such as order.*, or an exact event type');

/** Whether `eventType` is selected by `pattern` (see {@link EventPatternSchema} for the forms). */
export function matchesPattern(pattern: string, eventType: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return eventType.startsWith(pattern.slice(0, -1));
  return pattern === eventType;
}
