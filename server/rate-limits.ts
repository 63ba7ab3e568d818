import type { FastifyReply } from 'fastify';
import type { RateLimitConfig } from '../config/ingest.js';
import type { Config } from '../config/schema.js';
import { FixedWindowCounter, admit, type RateLimitDecision } from '../domain/rate-limit.js';
import { sendProblem } from './problem.js';

/** The API's rate limits, counted in this process. */
export interface RateLimits {
  /** Admits a call to the API by a key (or, without keys, a client address), against the global and per-key limits. */
  admitCaller(callerKey: string): RateLimitDecision;
  /** Admits a call to an inbound source, against the global limit and the source's own. */
  admitSource(sourceId: string, own?: RateLimitConfig): RateLimitDecision;
}

const GLOBAL = '*';

export function createRateLimits(config: Config['api']['rate_limits'], now: () => number = Date.now): RateLimits {
  const counter = (rule: RateLimitConfig | null) =>
    rule ? new FixedWindowCounter({ limit: rule.limit, windowMs: rule.window }) : undefined;
  const global = counter(config.global);
  const perKey = counter(config.per_key);
  const perSource = counter(config.per_source);
  // A source with a limit of its own gets a counter of its own, made on its first call.
  const ownCounters = new Map<string, FixedWindowCounter>();
  const checks = (...pairs: [FixedWindowCounter | undefined, string][]) =>
    pairs.flatMap(([limit, key]) => (limit ? [{ counter: limit, key }] : []));
  return {
    admitCaller: (callerKey) => admit(checks([global, GLOBAL], [perKey, callerKey]), now()),
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
