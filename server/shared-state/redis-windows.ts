import type { Redis } from 'ioredis';
import { cappedCost, decideAdmission, decideAttempt, type RateLimitState } from '../../domain/rate-limit.js';
import type { LimitCheck, RateLimitWindows } from '../rate-limits.js';
import { defineAdmissionScript, type AdmissionCounter, type CounterState } from './admission-script.js';

/**
 * Rate-limit windows counted in Redis, once for every API replica that shares it, each call one script run.
 *
 * @fastify/rate-limit has a Redis store, but its store counts one key per request and takes before it judges; the
 * API checks several limits at once with a cost (a batch costs its events) and takes from all of them or from none,
 * which needs the check and the take in one script.
 */
export function createRedisWindows(redis: Redis): RateLimitWindows {
  const run = defineAdmissionScript(redis);
  return {
    async admit(checks, cost) {
      // Nothing to count: no round trip.
      if (checks.length === 0) return { allowed: true };
      const states = await run('admit', checks.map(counterOf), cost);
      return decideAdmission(
        states.map((state, index) => stateOf(checks[index] as LimitCheck, state)),
        checks.map((check) => cappedCost(check.rule, cost)),
      );
    },
    async peekAttempt(check) {
      const [state] = await run('peek', [counterOf(check)], 1);
      if (!state) throw new Error('the rate-limit script answered no state');
      return decideAttempt(stateOf(check, state));
    },
    async count(check) {
      await run('add', [counterOf(check)], 1);
    },
  };
}

// The window's length is part of the key, so that a changed window starts afresh instead of inheriting an expiry.
function counterOf(check: LimitCheck): AdmissionCounter {
  return { key: `rate:${check.counter}:${check.rule.windowMs}:${check.key}`, limit: check.rule.limit, windowMs: check.rule.windowMs };
}

function stateOf(check: LimitCheck, state: CounterState): RateLimitState {
  return { limit: check.rule.limit, remaining: state.remaining, resetMs: state.resetMs };
}
