import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent } from '../../workflows/index.js';
import { anEvent, aTarget } from '../support/builders.js';
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

test('a worker stopped mid-request waits for the answer and records it, so the next worker sends nothing again', async () => {
  const taskQueue = uniqueTaskQueue('stop');
  const first = await startTestWorker(taskQueue);
  const event = anEvent();
  // Version 1: the attempt is an ordinary activity, which a stopping worker would otherwise cancel at once.
  const handle = await client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(event.id),
    taskQueue,
    args: [{ event, targets: [aTarget(receiver.url)] }],
  });
  await receiver.waitForRequests(1);

  await first.stop();

  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.some((entry) => entry.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)).toBe(true);
  expect(events.some((entry) => entry.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)).toBe(false);
  const second = await startTestWorker(taskQueue);
  try {
    const report = await handle.result();
    expect(report.status).toBe('succeeded');
    expect(report.deliveries[0]?.attempts).toHaveLength(1);
    expect(receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(1);
  } finally {
    await second.stop();
  }
});

test('an attempt cut off past the grace is not counted against the receiver: the next worker sends it again', async () => {
  const taskQueue = uniqueTaskQueue('stop-cut');
  // The answer takes 3 s; the stopping worker waits 200 ms for it.
  const config = ConfigSchema.parse({ delivery: { allow_destinations: ['loopback'], shutdown_grace: '200ms' } });
  const first = await startTestWorker(taskQueue, { config });
  const event = anEvent();
  const handle = await client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(event.id),
    taskQueue,
    // No retries: a cut-off counted as the receiver's failure would end the delivery as failed.
    args: [{ event, targets: [aTarget(receiver.url)] }],
  });
  await expect.poll(() => receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(1);

  await first.stop();

  const second = await startTestWorker(taskQueue);
  try {
    const report = await handle.result();
    expect(report.status).toBe('succeeded');
    expect(report.deliveries[0]?.attempts).toHaveLength(1);
    expect(receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(2);
  } finally {
    await second.stop();
  }
});

test('a stopping worker waits for a local first attempt in flight, past the grace, and records it', async () => {
  const taskQueue = uniqueTaskQueue('stop-local');
  const config = ConfigSchema.parse({ delivery: { allow_destinations: ['loopback'], shutdown_grace: '200ms' } });
  const first = await startTestWorker(taskQueue, { config });
  const event = anEvent();
  // The current version: the first attempt runs locally, inside the workflow task (the fast path).
  const handle = await client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(event.id),
    taskQueue,
    args: [{ event, targets: [aTarget(receiver.url)], version: DELIVERY_VERSION }],
  });
  await expect.poll(() => receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(1);

  // The grace (200 ms) is for ordinary attempts: the local one (3 s) is waited for, inside its workflow task.
  await first.stop();

  // Over before the worker stopped: no other worker is needed to finish it.
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  const report = await handle.result();
  expect(report.status).toBe('succeeded');
  expect(report.deliveries[0]?.attempts).toHaveLength(1);
  expect(receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(1);
});
