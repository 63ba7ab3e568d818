import { describe, expect, test } from 'vitest';
import { SHARED_DOMAIN_MODULES } from '../../worker/workflows-module.js';

// Workflows share the pure domain modules across executions, and the workflow context freezes everything they export
// (worker/workflows-module.ts). Frozen here the same way, they must still do their work, and so must the schemas
// built on them, which a workflow loads afresh when it checks an event.

function deepFreeze(value: unknown, seen = new WeakSet<object>()): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  Object.freeze(value);
}

describe('the domain modules workflows share', () => {
  test('work frozen, as the workflow context shares them', async () => {
    for (const name of SHARED_DOMAIN_MODULES) deepFreeze(await import(`../../domain/${name}.ts`));
    const { parseDurationMs } = await import('../../domain/duration.js');
    const { IncomingEventSchema } = await import('../../domain/event.js');
    const { EndpointSchema } = await import('../../domain/endpoint.js');
    const { EventPatternSchema } = await import('../../domain/pattern.js');

    // Twice: a pattern that kept its position from the first call would fail the second.
    expect([parseDurationMs('1h30m'), parseDurationMs('1h30m')]).toEqual([5_400_000, 5_400_000]);
    expect(IncomingEventSchema.safeParse({ type: 'order.created', data: {} }).success).toBe(true);
    expect(IncomingEventSchema.safeParse({ type: 'order created', data: {} }).success).toBe(false);
    expect(EventPatternSchema.safeParse('order.*').success).toBe(true);
    const endpoint = { id: 'e1', url: 'https://example.com/hook', events: ['order.*'], format: 'standard', data_key: 'body' };
    expect(EndpointSchema.safeParse(endpoint).error?.issues).toBeUndefined();
  });
});
