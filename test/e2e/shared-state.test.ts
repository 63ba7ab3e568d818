import { afterEach, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../config/schema.js';
import { startApi, type TestApi } from '../support/gateway.js';
import { Redis } from 'ioredis';
import { SHARED_REDIS_URL, deleteRedisKeys, startOwnRedis, uniqueRedisPrefix } from '../support/redis.js';

// Two API replicas sharing one Redis (the machine's, under a key prefix of each test's own): one rate limit between
// them, and one invocation log per source, whichever replica is asked.

const ENV = { KEY_A: 'key-a-0123456789abcdef', HOOK_SECRET: 'hook-secret-0123456789' };
const AUTH = { authorization: `Bearer ${ENV.KEY_A}` };

let replicas: TestApi[] = [];
let prefix: string | undefined;

afterEach(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  replicas = [];
  if (prefix) await deleteRedisKeys(prefix);
  prefix = undefined;
});

/** Two APIs as one deployment runs them: the same config, the same Redis and key prefix. */
async function startReplicas(api: NonNullable<ConfigInput['api']>, redis = true): Promise<[TestApi, TestApi]> {
  prefix = uniqueRedisPrefix('replicas');
  const input: Omit<ConfigInput, 'temporal'> = {
    api: {
      keys: [{ id: 'a', key_env: 'KEY_A', scopes: ['ingest', 'read'] }],
      ...(redis ? { redis_url: SHARED_REDIS_URL, redis_key_prefix: prefix } : {}),
      ...api,
    },
    sources: [{ id: 'hooks', event_type: 'hook.called', auth: { mode: 'secret', secret_env: 'HOOK_SECRET' } }],
  };
  replicas = [await startApi(input, ENV), await startApi(input, ENV)];
  return replicas as [TestApi, TestApi];
}

function send(replica: TestApi, headers: Record<string, string> = AUTH): Promise<Response> {
  return fetch(`${replica.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ type: 'shared.probe' }),
  });
}

function callSource(replica: TestApi, body: string): Promise<Response> {
  return fetch(`${replica.url}/v1/sources/hooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': ENV.HOOK_SECRET },
    body,
  });
}

async function readLog(replica: TestApi): Promise<{ scope: string | null; excerpts: string[] }> {
  const response = await fetch(`${replica.url}/v1/sources/hooks/invocations`, { headers: AUTH });
  expect(response.status).toBe(200);
  const { data } = (await response.json()) as { data: { payload_excerpt: string }[] };
  return { scope: response.headers.get('invocation-log-scope'), excerpts: data.map((entry) => entry.payload_excerpt) };
}

describe('API replicas sharing Redis', () => {
  test('admit a key’s limit between them, not once each, and the 429 carries Retry-After', async () => {
    const [a, b] = await startReplicas({ rate_limits: { global: null, per_key: { limit: 3, window: '1m' } } });
    const responses = [await send(a), await send(b), await send(a), await send(b), await send(a)];

    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 429, 429]);
    expect(responses.slice(0, 3).map((response) => response.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(Number(responses[3]?.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(await responses[3]?.json()).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), status: 429 });
  });

  test('share the global limit and count a batch’s events on whichever replica it came', async () => {
    const [a, b] = await startReplicas({ rate_limits: { global: { limit: 4, window: '1m' }, per_key: null } });
    const batch = await fetch(`${a.url}/v1/events/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ events: [{ type: 'shared.probe' }, { type: 'shared.probe' }, { type: 'shared.probe' }] }),
    });
    expect(batch.status).toBe(202);
    expect([(await send(b)).status, (await send(b)).status]).toEqual([202, 429]);
  });

  test('count failed keys from an address together, so guessing on another replica gains nothing', async () => {
    const [a, b] = await startReplicas({ rate_limits: { auth_failures: { limit: 2, window: '1m' } } });
    const guess = { authorization: 'Bearer guessed-0123456789abcdef' };
    const statuses = [
      (await send(a, guess)).status,
      (await send(b, guess)).status,
      (await send(a, guess)).status,
      (await send(b, guess)).status,
    ];
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect((await send(b)).status).toBe(202);
  });

  test('show a source’s calls to both in its invocation log, from either, newest first and capped', async () => {
    const [a, b] = await startReplicas({ invocation_log_size: 4 });
    for (let call = 1; call <= 6; call++) expect((await callSource(call % 2 === 1 ? a : b, `{"call":${call}}`)).status).toBe(202);

    const newestFour = ['{"call":6}', '{"call":5}', '{"call":4}', '{"call":3}'];
    await expect.poll(() => readLog(a)).toEqual({ scope: 'shared', excerpts: newestFour });
    expect(await readLog(b)).toEqual({ scope: 'shared', excerpts: newestFour });
  });

  test('without api.redis_url, each keeps its own log and says so', async () => {
    const [a, b] = await startReplicas({}, false);
    expect((await callSource(a, '{"call":"a"}')).status).toBe(202);
    expect(await readLog(a)).toEqual({ scope: 'process', excerpts: ['{"call":"a"}'] });
    expect(await readLog(b)).toEqual({ scope: 'process', excerpts: [] });
  });

  test('close their connection to Redis when they close', async () => {
    const own = await startOwnRedis();
    const observer = new Redis(own.url);
    const apiConnections = async () =>
      String(await observer.client('LIST'))
        .split('\n')
        .filter((line) => line.includes('name=temporal-webhooks-api')).length;
    try {
      const api = await startApi({ api: { redis_url: own.url } });
      expect(await apiConnections()).toBe(1);
      await api.stop();
      await expect.poll(apiConnections).toBe(0);
    } finally {
      observer.disconnect();
      await own.kill();
    }
  });
});
