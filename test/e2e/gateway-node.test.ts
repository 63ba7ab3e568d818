import proto, { type temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startGatewayNode, type GatewayNode } from '../../node/gateway-node.js';
import { deliveryStatusKey } from '../../workflows/search-attributes.js';
import { installQuietRuntime, uniqueTaskQueue } from '../support/temporal.js';

// A gateway node, as `npm start` runs it: the API and a worker in one process on one connection. A delivery that
// succeeds at once costs Temporal one start and one workflow task: the start hands the task straight to this process
// (eager start), and the task makes the attempt itself (a local activity).

let node: GatewayNode;
let receiver: Receiver;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const { EventType } = proto.temporal.api.enums.v1;

function kinds(events: readonly HistoryEvent[]): string[] {
  return events.map((event) => (EventType[event.eventType ?? 0] ?? 'UNKNOWN').replace('EVENT_TYPE_', ''));
}

async function post(body: unknown): Promise<string> {
  const response = await fetch(`${node.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { workflow_id: string }).workflow_id;
}

async function finishedHistory(workflowId: string): Promise<HistoryEvent[]> {
  const handle = node.client.workflow.getHandle(workflowId);
  await handle.result();
  return (await handle.fetchHistory()).events ?? [];
}

function statusUpserts(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((event) => {
    const payload = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[deliveryStatusKey.name];
    return payload?.data ? [JSON.parse(Buffer.from(payload.data).toString('utf8')) as string] : [];
  });
}

beforeAll(async () => {
  installQuietRuntime();
  receiver = await startReceiver();
  const config = ConfigSchema.parse({
    temporal: { address: inject('temporalAddress'), task_queue: uniqueTaskQueue('node') },
    delivery: { allow_destinations: ['loopback'], retry: { schedule: ['300ms'] } },
    // Endpoint ids are one space per namespace: these are no other test file's.
    endpoints: [{ id: 'node-receiver', url: receiver.url, events: ['order.*'] }],
  });
  node = await startGatewayNode(config, {
    listen: { host: '127.0.0.1', port: 0 },
    workflowBundle: { codePath: inject('workflowBundlePath') },
    healthReportIntervalMs: 200,
  });
});

afterAll(async () => {
  await node?.close();
  await receiver?.close();
});

describe('a gateway node', () => {
  test('delivers a first-attempt success in one workflow task, with no activity task and no status change before the end', async () => {
    const workflowId = await post({ id: 'evt_node_fast', type: 'order.created', data: { total: 1 } });
    const events = await finishedHistory(workflowId);

    expect(kinds(events)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'MARKER_RECORDED',
      'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(statusUpserts(events)).toEqual(['succeeded']);
    const [request] = await receiver.waitForRequests(1);
    expect(request?.headers['webhook-id']).toBe('evt_node_fast');
  });

  test('shows the local attempt in the Web UI with its summary, and in the report', async () => {
    const workflowId = await post({ id: 'evt_node_summary', type: 'order.created', data: {} });
    const events = await finishedHistory(workflowId);
    const marker = events.find((event) => event.markerRecordedEventAttributes);
    const summary = marker?.userMetadata?.summary?.data;
    expect(summary ? (JSON.parse(Buffer.from(summary).toString('utf8')) as string) : undefined).toMatch(
      /^POST 127\.0\.0\.1:\d+ · attempt 1$/,
    );

    const report = (await (await fetch(`${node.url}/v1/events/evt_node_summary`)).json()) as {
      deliveries: { status: string; attempts: { attempt: number; status_code: number; verdict: string }[] }[];
    };
    expect(report.deliveries[0]).toMatchObject({ status: 'succeeded', attempts: [{ attempt: 1, status_code: 200, verdict: 'delivered' }] });
  });

  test('retries a failed first attempt as an ordinary activity after a durable timer, showing retrying while it waits', async () => {
    receiver.script({ status: 503 });
    const workflowId = await post({ id: 'evt_node_retry', type: 'order.created', data: {} });
    const events = await finishedHistory(workflowId);

    const commands = kinds(events).filter((kind) => /MARKER|ACTIVITY_TASK_SCHEDULED|TIMER_STARTED/.test(kind));
    expect(commands).toEqual(['MARKER_RECORDED', 'TIMER_STARTED', 'ACTIVITY_TASK_SCHEDULED']);
    expect(statusUpserts(events)).toEqual(['retrying', 'succeeded']);
    const requests = receiver.requests.filter((request) => request.headers['webhook-id'] === 'evt_node_retry');
    expect(requests.map((request) => request.headers['webhook-id'])).toEqual(['evt_node_retry', 'evt_node_retry']);
  });

  test('reaches the endpoint entities of its config, reconciled by its own worker', async () => {
    const listed = async () => ((await (await fetch(`${node.url}/v1/endpoints/node-receiver`)).json()) as { status?: string }).status;
    await expect.poll(listed).toBe('active');
    expect(await node.client.workflow.getHandle(eventWorkflowId('evt_node_fast')).describe()).toMatchObject({
      status: { name: 'COMPLETED' },
    });
  });
});
