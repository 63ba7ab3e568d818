import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DeliveryReport } from '../../domain/delivery.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import type { deliverEvent } from '../../workflows/index.js';
import { postJson, startGateway, type TestGateway } from '../support/gateway.js';

interface Accepted {
  readonly id: string;
  readonly workflow_id: string;
}

let gateway: TestGateway;
let orders: Receiver;
let everything: Receiver;
let refunds: Receiver;
let paused: Receiver;

beforeAll(async () => {
  [orders, everything, refunds, paused] = await Promise.all([startReceiver(), startReceiver(), startReceiver(), startReceiver()]);
  gateway = await startGateway({
    delivery: { retry: { schedule: [] }, allow_destinations: ['loopback'] },
    endpoints: [
      { id: 'orders', url: orders.url, events: ['order.*'] },
      { id: 'everything', url: everything.url, events: ['*'] },
      { id: 'refunds', url: refunds.url, events: ['order.refunded', 'payment.refunded'] },
      { id: 'switched-off', url: paused.url, events: ['*'], enabled: false },
    ],
  });
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([orders, everything, refunds, paused].map((r) => r.close()));
});

async function deliveryReport(workflowId: string): Promise<DeliveryReport> {
  return gateway.client.workflow.getHandle<typeof deliverEvent>(workflowId).result();
}

describe('POST /v1/events', () => {
  test('answers 202 with the event id and delivers the envelope to the subscribed endpoint', async () => {
    const response = await postJson(gateway, '/v1/events', { id: 'evt_e2e_first', type: 'order.created', data: { order_id: 'o_1' } });

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ id: 'evt_e2e_first', workflow_id: 'event/evt_e2e_first' });
    const [request] = await orders.waitForRequests(1);
    expect(request?.headers['webhook-id']).toBe('evt_e2e_first');
    expect(JSON.parse(request?.body ?? '')).toMatchObject({ type: 'order.created', data: { order_id: 'o_1' } });
  });

  test('routes by pattern: prefix, everything and exact, and records a disabled subscriber as skipped', async () => {
    const body = (await (await postJson(gateway, '/v1/events', { type: 'order.refunded', data: {} })).json()) as Accepted;
    const report = await deliveryReport(body.workflow_id);

    expect(report.deliveries.map((d) => [d.endpointId, d.status])).toEqual([
      ['orders', 'succeeded'],
      ['everything', 'succeeded'],
      ['refunds', 'succeeded'],
      ['switched-off', 'cancelled'],
    ]);
    expect(report.deliveries[3]?.reason).toBe('skipped: endpoint disabled (disabled in its definition)');
    expect(await (await gateway.client.workflow.getHandle(body.workflow_id).describe()).staticSummary()).toBe(
      'order.refunded → 4 endpoints',
    );
    expect(report.deliveries[3]?.attempts).toEqual([]);
    expect(report.status).toBe('succeeded');
    expect(paused.requests).toHaveLength(0);
  });

  test('gives an event without an id a fresh one', async () => {
    const body = (await (await postJson(gateway, '/v1/events', { type: 'invoice.paid' })).json()) as Accepted;
    expect(body.id).toMatch(/^evt_[0-9a-z]+$/);
    const report = await deliveryReport(body.workflow_id);
    expect(report.deliveries.map((d) => d.endpointId)).toEqual(['everything', 'switched-off']);
  });

  test('accepts an event no endpoint subscribes to, and records it', async () => {
    const otherGateway = await startGateway({ endpoints: [{ id: 'orders-only', url: orders.url, events: ['order.*'] }] });
    try {
      const response = await postJson(otherGateway, '/v1/events', { type: 'user.deleted' });
      expect(response.status).toBe(202);
      const report = await otherGateway.client.workflow.getHandle(((await response.json()) as Accepted).workflow_id).result();
      expect(report).toMatchObject({ status: 'succeeded', deliveries: [] });
    } finally {
      await otherGateway.stop();
    }
  });

  test('delivers a repeated id once, whether the first delivery is running or finished', async () => {
    const event = { id: 'evt_e2e_repeat', type: 'payment.refunded', data: { amount: 5 } };
    const [first, whileRunning] = await Promise.all([postJson(gateway, '/v1/events', event), postJson(gateway, '/v1/events', event)]);
    const firstBody = (await first.json()) as Accepted;
    await deliveryReport(firstBody.workflow_id);
    const afterFinished = await postJson(gateway, '/v1/events', event);

    for (const response of [first, whileRunning, afterFinished]) expect(response.status).toBe(202);
    expect(await whileRunning.json()).toEqual(firstBody);
    expect(await afterFinished.json()).toEqual(firstBody);
    expect(afterFinished.headers.get('idempotent-replayed')).toBe('true');
    expect([first, whileRunning].filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
    expect(refunds.requests.filter((r) => r.headers['webhook-id'] === event.id)).toHaveLength(1);
  });
});
