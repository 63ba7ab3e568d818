import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RateLimitDecision } from '../../domain/rate-limit.js';
import { createProcessWindows, type LimitCheck, type RateLimitWindows } from '../../server/rate-limits.js';
import { createRedisWindows } from '../../server/shared-state/redis-windows.js';
import { SHARED_REDIS_URL, deleteRedisKeys, uniqueRedisPrefix } from '../support/redis.js';

// The admission script against a real Redis, held to the in-process counter's answers: the same sequences of
// requests get the same decisions. Here rather than in test/unit because it needs Redis.

const prefix = uniqueRedisPrefix('admission');
let redis: Redis;
let otherReplica: Redis;

beforeAll(() => {
  redis = new Redis(SHARED_REDIS_URL, { keyPrefix: prefix });
  otherReplica = new Redis(SHARED_REDIS_URL, { keyPrefix: prefix });
});

afterAll(async () => {
  redis?.disconnect();
  otherReplica?.disconnect();
  await deleteRedisKeys(prefix);
});

const MINUTE_MS = 60_000;
type Limit = readonly [counter: string, limit: number, key: string];
interface Step {
  readonly limits: readonly Limit[];
  readonly cost: number;
}

const checksOf = (limits: readonly Limit[], scope: string): LimitCheck[] =>
  limits.map(([counter, limit, key]) => ({ counter, rule: { limit, windowMs: MINUTE_MS }, key: `${scope}/${key}` }));

// Redis counts down from the first request, the frozen in-process clock does not: compare all but the exact reset.
function comparable(decision: RateLimitDecision): unknown {
  const state = decision.allowed ? decision.tightest : decision.exceeded;
  return { allowed: decision.allowed, ...(state ? { limit: state.limit, remaining: state.remaining } : {}) };
}

const step = (cost: number, ...limits: Limit[]): Step => ({ limits, cost });
const global = (limit: number): Limit => ['global', limit, '*'];
const perKey = (limit: number, key: string): Limit => ['per_key', limit, key];

describe('the Redis admission script', () => {
  test.each<[string, Step[], boolean[]]>([
    ['one limit admits its size, then refuses', [1, 2, 3, 4].map(() => step(1, perKey(3, 'a'))), [true, true, true, false]],
    [
      'several limits: the per-key one refuses each key, the global one everyone',
      [
        step(1, global(5), perKey(2, 'a')),
        step(1, global(5), perKey(2, 'a')),
        step(1, global(5), perKey(2, 'a')),
        step(1, global(5), perKey(2, 'b')),
        step(1, global(5), perKey(2, 'b')),
        step(1, global(5), perKey(2, 'c')),
        step(1, global(5), perKey(2, 'd')),
      ],
      [true, true, false, true, true, true, false],
    ],
    [
      'a refused request takes from no limit',
      [
        step(1, global(3), perKey(1, 'a')),
        step(1, global(3), perKey(1, 'a')),
        step(1, global(3), perKey(1, 'a')),
        step(1, global(3), perKey(1, 'b')),
        step(1, global(3), perKey(1, 'c')),
      ],
      [true, false, false, true, true],
    ],
    ['a cost above a limit takes the whole limit', [step(5, perKey(3, 'a')), step(1, perKey(3, 'a'))], [true, false]],
    [
      'a batch that does not fit takes nothing, and a smaller one still fits',
      [step(3, perKey(4, 'a')), step(3, perKey(4, 'a')), step(1, perKey(4, 'a')), step(1, perKey(4, 'a'))],
      [true, false, true, false],
    ],
    ['no limit at all admits without counting', [step(100), step(100)], [true, true]],
  ])('%s, as in one process', async (name, steps, expected) => {
    const shared = createRedisWindows(redis);
    const local = createProcessWindows(() => 1_000);
    const scope = name.replaceAll(' ', '-');
    const run = async (windows: RateLimitWindows) => {
      const decisions: RateLimitDecision[] = [];
      for (const { limits, cost } of steps) decisions.push(await windows.admit(checksOf(limits, scope), cost));
      return decisions;
    };
    const [fromRedis, fromProcess] = [await run(shared), await run(local)];
    expect(fromRedis.map((decision) => decision.allowed)).toEqual(expected);
    expect(fromRedis.map(comparable)).toEqual(fromProcess.map(comparable));
    for (const decision of fromRedis) {
      const state = decision.allowed ? decision.tightest : decision.exceeded;
      if (state) expect(state.resetMs).toBeGreaterThan(MINUTE_MS - 10_000);
      if (state) expect(state.resetMs).toBeLessThanOrEqual(MINUTE_MS);
    }
  });

  test('reports the exhausted limit that resets last when several refuse', async () => {
    const windows = createRedisWindows(redis);
    const short = { counter: 'short', rule: { limit: 1, windowMs: 5_000 }, key: 'latest-reset' };
    const long = { counter: 'long', rule: { limit: 1, windowMs: MINUTE_MS }, key: 'latest-reset' };
    expect((await windows.admit([short, long], 1)).allowed).toBe(true);
    const refused = await windows.admit([short, long], 1);
    expect(refused).toMatchObject({ allowed: false, exceeded: { limit: 1, remaining: 0 } });
    expect(refused.allowed ? 0 : refused.exceeded.resetMs).toBeGreaterThan(5_000);
  });

  test('counts failed attempts whatever is left, and peeks without taking', async () => {
    const windows = createRedisWindows(redis);
    const check: LimitCheck = { counter: 'auth_failures', rule: { limit: 2, windowMs: MINUTE_MS }, key: '10.0.0.7' };
    const answers: boolean[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      answers.push((await windows.peekAttempt(check)).allowed);
      await windows.count(check);
    }
    expect(answers).toEqual([true, true, false]);
    expect(await windows.peekAttempt(check)).toMatchObject({ allowed: false, exceeded: { limit: 2, remaining: 0 } });
    expect(await redis.get(`rate:auth_failures:${MINUTE_MS}:10.0.0.7`)).toBe('3');
  });

  test('two replicas racing for the last slots get exactly the limit between them', async () => {
    const [one, two] = [createRedisWindows(redis), createRedisWindows(otherReplica)];
    const checks: LimitCheck[] = [{ counter: 'per_key', rule: { limit: 10, windowMs: MINUTE_MS }, key: 'race' }];
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? one : two).admit(checks, 1)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    expect(await redis.get(`rate:per_key:${MINUTE_MS}:race`)).toBe('10');
  });

  test('a window that ends admits again, for a whole new window', async () => {
    const windows = createRedisWindows(redis);
    // Long enough that the second call lands in the same window on a loaded machine.
    const checks: LimitCheck[] = [{ counter: 'per_key', rule: { limit: 1, windowMs: 2_000 }, key: 'turning' }];
    expect((await windows.admit(checks, 1)).allowed).toBe(true);
    expect((await windows.admit(checks, 1)).allowed).toBe(false);
    await expect.poll(async () => (await windows.admit(checks, 1)).allowed, { interval: 100 }).toBe(true);
    expect(await redis.pttl(`rate:per_key:2000:turning`)).toBeGreaterThan(0);
  });
});
