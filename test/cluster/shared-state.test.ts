import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { LIMITED_SOURCE, startDaemonRedis, stopDaemonRedis } from '../support/cluster-fixtures.js';
import { callApi, readJson, waitUntilRoutedEverywhere } from '../support/cluster.js';

// Two API replicas count one rate limit and keep one invocation log, in the cluster's Redis.

const callSource = (base: string, body: unknown): Promise<Response> =>
  fetch(`${base}/v1/sources/${LIMITED_SOURCE.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': inject('cluster').sourceSecret },
    body: JSON.stringify(body),
  });

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  const created = await callApi('/v1/endpoints', { body: { id: 'redis-down', url: receiver.url, events: ['cluster.redis.*'] } });
  expect(created.status).toBe(201);
  await waitUntilRoutedEverywhere('redis-down', 'cluster.redis.probe');
});
afterAll(async () => {
  // Whatever happened, the tier's Redis runs again for the files after this one.
  const { port, pidFile } = inject('cluster').redis;
  if (!(await isAnswering(port))) await startDaemonRedis(port, pidFile);
  await receiver.close();
});

/** `limit * 2` source calls, alternating between the replicas; their statuses. */
async function callBothReplicas(prefix: string): Promise<number[]> {
  const [first, second] = inject('cluster').replicaUrls as [string, string];
  const statuses: number[] = [];
  for (let call = 0; call < LIMITED_SOURCE.rate_limit.limit * 2; call += 1) {
    const response = await callSource(call % 2 === 0 ? first : second, { message: `${prefix} ${call}` });
    await response.body?.cancel();
    statuses.push(response.status);
  }
  return statuses;
}

const logScope = async (base: string): Promise<string | null> =>
  (await callApi(`/v1/sources/${LIMITED_SOURCE.id}/invocations`, { base })).headers.get('invocation-log-scope');

async function isAnswering(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('state shared by the API replicas', () => {
  test('a source limit of N accepts N calls in total across both replicas, not N on each', async () => {
    const limit = LIMITED_SOURCE.rate_limit.limit;
    const statuses = await callBothReplicas('shared');
    expect(statuses.filter((status) => status === 202)).toHaveLength(limit);
    expect(statuses.slice(limit)).toEqual(Array.from({ length: limit }, () => 429));
  });

  test('the load balancer tells the replicas the caller address, whatever X-Forwarded-For the caller sent', async () => {
    const response = await fetch(`${inject('cluster').apiUrl}/v1/sources/${LIMITED_SOURCE.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9', 'x-webhook-secret': 'not the secret' },
      body: '{"forged": true}',
    });
    expect(response.status).toBe(401);
    const log = await readJson(await callApi(`/v1/sources/${LIMITED_SOURCE.id}/invocations`));
    const [latest] = log.body['data'] as { source_ip: string; payload_excerpt: string }[];
    expect(latest).toMatchObject({ payload_excerpt: '{"forged": true}', source_ip: '127.0.0.1' });
  });

  test('the invocation log read from either replica shows the calls made to both', async () => {
    for (const base of inject('cluster').replicaUrls) {
      const log = await readJson(await callApi(`/v1/sources/${LIMITED_SOURCE.id}/invocations`, { base }));
      const invocations = log.body['data'] as { status: number; payload_excerpt?: string }[];
      // The calls to both replicas, and the forged one through the load balancer.
      expect(invocations).toHaveLength(LIMITED_SOURCE.rate_limit.limit * 2 + 1);
      expect(new Set(invocations.map((invocation) => invocation.status))).toEqual(new Set([202, 401, 429]));
    }
  });

  test('with Redis stopped, every replica keeps accepting events and counts limits on its own; shared again once it returns', async () => {
    const { port, pidFile } = inject('cluster').redis;
    const limit = LIMITED_SOURCE.rate_limit.limit;
    await stopDaemonRedis(pidFile);

    const accepted: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const sent = await readJson(await callApi('/v1/events', { key: 'producer', body: { type: 'cluster.redis.during-outage' } }));
      expect(sent.status).toBe(202);
      accepted.push(String(sent.body['id']));
    }
    // Degraded, not unlimited: each replica admits its own N, afresh in its memory.
    expect((await callBothReplicas('outage')).filter((status) => status === 202)).toHaveLength(limit * 2);
    for (const base of inject('cluster').replicaUrls) expect(await logScope(base)).toBe('process');
    const delivered = (): Set<string> => new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])));
    await expect.poll(() => accepted.filter((id) => !delivered().has(id))).toEqual([]);

    await startDaemonRedis(port, pidFile);
    for (const base of inject('cluster').replicaUrls) await expect.poll(() => logScope(base)).toBe('shared');
    // Counting in Redis again, afresh: N in total.
    expect((await callBothReplicas('after')).filter((status) => status === 202)).toHaveLength(limit);
  });
});
