import type { InvocationLog } from '../invocation-log.js';
import type { RateLimitWindows } from '../rate-limits.js';
import type { OutageNotice } from './outage-notice.js';
import type { RedisInvocationLog } from './redis-invocation-log.js';

/** Chooses between Redis and this process for each use of shared state. */
export interface RedisFallback {
  /** `shared()` while Redis is usable, else, or when it fails, `local()`. */
  attempt<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T>;
  /** Whether Redis is to be tried now. */
  usable(): boolean;
  /** Reports a failed command or connection attempt. */
  failed(error: unknown): void;
  /** Reports the connection ready again. */
  recovered(): void;
}

// After a failed command, Redis rests this long: a Redis that accepts connections but does not answer then costs one
// command timeout per pause, not one per request.
const PAUSE_AFTER_FAILURE_MS = 1_000;

/** A fallback that tries Redis only while `connected()` says so and no command failed in the last second. */
export function createRedisFallback(connected: () => boolean, notice: OutageNotice, now: () => number = Date.now): RedisFallback {
  let pausedUntilMs = 0;
  const failed = (error: unknown): void => {
    pausedUntilMs = now() + PAUSE_AFTER_FAILURE_MS;
    notice.failed(error);
  };
  const usable = (): boolean => connected() && now() >= pausedUntilMs;
  return {
    async attempt(shared, local) {
      if (!usable()) return local();
      let result: Awaited<ReturnType<typeof shared>>;
      try {
        result = await shared();
      } catch (error) {
        // A command that timed out may still have run in Redis: the request is then counted in both. Over-counting one
        // request at the start of an outage is the safe side of a limit.
        failed(error);
        return local();
      }
      // A Redis that hung and answers again never reconnected: its first answer is the news.
      notice.recovered();
      return result;
    },
    usable,
    failed,
    recovered() {
      pausedUntilMs = 0;
      notice.recovered();
    },
  };
}

/** Windows counted in Redis, and in `local` while Redis is unusable. */
export function windowsWithFallback(shared: RateLimitWindows, local: RateLimitWindows, fallback: RedisFallback): RateLimitWindows {
  return {
    admit: (checks, cost) =>
      fallback.attempt(
        () => shared.admit(checks, cost),
        () => local.admit(checks, cost),
      ),
    peekAttempt: (check) =>
      fallback.attempt(
        () => shared.peekAttempt(check),
        () => local.peekAttempt(check),
      ),
    count: (check) =>
      fallback.attempt(
        () => shared.count(check),
        () => local.count(check),
      ),
  };
}

/**
 * The invocation log in Redis, with `local` kept as well: a read while Redis is unusable shows this process's calls,
 * from before the outage too, and says so by its scope.
 */
export function invocationLogWithFallback(shared: RedisInvocationLog, local: InvocationLog, fallback: RedisFallback): InvocationLog {
  return {
    record(sourceId, invocation) {
      local.record(sourceId, invocation);
      if (!fallback.usable()) return;
      // Not awaited: a call to a source never waits for its log line. Commands on one connection run in order, so
      // this process's own next read sees it.
      shared.push(sourceId, invocation).catch((error: unknown) => fallback.failed(error));
    },
    read: (sourceId) =>
      fallback.attempt(
        async () => ({ invocations: await shared.read(sourceId), scope: 'shared' as const }),
        () => local.read(sourceId),
      ),
  };
}
