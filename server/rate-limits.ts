import type { FastifyReply } from 'fastify';
import type { RateLimitConfig } from '../config/ingest.js';
import type { Config } from '../config/schema.js';
import { FixedWindowCounter, admit, type RateLimitDecision } from '../domain/rate-limit.js';
import { sendProblem } from './problem.js';

/** The API's rate limits, counted in this process. */
export interface RateLimits {
  /**
   * Admits a call to the API by a key (or, without keys, a client address), against the global and per-key limits;
   * `cost` is more than 1 for a batch.
   */
  admitCaller(callerKey: string, cost?: number): RateLimitDecision;
  /** Admits a proven call to an inbound source, against the global limit and the source's own. */
  admitSource(sourceId: string, own?: RateLimitConfig): RateLimitDecision;
  /**
   * Whether an address may still try to authenticate. Failed attempts are counted apart from every other limit, so
   * that guessing keys or secrets is slow and an unauthenticated flood uses up nobody else's allowance.
   */
  admitAuthAttempt(address: string): RateLimitDecision;
  /** Counts a failed attempt to authenticate from `address`. */
  recordAuthFailure(address: string): void;
}

const GLOBAL = '*';

export function createRateLimits(config: Config['api']['rate_limits'], now: () => number = Date.now): RateLimits {
  const counter = (rule: RateLimitConfig | null) =>
    rule ? new FixedWindowCounter({ limit: rule.limit, windowMs: rule.window }) : undefined;
  const global = counter(config.global);
  const perKey = counter(config.per_key);
  const perSource = counter(config.per_source);
  const authFailures = counter(config.auth_failures);
  // A source with a limit of its own gets a counter of its own, made on its first call.
  const ownCounters = new Map<string, FixedWindowCounter>();
  const checks = (...pairs: [FixedWindowCounter | undefined, string][]) =>
    pairs.flatMap(([limit, key]) => (limit ? [{ counter: limit, key }] : []));
  return {
    admitCaller: (callerKey, cost = 1) => admit(checks([global, GLOBAL], [perKey, callerKey]), now(), cost),
    admitAuthAttempt(address) {
      if (!authFailures) return { allowed: true };
      const state = authFailures.peek(address, now());
      return state.remaining > 0 ? { allowed: true } : { allowed: false, exceeded: state };
    },
    recordAuthFailure: (address) => authFailures?.take(address, now()),
    admitSource(sourceId, own) {
      let sourceCounter = perSource;
      if (own) {
        sourceCounter = ownCounters.get(sourceId) ?? new FixedWindowCounter({ limit: own.limit, windowMs: own.window });
        ownCounters.set(sourceId, sourceCounter);
      }
      return admit(checks([global, GLOBAL], [sourceCounter, sourceId]), now());
    },
  };
}

/**
 * Sets the usual `X-RateLimit-*` headers (reset in seconds from now); when refused, answers 429 with `Retry-After`
 * and returns the reply, else returns `undefined`.
 */
export function answerRateLimit(reply: FastifyReply, decision: RateLimitDecision): FastifyReply | undefined {
  const state = decision.allowed ? decision.tightest : decision.exceeded;
  if (state) {
    reply.header('x-ratelimit-limit', String(state.limit));
    reply.header('x-ratelimit-remaining', String(state.remaining));
    reply.header('x-ratelimit-reset', String(Math.ceil(state.resetMs / 1_000)));
  }
  if (decision.allowed) return undefined;
  const seconds = Math.max(1, Math.ceil(decision.exceeded.resetMs / 1_000));
  return sendProblem(reply.header('retry-after', String(seconds)), {
    status: 429,
    type: 'rate-limited',
    title: 'Too Many Requests',
    detail: `Rate limit of ${decision.exceeded.limit} requests reached; try again in ${seconds} s.`,
  });
}
