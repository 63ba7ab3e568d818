import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import { EndpointSchema } from '../../domain/endpoint.js';
import { endpointWorkflowId, eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent, deliveriesQuery, webhookEndpoint } from '../../workflows/index.js';
import { anEvent, aTarget } from '../support/builders.js';
import { timerSummaries } from '../support/history.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue } from '../support/temporal.js';

// A local first attempt to a rate-limited endpoint whose entity does not answer (its worker is away, or the server is
// too loaded to run the update in time) waits on the delivery's own timer. Had the attempt failed instead, the SDK's
// core would retry it inside the workflow task, backing off up to a minute, even on a worker asked to stop
// (temporalio/sdk-rust#709), which then could not stop.

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

test('a local attempt its entity leaves unanswered waits on a timer; its worker stops, and the next one delivers', async () => {
  // The entity runs on a queue no worker polls yet, so no update to it is answered.
  const entityQueue = uniqueTaskQueue('slot-entity');
  const endpoint = EndpointSchema.parse({
    id: `ep-unanswered-${Date.now().toString(36)}`,
    url: receiver.url,
    events: ['order.*'],
    rate_limit: { requests: 5, per: '1s' },
  });
  await client.workflow.start(webhookEndpoint, {
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

  // The delivery says why it waits, and when it asks again.
  await expect
    .poll(async () => (await handle.query(deliveriesQuery)).deliveries[0], { timeout: 30_000 })
    .toMatchObject({
      status: 'pending',
      reason: 'waiting for the rate limit (5 per 1s): its entity did not answer in time',
      nextAttemptAt: expect.any(String),
    });
  // Between two asks the workflow task is complete, so the worker stops within its grace rather than retrying.
  await first.stop();

  const entityWorker = await startTestWorker(entityQueue);
  const next = await startTestWorker(deliveryQueue);
  try {
    const report = await handle.result();
    expect(report.status).toBe('succeeded');
    // Waiting for the entity is no attempt: the first one is the one that was sent.
    expect(report.deliveries[0]?.attempts).toEqual([expect.objectContaining({ attempt: 1, verdict: 'delivered' })]);
    expect(receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(1);
    const summaries = timerSummaries(await handle.fetchHistory());
    expect(summaries.length).toBeGreaterThan(0);
    for (const summary of summaries) expect(summary).toMatch(new RegExp(`^rate limit ${endpoint.id}: next slot in `));
  } finally {
    await next.stop();
    await entityWorker.stop();
  }
});
