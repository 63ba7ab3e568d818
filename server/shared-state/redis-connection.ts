import { Redis } from 'ioredis';
import { ConfigError } from '../../errors.js';

// An outage of Redis must cost a request milliseconds, never seconds: while disconnected, commands fail at once
// instead of queueing (enableOfflineQueue), commands in flight when the connection drops fail instead of waiting to
// be sent again (maxRetriesPerRequest), and a Redis that keeps the connection open without answering fails a command
// after COMMAND_TIMEOUT_MS. Loopback and same-zone Redis answers in about a millisecond; the timeout leaves room for
// a busy event loop, which would otherwise fire it before reading an answer that had arrived.
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 1_000;
// Reconnects soon and keeps trying, so that sharing resumes within about a second of Redis coming back.
const RECONNECT_MAX_DELAY_MS = 1_000;

/** Where to connect: `api.redis_url`, `api.redis_key_prefix`, and the password read from the environment. */
export interface RedisTarget {
  readonly url: string;
  readonly keyPrefix: string;
  readonly password?: string;
}

/**
 * A client of the Redis at `url` whose every key starts with `keyPrefix`, failing fast whenever Redis is away. It
 * connects on `connect()`, so that an API that is built and never started holds no connection.
 */
export function createRedisClient({ url, keyPrefix, password }: RedisTarget): Redis {
  return new Redis(url, {
    lazyConnect: true,
    keyPrefix,
    ...(password === undefined ? {} : { password }),
    connectionName: 'temporal-webhooks-api',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempts) => Math.min(attempts * 100, RECONNECT_MAX_DELAY_MS),
  });
}

/** The password `api.redis_password_env` names, read once at start; its variable unset stops the API there. */
export function redisPasswordFrom(variable: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (variable === undefined) return undefined;
  const password = env[variable];
  if (!password) throw new ConfigError('the environment', [{ path: 'api.redis_password_env', message: `${variable} is not set` }]);
  return password;
}

/**
 * Connects, and resolves once `redis` is ready, or has failed to connect, or after `timeoutMs`: a start never waits
 * longer. A failed connection is retried in the background and reported by the client's `error` events.
 */
export function firstConnection(redis: Redis, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'wait') redis.connect().catch(() => undefined);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done).off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done).once('error', done);
  });
}

/** Closes the connection, politely if Redis answers, at once if it does not, and stops reconnecting. */
export async function disconnectRedis(redis: Redis): Promise<void> {
  // A command to a lazy client that never connected would connect it first.
  if (redis.status !== 'ready') return redis.disconnect();
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
