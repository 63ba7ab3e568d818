/** A limit of `limit` requests per `windowMs`. */
export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Where one caller stands against one limit, after (or instead of) taking a request. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window resets and `remaining` is back to `limit`. */
  readonly resetMs: number;
}

/** The answer to a request against several limits at once. */
export type RateLimitDecision =
  | { readonly allowed: true; /** The limit closest to running out, for the response's headers. */ readonly tightest?: RateLimitState }
  | {
      readonly allowed: false;
      /** The exhausted limit that resets last: the caller must wait for it. */ readonly exceeded: RateLimitState;
    };

interface Window {
  startMs: number;
  count: number;
}

/**
 * Counts requests per key in fixed windows. Fixed windows are cheap, easy to explain in headers, and their one flaw, a
 * burst of up to twice the limit across a window boundary, is acceptable for protecting Temporal from floods.
 */
export class FixedWindowCounter {
  private readonly windows = new Map<string, Window>();
  private lastSweepMs = 0;

  constructor(readonly rule: RateLimit) {}

  /** Where `key` stands at `nowMs`, without taking anything. */
  peek(key: string, nowMs: number): RateLimitState {
    const window = this.current(key, nowMs);
    return {
      limit: this.rule.limit,
      remaining: Math.max(0, this.rule.limit - (window?.count ?? 0)),
      resetMs: window ? window.startMs + this.rule.windowMs - nowMs : this.rule.windowMs,
    };
  }

  /** Counts `cost` requests of `key` at `nowMs`; call only once every limit has allowed them. */
  take(key: string, nowMs: number, cost = 1): void {
    this.sweep(nowMs);
    const window = this.current(key, nowMs);
    if (window) window.count += cost;
    else this.windows.set(key, { startMs: nowMs, count: cost });
  }

  /** How many keys are being counted: bounded by the callers of the last window or two. */
  get size(): number {
    return this.windows.size;
  }

  private current(key: string, nowMs: number): Window | undefined {
    const window = this.windows.get(key);
    return window && nowMs - window.startMs < this.rule.windowMs ? window : undefined;
  }

  // Forgets finished windows at most once per window length, so that one-off callers do not accumulate.
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < this.rule.windowMs) return;
    this.lastSweepMs = nowMs;
    for (const [key, window] of this.windows) {
      if (nowMs - window.startMs >= this.rule.windowMs) this.windows.delete(key);
    }
  }
}

/**
 * Admits a request only if every limit it falls under has room for its `cost` (a batch costs its events), and then
 * counts it against all of them: a request refused by one limit uses up none of the others. A cost above a limit
 * counts as the whole limit, so that a large batch waits for a fresh window instead of being refused forever.
 */
export function admit(checks: readonly { counter: FixedWindowCounter; key: string }[], nowMs: number, cost = 1): RateLimitDecision {
  const costs = checks.map(({ counter }) => cappedCost(counter.rule, cost));
  const decision = decideAdmission(
    checks.map(({ counter, key }) => counter.peek(key, nowMs)),
    costs,
  );
  if (decision.allowed) checks.forEach(({ counter, key }, index) => counter.take(key, nowMs, costs[index]));
  return decision;
}

/** What a request of `cost` takes from a limit: at most the whole limit (see `admit`). */
export function cappedCost(rule: RateLimit, cost: number): number {
  return Math.min(cost, rule.limit);
}

/**
 * `admit`'s answer for limits standing at `states` before a request that takes `costs[i]` from `states[i]`: allowed
 * with the tightest state after taking, or refused with the exhausted limit that resets last. A store that counts
 * elsewhere (Redis) takes by the same rule and answers with this.
 */
export function decideAdmission(states: readonly RateLimitState[], costs: readonly number[]): RateLimitDecision {
  const exhausted = states.filter((state, index) => state.remaining < (costs[index] ?? 0));
  if (exhausted.length > 0) {
    return { allowed: false, exceeded: exhausted.reduce((last, state) => (state.resetMs > last.resetMs ? state : last)) };
  }
  const after = states.map((state, index) => ({ ...state, remaining: state.remaining - (costs[index] ?? 0) }));
  const tightest = after.reduce<RateLimitState | undefined>(
    (best, state) => (best === undefined || state.remaining < best.remaining ? state : best),
    undefined,
  );
  return tightest ? { allowed: true, tightest } : { allowed: true };
}

/** Whether one more attempt fits a limit standing at `state`, taking nothing: refused once none is left. */
export function decideAttempt(state: RateLimitState): RateLimitDecision {
  return state.remaining > 0 ? { allowed: true } : { allowed: false, exceeded: state };
}
