import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { callApi, readJson, temporalCli, waitUntil, waitUntilRoutedEverywhere } from '../support/cluster.js';

// The end-to-end core against the cluster: through the load balancer, on two API replicas and two workers.

let receiver: Receiver;
const ofType = (type: string) => receiver.requests.filter((r) => (JSON.parse(r.body) as { type: string }).type === type);

beforeAll(async () => {
  receiver = await startReceiver();
  const created = await callApi('/v1/endpoints', {
    body: {
      id: 'core',
      url: receiver.url,
      events: ['cluster.core.*'],
      signing: { secret_env: 'WEBHOOKS_ENDPOINT_CLUSTER_SIGNING' },
      retry: { schedule: ['1s', '1s'], jitter: 0 },
    },
  });
  expect(created.status).toBe(201);
  const probes = await waitUntilRoutedEverywhere('core', 'cluster.core.probe');
  // Arrived, so that none of them takes an answer a test scripts.
  await waitUntil('the probes arrived', () => probes.every((id) => receiver.requests.some((r) => r.headers['webhook-id'] === id)));
});
afterAll(async () => {
  await receiver.close();
});

describe('delivery through the cluster', () => {
  test('an event accepted by the load balancer arrives once, signed with the endpoint secret', async () => {
    const sent = await readJson(await callApi('/v1/events', { key: 'producer', body: { type: 'cluster.core.created', data: { n: 1 } } }));
    expect(sent.status).toBe(202);
    await expect.poll(() => ofType('cluster.core.created').length).toBe(1);
    const [request] = ofType('cluster.core.created');
    const verified = new Webhook(inject('cluster').signingSecret).verify(request?.body ?? '', {
      'webhook-id': String(request?.headers['webhook-id']),
      'webhook-timestamp': String(request?.headers['webhook-timestamp']),
      'webhook-signature': String(request?.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({ type: 'cluster.core.created', data: { n: 1 } });
    expect(request?.headers['webhook-id']).toBe(sent.body['id']);
  });

  test('a failed attempt is retried on the endpoint schedule, with the same webhook-id, and the report shows both', async () => {
    receiver.script({ status: 503 });
    const sent = await readJson(await callApi('/v1/events', { body: { type: 'cluster.core.retried' } }));
    await expect.poll(() => ofType('cluster.core.retried').length).toBe(2);
    expect(new Set(ofType('cluster.core.retried').map((r) => r.headers['webhook-id']))).toEqual(new Set([sent.body['id']]));
    await expect
      .poll(async () => {
        const report = await readJson(await callApi(`/v1/events/${String(sent.body['id'])}`));
        const [delivery] = report.body['deliveries'] as { attempts: { status_code: number }[] }[];
        return delivery?.attempts.map((attempt) => attempt.status_code);
      })
      .toEqual([503, 200]);
  });

  test('disable and enable by raw signal stop and restart deliveries on every replica', async () => {
    await temporalCli(['workflow', 'signal', '--workflow-id', 'endpoint/core', '--name', 'disable', '--input', '"maintenance"']);
    await expect.poll(async () => (await readJson(await callApi('/v1/endpoints/core'))).body['status']).toBe('disabled');
    // Both replicas route by what they follow of the entity: an event through each is cancelled for it.
    for (const base of inject('cluster').replicaUrls) {
      await expect
        .poll(async () => {
          const sent = await readJson(await callApi('/v1/events', { base, body: { type: 'cluster.core.while-disabled' } }));
          const report = await readJson(await callApi(`/v1/events/${String(sent.body['id'])}`, { base }));
          return (report.body['deliveries'] as { status: string }[])[0]?.status;
        })
        .toBe('cancelled');
    }
    await temporalCli(['workflow', 'signal', '--workflow-id', 'endpoint/core', '--name', 'enable']);
    const afterEnable = await waitUntilRoutedEverywhere('core', 'cluster.core.after-enable');
    expect(afterEnable).toHaveLength(inject('cluster').replicaUrls.length);
    const arrived = () => new Set(ofType('cluster.core.after-enable').map((r) => String(r.headers['webhook-id'])));
    await expect.poll(() => afterEnable.every((id) => arrived().has(id))).toBe(true);
  });

  test('redelivers an event with its original webhook-id, and lists it among the endpoint deliveries', async () => {
    const sent = await readJson(await callApi('/v1/events', { body: { type: 'cluster.core.replayed' } }));
    await expect.poll(() => ofType('cluster.core.replayed').length).toBe(1);
    const replay = await readJson(await callApi(`/v1/events/${String(sent.body['id'])}/redeliver`, { body: { endpoint_id: 'core' } }));
    expect(replay.status).toBe(202);
    await expect.poll(() => ofType('cluster.core.replayed').length).toBe(2);
    expect(ofType('cluster.core.replayed').map((r) => r.headers['webhook-id'])).toEqual([sent.body['id'], sent.body['id']]);

    await expect
      .poll(async () => {
        const listed = await readJson(await callApi('/v1/endpoints/core/deliveries?page_size=100'));
        return (listed.body['data'] as { event_id: string }[]).some((delivery) => delivery.event_id === sent.body['id']);
      })
      .toBe(true);
  });
});
