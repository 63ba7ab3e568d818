import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { findFreePort } from './ports.js';

/** The Redis every test run shares (the machine's, and CI's); each test keeps to keys under a prefix of its own. */
export const SHARED_REDIS_URL = process.env['WEBHOOKS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';

/** A key prefix no other test or run uses. */
export function uniqueRedisPrefix(name: string): string {
  return `test:${name}:${randomUUID()}:`;
}

/** Deletes every key under `prefix` in the Redis at `url`, so that a run leaves nothing behind. */
export async function deleteRedisKeys(prefix: string, url = SHARED_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A Redis server of the test's own on a free loopback port, which the test may kill and start again. */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server with SIGKILL, as a crash would, and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty, and waits until it answers. */
  start(): Promise<void>;
}

/** Starts `redis-server` (from PATH) without persistence on a free port of 127.0.0.1. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await findFreePort();
  let server: ChildProcess | undefined;
  const own: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    async kill() {
      const running = server;
      server = undefined;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    },
    async start() {
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      server = started;
      await untilAnswers(own.url, started);
    },
  };
  await own.start();
  return own;
}

async function untilAnswers(url: string, server: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`redis-server exited with ${server.exitCode}`);
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    // A refused connection is expected until the server listens; connect() reports it.
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
