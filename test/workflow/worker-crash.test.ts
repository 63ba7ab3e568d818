import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent } from '../../workflows/index.js';
import { anEvent, aTarget } from '../support/builders.js';
import { connectTestClient, startProcessWorker, uniqueTaskQueue, type ProcessWorker } from '../support/temporal.js';

let client: Client;
let receiver: Receiver;
const workers: ProcessWorker[] = [];

async function startWorkerProcess(taskQueue: string): Promise<ProcessWorker> {
  const worker = await startProcessWorker(taskQueue);
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  client = await connectTestClient();
  receiver = await startReceiver();
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.kill()));
  await receiver.close();
  await client.connection.close();
});

test('a worker killed mid-request is replaced, the delivery completes, and both requests carry the same webhook-id', async () => {
  const taskQueue = uniqueTaskQueue('crash');
  // The first request hangs long enough to kill the worker while it waits for the answer.
  receiver.script({ status: 200, delayMs: 30_000 });
  const first = await startWorkerProcess(taskQueue);
  const event = anEvent();
  const handle = await client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(event.id),
    taskQueue,
    args: [{ event, targets: [aTarget(receiver.url, { timeoutMs: 60_000 })] }],
  });

  await receiver.waitForRequests(1);
  await first.kill();
  await startWorkerProcess(taskQueue);

  const [firstRequest, secondRequest] = await receiver.waitForRequests(2, 40_000);
  const report = await handle.result();
  expect(report.status).toBe('succeeded');
  expect(firstRequest?.headers['webhook-id']).toBe(event.id);
  expect(secondRequest?.headers['webhook-id']).toBe(event.id);
  // The crash is Temporal's business (an activity retry); to the delivery it is one attempt that succeeded.
  expect(report.deliveries[0]?.attempts).toHaveLength(1);
});
