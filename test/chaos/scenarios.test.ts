import { describe, expect, test } from 'vitest';
import { SCENARIOS } from '../../chaos/scenarios/index.js';

// The short variant of every `npm run chaos` scenario: the same faults, on a smaller load. Each starts its own
// embedded server and gateway processes, hurts them, and counts what the receiver got.

describe.each(SCENARIOS)('$name', (scenario) => {
  test(scenario.promise, async () => {
    const result = await scenario.run('short');
    console.log(`${scenario.name}: ${JSON.stringify({ ...result, notes: undefined })}\n  ${result.notes.join('\n  ')}`);

    expect(result.problems).toEqual([]);
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    // At-least-once: a repeat is allowed, but only ever under the webhook-id a receiver dedupes on.
    expect(result.duplicatesUnderAnotherId).toBe(0);
  });
});
