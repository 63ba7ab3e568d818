import type { InvocationLog } from '../invocation-log.js';
import type { RateLimitWindows } from '../rate-limits.js';
import { createRedisFallback, invocationLogWithFallback, windowsWithFallback } from './fallback.js';
import { createOutageNotice, type OutageLog } from './outage-notice.js';
import { createRedisClient, disconnectRedis, firstConnection, type RedisTarget } from './redis-connection.js';
import { createRedisInvocationLog } from './redis-invocation-log.js';
import { createRedisWindows } from './redis-windows.js';

/** What the API shares with its other replicas through Redis. */
export interface SharedState {
  /** Rate-limit windows, counted once for every replica. */
  readonly windows: RateLimitWindows;
  /** Each source's recent calls, whichever replica served them. */
  readonly log: InvocationLog;
  /**
   * Connects, and resolves when the connection is ready or has failed, within a second: the API starts either way.
   * Until then, and while Redis is away, the windows and the log are this process's.
   */
  ready(): Promise<void>;
  /** Closes the connection to Redis; the API does this when it closes. */
  close(): Promise<void>;
}

/** What `openSharedState` needs: where Redis is, the log's cap, this process's fallbacks, and where to report. */
export interface SharedStateOptions {
  readonly redis: RedisTarget;
  /** `api.invocation_log_size`. */
  readonly logSize: number;
  /** This process's own windows and log, used while Redis is unreachable. */
  readonly local: { readonly windows: RateLimitWindows; readonly log: InvocationLog };
  /** Where outages are reported; nowhere by default. */
  readonly log?: OutageLog;
}

const SILENT: OutageLog = { warn: () => undefined, info: () => undefined };

/**
 * Rate limits and invocation logs in Redis, once `ready()` has connected. While Redis is unreachable both fall back
 * to this process (see "Several API replicas" in docs/operations.md): events are still accepted, each replica counts
 * on its own.
 */
export function openSharedState(options: SharedStateOptions): SharedState {
  const redis = createRedisClient(options.redis);
  const fallback = createRedisFallback(() => redis.status === 'ready', createOutageNotice(options.log ?? SILENT));
  let closing = false;
  redis.on('error', (error: unknown) => fallback.failed(error));
  redis.on('ready', () => fallback.recovered());
  // A connection closed by Redis (or by the network) emits no error until a reconnection fails.
  redis.on('close', () => {
    if (!closing) fallback.failed(new Error('the connection to Redis was closed'));
  });
  return {
    windows: windowsWithFallback(createRedisWindows(redis), options.local.windows, fallback),
    log: invocationLogWithFallback(createRedisInvocationLog(redis, options.logSize), options.local.log, fallback),
    ready: () => firstConnection(redis),
    async close() {
      closing = true;
      await disconnectRedis(redis);
    },
  };
}
