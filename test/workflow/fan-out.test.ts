import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import proto from '@temporalio/proto';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import type { RetryPolicy } from '../../domain/retry.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { createDeliveryStarter } from '../../gateway/delivery-starter.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent, deliveriesQuery, type DeliverEventInput } from '../../workflows/index.js';
import { endpointIdsKey } from '../../workflows/search-attributes.js';
import { anEvent, aTarget, retryAfter } from '../support/builders.js';
import { eventsOfType } from '../support/history.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue, type TestWorker } from '../support/temporal.js';

const { EventType } = proto.temporal.api.enums.v1;

let client: Client;
let worker: TestWorker;
let taskQueue: string;
let receiver: Receiver;

beforeAll(async () => {
  client = await connectTestClient();
  taskQueue = uniqueTaskQueue('fan-out');
  worker = await startTestWorker(taskQueue);
  receiver = await startReceiver();
});

afterAll(async () => {
  await worker.stop();
  await receiver.close();
  await client.connection.close();
});

function start(input: DeliverEventInput) {
  return client.workflow.start(deliverEvent, { workflowId: eventWorkflowId(input.event.id), taskQueue, args: [input] });
}

describe('fan-out into parts', () => {
  test('splits endpoints among child workflows that each list their own endpoints, and sums them up', async () => {
    const event = anEvent();
    const targets = Array.from({ length: 7 }, (_, index) => aTarget(receiver.url, { endpointId: `small-${index}` }));
    const handle = await start({ event, targets, partLimits: { maxTargets: 3, maxIdsBytes: 1_800 } });
    const report = await handle.result();

    expect(report.status).toBe('succeeded');
    expect(report.deliveries).toEqual([]);
    expect(report.parts).toEqual([
      { workflowId: `event/${event.id}/part-1`, endpoints: 3, status: 'succeeded', statusCounts: { succeeded: 3 } },
      { workflowId: `event/${event.id}/part-2`, endpoints: 3, status: 'succeeded', statusCounts: { succeeded: 3 } },
      { workflowId: `event/${event.id}/part-3`, endpoints: 1, status: 'succeeded', statusCounts: { succeeded: 1 } },
    ]);
    const part = client.workflow.getHandle(`event/${event.id}/part-2`);
    expect((await part.describe()).typedSearchAttributes.get(endpointIdsKey)).toEqual(['small-3', 'small-4', 'small-5']);
    expect((await part.query(deliveriesQuery)).deliveries.map((d) => d.endpointId)).toEqual(['small-3', 'small-4', 'small-5']);
    expect(receiver.requests.filter((r) => r.headers['webhook-id'] === event.id)).toHaveLength(7);
    // A part goes by the event's acceptance, not its own later start: a deletion between the two stops its attempts.
    const started = (await part.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    const partInput = await decodeFromPayloadsAtIndex<DeliverEventInput>(client.options.loadedDataConverter, 0, started?.input?.payloads);
    expect(partInput.acceptedAt).toBe((await handle.describe()).startTime.toISOString());
  });

  test('splits by attempts where the endpoints may retry so often that one workflow would outgrow its history', async () => {
    const event = anEvent();
    const patient: RetryPolicy = {
      exponential: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 3_600_000, maximumAttempts: 100 },
      jitter: 0,
      retryAfterMaxMs: 60_000,
    };
    // 20 endpoints × 100 attempts: 2,000, over the 1,666 one part may hold; the default limits would keep them in one.
    const targets = Array.from({ length: 20 }, (_, index) => aTarget(receiver.url, { endpointId: `patient-${index}`, retry: patient }));
    const { workflowId } = await createDeliveryStarter({ client, taskQueue, maxConcurrentDeliveries: 10 }).start(event, targets);

    const report = await client.workflow.getHandle<typeof deliverEvent>(workflowId).result();
    expect(report.parts?.map((part) => [part.endpoints, part.status])).toEqual([
      [16, 'succeeded'],
      [4, 'succeeded'],
    ]);
    // The endpoints are listed on the parts only, so that an endpoint's delivery history names the event once.
    expect((await client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(endpointIdsKey)).toBeUndefined();
    expect((await client.workflow.getHandle(`${workflowId}/part-2`).describe()).typedSearchAttributes.get(endpointIdsKey)).toEqual(
      targets.slice(16).map((target) => target.endpointId),
    );
    expect(receiver.requests.filter((r) => r.headers['webhook-id'] === event.id)).toHaveLength(20);
  });

  test('goes on with the other parts when one is ended from outside, and reports that one failed', async () => {
    const down = await startReceiver({ defaultResponse: { status: 503, body: 'down' } });
    try {
      const event = anEvent();
      // The first part's endpoints wait an hour to retry, so that it is still running when it is terminated.
      const waiting = [0, 1].map((index) => aTarget(down.url, { endpointId: `waiting-${index}`, retry: retryAfter([3_600_000]) }));
      const delivered = [0, 1].map((index) => aTarget(receiver.url, { endpointId: `delivered-${index}` }));
      const handle = await start({ event, targets: [...waiting, ...delivered], partLimits: { maxTargets: 2, maxIdsBytes: 1_800 } });
      await down.waitForRequests(2, 30_000);
      await client.workflow.getHandle(`event/${event.id}/part-1`).terminate('test: a part ended by hand');

      const report = await handle.result();
      expect(report.parts).toEqual([
        { workflowId: `event/${event.id}/part-1`, endpoints: 2, status: 'failed' },
        { workflowId: `event/${event.id}/part-2`, endpoints: 2, status: 'succeeded', statusCounts: { succeeded: 2 } },
      ]);
      expect(report.status).toBe('failed');
      expect(receiver.requests.filter((r) => r.headers['webhook-id'] === event.id)).toHaveLength(2);
    } finally {
      await down.close();
    }
  });

  test('hands the trace it was started with to each part, and each part to its attempts', async () => {
    const event = anEvent();
    const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    const targets = Array.from({ length: 4 }, (_, index) =>
      // Activities, not local ones, so that each attempt's input is in the part's history.
      aTarget(receiver.url, { endpointId: `traced-${index}`, firstAttemptAsActivity: true }),
    );
    const handle = await start({ event, targets, version: DELIVERY_VERSION, trace, partLimits: { maxTargets: 3, maxIdsBytes: 1_800 } });
    expect((await handle.result()).status).toBe('succeeded');

    const inputsOf = async (workflowId: string, type: proto.temporal.api.enums.v1.EventType) =>
      eventsOfType(await client.workflow.getHandle(workflowId).fetchHistory(), type).map((e) => {
        const attributes = e.startChildWorkflowExecutionInitiatedEventAttributes ?? e.activityTaskScheduledEventAttributes;
        return defaultPayloadConverter.fromPayload<{ trace?: unknown }>(attributes?.input?.payloads?.[0] as Payload);
      });
    const parts = await inputsOf(`event/${event.id}`, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
    expect(parts.map((input) => input.trace)).toEqual([trace, trace]);
    const attempts = await inputsOf(`event/${event.id}/part-1`, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    expect(attempts.map((input) => input.trace)).toEqual([trace, trace, trace]);
  });

  test('delivers one event to 5,000 endpoints far inside Temporal’s limits, first attempts inside workflow tasks', async () => {
    const event = anEvent({ data: { note: 'large fan-out', padding: 'x'.repeat(2_000) } });
    const targets = Array.from({ length: 5_000 }, (_, index) =>
      aTarget(receiver.url, { endpointId: `customer-${String(index).padStart(4, '0')}`, timeoutMs: 15_000 }),
    );
    const handle = await start({ event, targets, maxConcurrentDeliveries: 100, version: DELIVERY_VERSION });
    const report = await handle.result();

    expect(report.status).toBe('succeeded');
    expect(report.parts).toHaveLength(50);
    expect(report.parts?.every((part) => part.statusCounts?.succeeded === 100)).toBe(true);
    // At least once each: on a machine too loaded to finish a workflow task in time, the task is retried and its
    // local attempts run again, under the same webhook-id (seen once with three CPU hogs on two cores: 5,100).
    const received = receiver.requests.filter((r) => r.headers['webhook-id'] === event.id).length;
    expect(received).toBeGreaterThanOrEqual(5_000);

    // Limits: 51,200 history events and 50 MiB per workflow, 2 MiB per payload, 2,000 pending activities.
    const parent = await handle.describe();
    expect(parent.historyLength).toBeLessThan(1_000);
    expect(parent.historySize ?? Infinity).toBeLessThan(5 * 1024 * 1024);
    const part = await client.workflow.getHandle(`event/${event.id}/part-17`).describe();
    expect(part.historyLength).toBeLessThan(2_000);
    expect(part.historySize ?? Infinity).toBeLessThan(1024 * 1024);
    // Each first attempt a local activity: one marker apiece, no activity task.
    const partHistory = await client.workflow.getHandle(`event/${event.id}/part-17`).fetchHistory();
    expect(eventsOfType(partHistory, EventType.EVENT_TYPE_MARKER_RECORDED)).toHaveLength(100);
    expect(eventsOfType(partHistory, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toHaveLength(0);
  }, 180_000);
});
