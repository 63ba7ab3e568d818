import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import { EndpointSchema } from '../../domain/endpoint.js';
import { endpointWorkflowId, eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent, webhookEndpoint } from '../../workflows/index.js';
import { anEvent, aTarget } from '../support/builders.js';
import { eventsOfType, timerSummaries } from '../support/history.js';
import { connectTestClient, startTestWorker, stopsWithin, uniqueTaskQueue } from '../support/temporal.js';

// A local first attempt to a rate-limited endpoint whose entity does not answer (its worker is away, or the server is
// too loaded to run the update in time) comes back unsent, and the delivery goes on as ordinary attempts. Had the local
// attempt failed instead, the SDK's core would retry it inside the workflow task, backing off up to a minute, even on
// a worker asked to stop (temporalio/sdk-rust#709), which then could not stop.

let client: Client;
let receiver: Receiver;

beforeAll(async () => {
  client = await connectTestClient();
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await client.connection.close();
});

test('a local attempt its entity leaves unanswered goes on as ordinary attempts; its worker stops, and the next one delivers', async () => {
  // The entity runs on a queue no worker polls yet, so no update to it is answered.
  const entityQueue = uniqueTaskQueue('slot-entity');
  const endpoint = EndpointSchema.parse({
    id: `ep-unanswered-${Date.now().toString(36)}`,
    url: receiver.url,
    events: ['order.*'],
    rate_limit: { requests: 5, per: '1s' },
  });
  const entity = await client.workflow.start(webhookEndpoint, {
    workflowId: endpointWorkflowId(endpoint.id),
    taskQueue: entityQueue,
    args: [{ endpoint, source: 'api' }],
  });

  const deliveryQueue = uniqueTaskQueue('slot-delivery');
  const first = await startTestWorker(deliveryQueue);
  const event = anEvent();
  const handle = await client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(event.id),
    taskQueue: deliveryQueue,
    args: [
      {
        event,
        targets: [aTarget(receiver.url, { endpointId: endpoint.id, rateLimit: { requests: 5, perMs: 1_000 } })],
        version: DELIVERY_VERSION,
      },
    ],
  });

  // The local first attempt came back unsent; after the entity's second, the delivery went on as ordinary attempts.
  const { EVENT_TYPE_ACTIVITY_TASK_SCHEDULED } = proto.temporal.api.enums.v1.EventType;
  const ordinaryAttempts = async () => eventsOfType(await handle.fetchHistory(), EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length;
  await expect.poll(ordinaryAttempts, { timeout: 30_000 }).toBe(1);
  // Those fail while the entity is away and Temporal retries them, on the server: the worker stops within its grace.
  expect(await stopsWithin(first, 30_000)).toBe(true);

  const entityWorker = await startTestWorker(entityQueue);
  const next = await startTestWorker(deliveryQueue);
  try {
    const report = await handle.result();
    expect(report.status).toBe('succeeded');
    // Waiting for the entity is no attempt: the first one is the one that was sent.
    expect(report.deliveries[0]?.attempts).toEqual([expect.objectContaining({ attempt: 1, verdict: 'delivered' })]);
    expect(receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(1);
    // Each wait is followed by one ordinary attempt, however long the entity was away: their retries add nothing to
    // history. (Asks that timed out while it was away may still be granted once it is back, spending slots, so the
    // real request can be refused once more: a second wait, a second attempt.)
    const summaries = timerSummaries(await handle.fetchHistory());
    expect(summaries.length).toBeGreaterThan(0);
    for (const summary of summaries) expect(summary).toMatch(new RegExp(`^rate limit ${endpoint.id}: next slot in `));
    expect(await ordinaryAttempts()).toBe(summaries.length);
  } finally {
    await entity.terminate('test over').catch(() => undefined);
    await next.stop();
    await entityWorker.stop();
  }
}, 180_000);
