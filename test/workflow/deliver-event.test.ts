import type { Client } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import type { DeliveryReport } from '../../domain/delivery.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent, deliveriesQuery, type DeliverEventInput } from '../../workflows/index.js';
import { deliveryStatusKey, retryingEndpointIdsKey } from '../../workflows/search-attributes.js';
import { anEvent, aTarget, retryAfter } from '../support/builders.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue, type TestWorker } from '../support/temporal.js';

let client: Client;
let worker: TestWorker;
let taskQueue: string;
const receivers: Receiver[] = [];

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

async function run(input: DeliverEventInput): Promise<DeliveryReport> {
  return client.workflow.execute(deliverEvent, { workflowId: eventWorkflowId(input.event.id), taskQueue, args: [input] });
}

beforeAll(async () => {
  client = await connectTestClient();
  taskQueue = uniqueTaskQueue('deliver-event');
  worker = await startTestWorker(taskQueue);
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await worker.stop();
  await client.connection.close();
});

describe('deliverEvent', () => {
  test('POSTs the envelope once to every target and reports each delivery as succeeded', async () => {
    const [first, second] = [await receiver(), await receiver()];
    const event = anEvent();
    const report = await run({
      event,
      targets: [
        aTarget(first.url, { endpointId: 'first' }),
        aTarget(second.url, { endpointId: 'second', headers: { 'X-Team': 'billing' } }),
      ],
    });

    expect(report.status).toBe('succeeded');
    expect(report.deliveries.map((d) => [d.endpointId, d.status, d.attempts.length])).toEqual([
      ['first', 'succeeded', 1],
      ['second', 'succeeded', 1],
    ]);
    for (const r of [first, second]) {
      expect(r.requests).toHaveLength(1);
      const [request] = r.requests;
      expect(request?.method).toBe('POST');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers['webhook-id']).toBe(event.id);
      expect(JSON.parse(request?.body ?? '')).toEqual({ type: event.type, timestamp: event.timestamp, data: event.data });
    }
    expect(second.requests[0]?.headers['x-team']).toBe('billing');
  });

  test('retries a retryable answer on the schedule and keeps the same webhook-id on every attempt', async () => {
    const r = await receiver();
    r.script({ status: 500 }, { status: 500 });
    const report = await run({ event: anEvent(), targets: [aTarget(r.url, { retry: retryAfter([300, 600]) })] });

    const [delivery] = report.deliveries;
    expect(delivery?.status).toBe('succeeded');
    expect(delivery?.attempts.map((a) => [a.attempt, a.statusCode, a.verdict])).toEqual([
      [1, 500, 'retryable'],
      [2, 500, 'retryable'],
      [3, 200, 'delivered'],
    ]);
    expect(r.requests).toHaveLength(3);
    const times = r.requests.map((request) => request.receivedAt);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(300);
    expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(600);
    expect(new Set(r.requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
  });

  test('does not retry an answer that will not change, such as 400', async () => {
    const r = await receiver();
    r.script({ status: 400, body: 'bad payload' });
    const report = await run({ event: anEvent(), targets: [aTarget(r.url, { retry: retryAfter([100, 100]) })] });

    expect(report.status).toBe('failed');
    expect(report.deliveries[0]?.attempts).toHaveLength(1);
    expect(report.deliveries[0]?.attempts[0]).toMatchObject({ statusCode: 400, verdict: 'rejected', responseBodyExcerpt: 'bad payload' });
    expect(r.requests).toHaveLength(1);
  });

  test('fails the delivery once the schedule is used up, and the search attribute says so', async () => {
    const r = await receiver();
    r.script({ status: 500 }, { status: 500 }, { status: 500 });
    const event = anEvent();
    const report = await run({ event, targets: [aTarget(r.url, { retry: retryAfter([100, 100]) })] });

    expect(report.status).toBe('failed');
    expect(report.deliveries[0]?.attempts).toHaveLength(3);
    const description = await client.workflow.getHandle(eventWorkflowId(event.id)).describe();
    expect(description.typedSearchAttributes.get(deliveryStatusKey)).toBe('failed');
  });

  test('waits as long as Retry-After asks on a 429, not as long as the schedule says', async () => {
    const r = await receiver();
    r.script({ status: 429, headers: { 'retry-after': '2' } });
    const report = await run({ event: anEvent(), targets: [aTarget(r.url, { retry: retryAfter([60_000]) })] });

    expect(report.deliveries[0]?.attempts.map((a) => [a.statusCode, a.verdict])).toEqual([
      [429, 'retryable'],
      [200, 'delivered'],
    ]);
    const gapMs = (r.requests[1]?.receivedAt ?? 0) - (r.requests[0]?.receivedAt ?? 0);
    expect(gapMs).toBeGreaterThanOrEqual(2_000);
    expect(gapMs).toBeLessThan(30_000);
  });

  test('stops at once on 410 Gone and says the endpoint is gone', async () => {
    const r = await receiver();
    r.script({ status: 410 });
    const report = await run({ event: anEvent(), targets: [aTarget(r.url, { retry: retryAfter([100]) })] });

    expect(report.deliveries[0]).toMatchObject({ status: 'failed', reason: 'the endpoint answered 410 Gone' });
    expect(report.deliveries[0]?.attempts.map((a) => a.verdict)).toEqual(['gone']);
  });

  test('retries an attempt that timed out', async () => {
    const r = await receiver();
    r.script({ status: 200, delayMs: 2_000 });
    const report = await run({ event: anEvent(), targets: [aTarget(r.url, { timeoutMs: 500, retry: retryAfter([100]) })] });

    expect(report.deliveries[0]?.attempts.map((a) => [a.errorClass, a.statusCode, a.verdict])).toEqual([
      ['timeout', undefined, 'retryable'],
      [undefined, 200, 'delivered'],
    ]);
  });

  test('retries a 4xx listed in retry_on_status', async () => {
    const r = await receiver();
    r.script({ status: 404 });
    const report = await run({ event: anEvent(), targets: [aTarget(r.url, { retry: retryAfter([100]), retryOnStatus: [404] })] });
    expect(report.deliveries[0]?.attempts.map((a) => a.statusCode)).toEqual([404, 200]);
  });

  test('records a refused connection as a retryable transport error', async () => {
    const closed = await receiver();
    const url = closed.url;
    await closed.close();
    const report = await run({ event: anEvent(), targets: [aTarget(url)] });

    expect(report.deliveries[0]?.attempts[0]).toMatchObject({ verdict: 'retryable', errorClass: 'connection_refused' });
    expect(report.deliveries[0]?.attempts[0]?.statusCode).toBeUndefined();
  });

  test('answers the deliveries query while a retry waits, with the time of the next attempt', async () => {
    const r = await receiver();
    r.script({ status: 502 });
    const event = anEvent();
    const handle = await client.workflow.start(deliverEvent, {
      workflowId: eventWorkflowId(event.id),
      taskQueue,
      args: [{ event, targets: [aTarget(r.url, { endpointId: 'slow-to-recover', retry: retryAfter([3_000]) })] }],
    });
    await r.waitForRequests(1);

    let waiting: DeliveryReport | undefined;
    await expect
      .poll(async () => (waiting = await handle.query(deliveriesQuery)).deliveries[0]?.status, { timeout: 5_000 })
      .toBe('retrying');
    expect(waiting?.status).toBe('retrying');
    expect(Date.parse(waiting?.deliveries[0]?.nextAttemptAt ?? '')).toBeGreaterThan(
      Date.parse(waiting?.deliveries[0]?.attempts[0]?.startedAt ?? ''),
    );
    expect((await handle.describe()).typedSearchAttributes.get(deliveryStatusKey)).toBe('retrying');

    expect((await handle.result()).status).toBe('succeeded');
  });

  test('from version 5, names the endpoints waiting to retry beside the status, until their deliveries end', async () => {
    const [recovering, slow] = [await receiver(), await receiver()];
    recovering.script({ status: 502 });
    slow.script({ status: 200, delayMs: 10_000 });
    const event = anEvent();
    const handle = await client.workflow.start(deliverEvent, {
      workflowId: eventWorkflowId(event.id),
      taskQueue,
      args: [
        {
          event,
          version: DELIVERY_VERSION,
          targets: [
            // Ordinary activities: a local first attempt would hold the workflow task, and its writes, until both answer.
            aTarget(recovering.url, { endpointId: 'recovering', retry: retryAfter([3_000]), firstAttemptAsActivity: true }),
            aTarget(slow.url, { endpointId: 'slow', timeoutMs: 20_000, firstAttemptAsActivity: true }),
          ],
        },
      ],
    });
    const shown = async (): Promise<[unknown, unknown]> => {
      const attributes = (await handle.describe()).typedSearchAttributes;
      return [attributes.get(deliveryStatusKey), attributes.get(retryingEndpointIdsKey)];
    };
    await expect.poll(shown, { timeout: 10_000, interval: 50 }).toEqual(['retrying', ['recovering']]);
    // Its retry succeeded while the other endpoint's first attempt is still in flight: no retry is waiting any more.
    await expect.poll(shown, { timeout: 10_000, interval: 50 }).toEqual(['pending', undefined]);
    expect((await handle.result()).status).toBe('succeeded');
    expect(await shown()).toEqual(['succeeded', undefined]);
  });

  test('leaves a delivery of a newer version than it knows to a newer worker: its workflow task fails, the delivery waits', async () => {
    const r = await receiver();
    const event = anEvent();
    const handle = await client.workflow.start(deliverEvent, {
      workflowId: eventWorkflowId(event.id),
      taskQueue,
      args: [{ event, version: DELIVERY_VERSION + 1, targets: [aTarget(r.url)] }],
    });
    try {
      await expect
        .poll(async () => JSON.stringify((await handle.fetchHistory()).events ?? []), { timeout: 15_000 })
        .toContain(`newer than this worker's (${DELIVERY_VERSION})`);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(r.requests).toHaveLength(0);
    } finally {
      await handle.terminate('test over');
    }
  });

  test('keeps at most maxConcurrentDeliveries endpoints in flight at once', async () => {
    const r = await receiver();
    r.script(...Array.from({ length: 6 }, () => ({ status: 200, delayMs: 300 })));
    const targets = Array.from({ length: 6 }, (_, index) => aTarget(r.url, { endpointId: `ep-${index}` }));
    const report = await run({ event: anEvent(), targets, maxConcurrentDeliveries: 2 });

    expect(report.status).toBe('succeeded');
    expect(r.requests).toHaveLength(6);
    expect(r.peakConcurrency).toBe(2);
  });

  test('does not let an endpoint waiting for its retry hold a delivery slot', async () => {
    const failing = await receiver();
    const healthy = await receiver();
    failing.script({ status: 500 });
    const report = await run({
      event: anEvent(),
      targets: [
        aTarget(failing.url, { endpointId: 'failing', retry: retryAfter([2_000]) }),
        aTarget(healthy.url, { endpointId: 'healthy' }),
      ],
      maxConcurrentDeliveries: 1,
    });

    expect(report.status).toBe('succeeded');
    expect(healthy.requests[0]?.receivedAt).toBeLessThan(failing.requests[1]?.receivedAt ?? 0);
  });

  test('a delivery routed to a paused endpoint whose entity has ended is cancelled, not sent', async () => {
    const target = await receiver();
    // Routed while the endpoint was paused; its entity is gone by the time the delivery asks it to hold (deleted).
    const report = await run({
      event: anEvent(),
      targets: [{ ...aTarget(target.url, { endpointId: 'gone-before-hold' }), statusVersion: 2, holdReason: 'deploying' }],
    });
    expect(report.deliveries).toEqual([
      expect.objectContaining({
        status: 'cancelled',
        reason: 'endpoint gone-before-hold has no entity to hold this delivery (deleted or terminated)',
        attempts: [],
      }),
    ]);
    expect(target.requests).toHaveLength(0);
  });

  test('completes at once, as succeeded, when no endpoint subscribed', async () => {
    const report = await run({ event: anEvent(), targets: [] });
    expect(report).toMatchObject({ status: 'succeeded', deliveries: [] });
  });
});
