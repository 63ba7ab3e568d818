import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../config/schema.js';
import { createLogger } from '../../host/logger.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startApi, startGateway, type TestApi, type TestGateway } from '../support/gateway.js';
import { startOwnRedis, uniqueRedisPrefix, type OwnRedis } from '../support/redis.js';

// Redis dies under two API replicas and comes back, as docs/operations.md ("When Redis is unreachable") promises:
// events are still accepted and delivered, each replica then enforces the limits on its own, one warning is logged,
// and shared counting resumes once Redis answers again; an API whose Redis is down starts without it. The Redis is
// each test's own, so that it can be killed.

const ENV = {
  KEY_BEFORE: 'key-before-0123456789',
  KEY_DURING: 'key-during-0123456789',
  KEY_REPLAY: 'key-replay-0123456789',
  KEY_AFTER: 'key-after-01234567890',
  HOOK_SECRET: 'hook-secret-0123456789',
};
const LIMIT = 3;

let redis: OwnRedis;
let receiver: Receiver;
let a: TestGateway;
let b: TestApi;
const logs = { a: [] as Record<string, unknown>[], b: [] as Record<string, unknown>[] };

function sinkInto(lines: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
}

beforeAll(async () => {
  redis = await startOwnRedis();
  receiver = await startReceiver();
  const input: Omit<ConfigInput, 'temporal'> = {
    api: {
      keys: Object.keys(ENV)
        .filter((name) => name.startsWith('KEY_'))
        .map((name) => ({ id: name.toLowerCase(), key_env: name, scopes: ['ingest' as const, 'read' as const] })),
      rate_limits: { global: null, per_key: { limit: LIMIT, window: '1m' } },
      redis_url: redis.url,
      redis_key_prefix: uniqueRedisPrefix('outage'),
    },
    sources: [{ id: 'hooks', event_type: 'hook.called', auth: { mode: 'secret', secret_env: 'HOOK_SECRET' } }],
    endpoints: [{ id: 'all', url: receiver.url, events: ['*'] }],
    delivery: { retry: { schedule: [] } },
  };
  // Replica a runs a worker too, so that what it accepts is seen delivered; b is an API alone.
  a = await startGateway(input, ENV, { logger: createLogger('api', 'info', sinkInto(logs.a)) });
  b = await startApi(input, ENV, createLogger('api', 'info', sinkInto(logs.b)));
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await receiver?.close();
  await redis?.kill();
});

function send(replica: { url: string }, key: string, body: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${replica.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ type: 'outage.probe', ...body }),
  });
}

async function statuses(...calls: [{ url: string }, string][]): Promise<number[]> {
  const result: number[] = [];
  for (const [replica, key] of calls) result.push((await send(replica, key)).status);
  return result;
}

const messages = (lines: Record<string, unknown>[], level: number, text: string): unknown[] =>
  lines.filter((line) => line['level'] === level && String(line['msg']).startsWith(text));
const WARN = 40;
const INFO = 30;

describe('when Redis is unreachable', () => {
  test('two replicas keep accepting events, enforce the limits each on its own, warn once, and share again once Redis is back', async () => {
    expect(await statuses([a, ENV.KEY_BEFORE], [b, ENV.KEY_BEFORE], [a, ENV.KEY_BEFORE], [b, ENV.KEY_BEFORE])).toEqual([
      202, 202, 202, 429,
    ]);

    await redis.kill();
    const killedAt = Date.now();
    await expect.poll(() => messages(logs.a, WARN, 'Redis is unreachable').length).toBe(1);
    await expect.poll(() => messages(logs.b, WARN, 'Redis is unreachable').length).toBe(1);

    // Each replica counts its own share now: degraded, not unlimited, and never waiting for Redis.
    const started = Date.now();
    const during = await statuses(...Array.from({ length: LIMIT + 1 }, (): [TestGateway, string] => [a, ENV.KEY_DURING]));
    const refusedAt = Date.now();
    expect(during).toEqual([202, 202, 202, 429]);
    // A request waiting on Redis would take its command timeout, again and again: seconds, not this.
    expect(refusedAt - started).toBeLessThan(10_000);
    const onB = await statuses(...Array.from({ length: LIMIT + 1 }, (): [TestApi, string] => [b, ENV.KEY_DURING]));
    expect(onB).toEqual([202, 202, 202, 429]);

    // Accepted means stored and delivered, and a repeated id is still a replay: none of it lives in Redis.
    const first = await send(a, ENV.KEY_REPLAY, { id: 'outage-event-1', data: { n: 1 } });
    expect(first.status).toBe(202);
    await expect.poll(() => receiver.requests.some((request) => request.headers['webhook-id'] === 'outage-event-1')).toBe(true);
    const repeat = await send(b, ENV.KEY_REPLAY, { id: 'outage-event-1', data: { n: 1 } });
    expect(repeat.status).toBe(202);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    const onlyB = (await (await send(b, ENV.KEY_REPLAY, { id: 'outage-event-2' })).json()) as { workflow_id: string };
    expect((await b.client.workflow.getHandle(onlyB.workflow_id).describe()).type).toBe('deliverEvent');

    // A source's log falls back to this process's calls, and says so.
    const call = await fetch(`${a.url}/v1/sources/hooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': ENV.HOOK_SECRET },
      body: '{"during":"outage"}',
    });
    expect(call.status).toBe(202);
    const log = await fetch(`${a.url}/v1/sources/hooks/invocations`, { headers: { authorization: `Bearer ${ENV.KEY_REPLAY}` } });
    expect(log.headers.get('invocation-log-scope')).toBe('process');
    expect(((await log.json()) as { data: { payload_excerpt: string }[] }).data[0]?.payload_excerpt).toBe('{"during":"outage"}');

    // One warning each per 30 s of outage, however many requests went by (one, unless this machine is very slow).
    const warningsAllowed = 1 + Math.floor((Date.now() - killedAt) / 30_000);
    expect(messages(logs.a, WARN, 'Redis is unreachable').length).toBeLessThanOrEqual(warningsAllowed);
    expect(messages(logs.b, WARN, 'Redis is unreachable').length).toBeLessThanOrEqual(warningsAllowed);

    await redis.start();
    await expect.poll(() => messages(logs.a, INFO, 'Redis is reachable again').length).toBe(1);
    await expect.poll(() => messages(logs.b, INFO, 'Redis is reachable again').length).toBe(1);
    expect(await statuses([a, ENV.KEY_AFTER], [b, ENV.KEY_AFTER], [a, ENV.KEY_AFTER], [b, ENV.KEY_AFTER])).toEqual([202, 202, 202, 429]);
    const shared = await fetch(`${b.url}/v1/sources/hooks/invocations`, { headers: { authorization: `Bearer ${ENV.KEY_REPLAY}` } });
    expect(shared.headers.get('invocation-log-scope')).toBe('shared');
  });

  test('an API whose Redis is down when it starts starts all the same, and shares once Redis comes up', async () => {
    const late = await startOwnRedis();
    await late.kill();
    const lines: Record<string, unknown>[] = [];
    const input = {
      api: { redis_url: late.url },
      sources: [{ id: 'hooks', event_type: 'hook.called', auth: { mode: 'secret' as const, secret_env: 'HOOK_SECRET' } }],
    };
    const api = await startApi(input, ENV, createLogger('api', 'info', sinkInto(lines)));
    try {
      const post = () =>
        fetch(`${api.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"outage.probe"}' });
      expect((await post()).status).toBe(202);
      const scope = async () => (await fetch(`${api.url}/v1/sources/hooks/invocations`)).headers.get('invocation-log-scope');
      expect(await scope()).toBe('process');
      expect(messages(lines, WARN, 'Redis is unreachable')).toHaveLength(1);

      await late.start();
      await expect.poll(scope).toBe('shared');
      expect((await post()).status).toBe(202);
    } finally {
      await api.stop();
      await late.kill();
    }
  });
});
