import type { Redis } from 'ioredis';
import { z } from 'zod';
import { INVOCATION_RESULTS, type Invocation } from '../invocation-log.js';

/** The recent calls to each source in Redis: one list per source, newest first, capped at `size`. */
export interface RedisInvocationLog {
  push(sourceId: string, invocation: Invocation): Promise<void>;
  read(sourceId: string): Promise<Invocation[]>;
}

// Entries are written by every replica, perhaps of another version: one that does not read is skipped, not an error.
const StoredInvocationSchema = z.object({
  at: z.string(),
  sourceIp: z.string(),
  status: z.int(),
  result: z.enum(INVOCATION_RESULTS),
  eventId: z.string().optional(),
  payloadExcerpt: z.string(),
});

/** The invocation log of every source, kept in `redis` as lists of JSON entries. */
export function createRedisInvocationLog(redis: Redis, size: number): RedisInvocationLog {
  const keyOf = (sourceId: string): string => `invocations:${sourceId}`;
  return {
    async push(sourceId, invocation) {
      // LTRIM 0 -1 would keep everything.
      if (size === 0) return;
      const key = keyOf(sourceId);
      // One transaction, so that a reader never sees the list past its cap.
      const results = await redis
        .multi()
        .lpush(key, JSON.stringify(invocation))
        .ltrim(key, 0, size - 1)
        .exec();
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (!results || failed) throw failed ?? new Error('the invocation log transaction was discarded');
    },
    async read(sourceId) {
      if (size === 0) return [];
      const entries = await redis.lrange(keyOf(sourceId), 0, size - 1);
      return entries.flatMap((entry) => {
        const parsed = StoredInvocationSchema.safeParse(parseJson(entry));
        if (!parsed.success) return [];
        const { eventId, ...rest } = parsed.data;
        return [{ ...rest, ...(eventId === undefined ? {} : { eventId }) }];
      });
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
