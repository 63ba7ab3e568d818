import type { FastifyReply } from 'fastify';
import type { RateLimitConfig } from '../config/ingest.js';
import type { Config } from '../config/schema.js';
import { FixedWindowCounter, admit, decideAttempt, type RateLimit, type RateLimitDecision } from '../domain/rate-limit.js';
import { sendProblem } from './problem.js';

/** The API's rate limits, counted where its `RateLimitWindows` count: in this process, or shared by every replica. */
export interface RateLimits {
  /**
   * Admits a call to the API by a key (or, without keys, a client address), against the global and per-key limits;
   * `cost` is more than 1 for a batch.
   */
  admitCaller(callerKey: string, cost?: number): Promise<RateLimitDecision>;
  /** Admits a proven call to an inbound source, against the global limit and the source's own. */
  admitSource(sourceId: string, own?: RateLimitConfig): Promise<RateLimitDecision>;
  /**
   * Whether an address may still try to authenticate. Failed attempts are counted apart from every other limit, so
   * that guessing keys or secrets is slow and an unauthenticated flood uses up nobody else's allowance.
   */
  admitAuthAttempt(address: string): Promise<RateLimitDecision>;
  /** Counts a failed attempt to authenticate from `address`. */
  recordAuthFailure(address: string): Promise<void>;
}

/** One limit a request falls under: which counter (`global`, `per_key`, …), its rule, and whose count it is. */
export interface LimitCheck {
  readonly counter: string;
  readonly rule: RateLimit;
  readonly key: string;
}

/** Where fixed windows are counted. Each method follows the rules of `admit` in domain/rate-limit.ts. */
export interface RateLimitWindows {
  /** Takes `cost` (at most each limit) from every check, or from none when one of them lacks room. */
  admit(checks: readonly LimitCheck[], cost: number): Promise<RateLimitDecision>;
  /** Whether one more attempt fits `check`, taking nothing. */
  peekAttempt(check: LimitCheck): Promise<RateLimitDecision>;
  /** Counts one against `check`, whatever room is left. */
  count(check: LimitCheck): Promise<void>;
}

const GLOBAL = '*';

/** The configured limits, counted in `windows` (this process's memory by default). */
export function createRateLimits(config: Config['api']['rate_limits'], windows: RateLimitWindows = createProcessWindows()): RateLimits {
  const rule = (limit: RateLimitConfig | null): RateLimit | undefined =>
    limit ? { limit: limit.limit, windowMs: limit.window } : undefined;
  const global = rule(config.global);
  const perKey = rule(config.per_key);
  const perSource = rule(config.per_source);
  const authFailures = rule(config.auth_failures);
  const checks = (...entries: [string, RateLimit | undefined, string][]): LimitCheck[] =>
    entries.flatMap(([counter, limit, key]) => (limit ? [{ counter, rule: limit, key }] : []));
  return {
    admitCaller: (callerKey, cost = 1) => windows.admit(checks(['global', global, GLOBAL], ['per_key', perKey, callerKey]), cost),
    admitAuthAttempt: async (address) =>
      authFailures ? windows.peekAttempt({ counter: 'auth_failures', rule: authFailures, key: address }) : { allowed: true },
    recordAuthFailure: async (address) => {
      if (authFailures) await windows.count({ counter: 'auth_failures', rule: authFailures, key: address });
    },
    // A source with a limit of its own is counted apart from those sharing per_source.
    admitSource: (sourceId, own) =>
      windows.admit(checks(['global', global, GLOBAL], own ? ['own_source', rule(own), sourceId] : ['per_source', perSource, sourceId]), 1),
  };
}

/** Windows counted in this process's memory: exact, but each API replica counts only what it serves. */
export function createProcessWindows(now: () => number = Date.now): RateLimitWindows {
  // One counter per counter name and rule, made on first use: sources with limits of their own differ in rule.
  const counters = new Map<string, FixedWindowCounter>();
  const counterFor = ({ counter, rule }: LimitCheck): FixedWindowCounter => {
    const id = `${counter}/${rule.limit}/${rule.windowMs}`;
    const found = counters.get(id) ?? new FixedWindowCounter(rule);
    counters.set(id, found);
    return found;
  };
  const checksOf = (checks: readonly LimitCheck[]) => checks.map((check) => ({ counter: counterFor(check), key: check.key }));
  return {
    admit: (checks, cost) => Promise.resolve(admit(checksOf(checks), now(), cost)),
    peekAttempt: (check) => Promise.resolve(decideAttempt(counterFor(check).peek(check.key, now()))),
    count: (check) => Promise.resolve(counterFor(check).take(check.key, now())),
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
