import type { Redis, Result } from 'ioredis';

// Fixed windows counted the way domain/rate-limit.ts counts them in one process, but in one script, so that Redis
// runs the check and the take for every replica at once: two replicas cannot both take the last slot.
//
// KEYS: one counter per limit. ARGV: the mode (`admit`: take the cost, capped at each limit, from every counter if
// all have room, else from none; `peek`: take nothing; `add`: take the cost whatever is left), the cost, then each
// limit's size and window in milliseconds, in the order of KEYS. A counter is a number that expires when its window
// ends, created by the first request of the window. The reply holds, per limit, what was left before this call and
// the milliseconds until its window ends (a whole window when none is open). Each key appears once: a fresh counter
// is SET, so a key given twice would be counted once.
const ADMISSION_LUA = `
local mode, cost = ARGV[1], tonumber(ARGV[2])
local states, fresh, fits = {}, {}, true
for i, key in ipairs(KEYS) do
  local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local ttl = redis.call('PTTL', key)
  local used, reset = 0, window
  if ttl > 0 then
    used, reset = tonumber(redis.call('GET', key)) or 0, ttl
  end
  local remaining = math.max(0, limit - used)
  if remaining < math.min(cost, limit) then fits = false end
  states[2 * i - 1], states[2 * i], fresh[i] = remaining, reset, ttl <= 0
end
if mode == 'add' or (mode == 'admit' and fits) then
  for i, key in ipairs(KEYS) do
    local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
    local take = cost
    if mode == 'admit' then take = math.min(cost, limit) end
    if fresh[i] then
      redis.call('SET', key, take, 'PX', window)
    else
      redis.call('INCRBY', key, take)
    end
  end
end
return states
`;

/** What the admission script does besides reading the counters. */
export type AdmissionMode = 'admit' | 'peek' | 'add';

const COMMAND = 'admitRateLimitWindows';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** The admission script (see admission-script.ts): `numKeys` counters, then mode, cost and each limit's rule. */
    admitRateLimitWindows(numKeys: number, ...keysThenArgs: (string | number)[]): Result<unknown, Context>;
  }
}

/** One counter the script reads: its key (without the client's prefix) and its limit's rule. */
export interface AdmissionCounter {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** What was left of each counter before the script ran, and when its window ends, in the counters' order. */
export interface CounterState {
  readonly remaining: number;
  readonly resetMs: number;
}

/** Registers the script on `redis` (ioredis sends EVALSHA, and EVAL once when Redis lacks it) and returns its runner. */
export function defineAdmissionScript(
  redis: Redis,
): (mode: AdmissionMode, counters: readonly AdmissionCounter[], cost: number) => Promise<CounterState[]> {
  redis.defineCommand(COMMAND, { lua: ADMISSION_LUA });
  return async (mode, counters, cost) => {
    const reply = await redis.admitRateLimitWindows(
      counters.length,
      ...counters.map((counter) => counter.key),
      mode,
      cost,
      ...counters.flatMap((counter) => [counter.limit, counter.windowMs]),
    );
    if (!Array.isArray(reply) || reply.length !== counters.length * 2 || !reply.every((n) => typeof n === 'number')) {
      throw new Error(`the rate-limit script answered ${JSON.stringify(reply)}`);
    }
    return counters.map((_counter, index) => ({ remaining: reply[2 * index] ?? 0, resetMs: reply[2 * index + 1] ?? 0 }));
  };
}
