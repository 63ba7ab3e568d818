import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import type { DeliveryReport } from '../../domain/delivery.js';
import type { WebhookEvent } from '../../domain/event.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent } from '../../workflows/index.js';
import { anEvent, aTarget } from '../support/builders.js';
import { eventsOfType } from '../support/history.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue } from '../support/temporal.js';

const { EventType } = proto.temporal.api.enums.v1;

// A worker stopped for a deploy lets the requests it is sending finish (delivery.shutdown_grace): cut off, each would
// be sent again by the next worker, though its receiver may already have acted on it.

let client: Client;
let receiver: Receiver;

beforeAll(async () => {
  client = await connectTestClient();
  receiver = await startReceiver({ defaultResponse: { status: 200, delayMs: 3_000 } });
});

afterAll(async () => {
  await receiver.close();
  await client.connection.close();
});

const requestsFor = (event: WebhookEvent) => receiver.requests.filter((request) => request.headers['webhook-id'] === event.id);

/** Starts a delivery on a worker of its own, and stops that worker while the receiver is still answering. */
async function stopMidRequest(name: string, options: { readonly shutdownGrace?: string; readonly version?: number } = {}) {
  const taskQueue = uniqueTaskQueue(name);
  const delivery = { allow_destinations: ['loopback'], ...(options.shutdownGrace ? { shutdown_grace: options.shutdownGrace } : {}) };
  const first = await startTestWorker(taskQueue, { config: ConfigSchema.parse({ delivery }) });
  const event = anEvent();
  const handle = await client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(event.id),
    taskQueue,
    args: [{ event, targets: [aTarget(receiver.url)], ...(options.version ? { version: options.version } : {}) }],
  });
  await expect.poll(() => requestsFor(event)).toHaveLength(1);
  await first.stop();
  return { taskQueue, event, handle };
}

/** The delivery's report, once a new worker on its queue has finished it. */
async function finishOnNextWorker(taskQueue: string, handle: WorkflowHandle<typeof deliverEvent>): Promise<DeliveryReport> {
  const next = await startTestWorker(taskQueue);
  try {
    return await handle.result();
  } finally {
    await next.stop();
  }
}

test('a worker stopped mid-request waits for the answer and records it, so the next worker sends nothing again', async () => {
  // Version 1: the attempt is an ordinary activity, which a stopping worker would otherwise cancel at once.
  const { taskQueue, event, handle } = await stopMidRequest('stop');

  expect(eventsOfType(await handle.fetchHistory(), EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED).length).toBeGreaterThan(0);
  const report = await finishOnNextWorker(taskQueue, handle);
  expect(report.status).toBe('succeeded');
  expect(report.deliveries[0]?.attempts).toHaveLength(1);
  expect(requestsFor(event)).toHaveLength(1);
});

test('an attempt cut off past the grace is not counted against the receiver: the next worker sends it again', async () => {
  // The answer takes 3 s; the stopping worker waits 200 ms for it. The target has no retries: a cut-off counted as
  // the receiver's failure would end the delivery as failed.
  const { taskQueue, event, handle } = await stopMidRequest('stop-cut', { shutdownGrace: '200ms' });

  const report = await finishOnNextWorker(taskQueue, handle);
  expect(report.status).toBe('succeeded');
  expect(report.deliveries[0]?.attempts).toHaveLength(1);
  expect(requestsFor(event)).toHaveLength(2);
});

test('a stopping worker waits for a local first attempt in flight, past the grace, and records it', async () => {
  // The current version runs the first attempt locally, inside the workflow task (the fast path). The grace (200 ms)
  // is for ordinary attempts: the local one (3 s) is waited for, inside its workflow task.
  const { event, handle } = await stopMidRequest('stop-local', { shutdownGrace: '200ms', version: DELIVERY_VERSION });

  // Over before the worker stopped: no other worker is needed to finish it.
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  const report = await handle.result();
  expect(report.status).toBe('succeeded');
  expect(report.deliveries[0]?.attempts).toHaveLength(1);
  expect(requestsFor(event)).toHaveLength(1);
});
