import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startGatewayNode, type GatewayNode } from '../../node/gateway-node.js';
import { startTracing, type Tracing } from '../../tracing/index.js';
import { installQuietRuntime, uniqueTaskQueue } from '../support/temporal.js';

// A producer's trace, from its POST through the workflow and its attempts to the receiver, on a gateway node with
// tracing on: spans go to an in-memory exporter, and the receiver reads the traceparent it was sent.

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let node: GatewayNode;
let receiver: Receiver;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN_ID = '00f067aa0ba902b7';

function traceparentOf(request: { headers: Record<string, string | string[] | undefined> }): { traceId: string; parentId: string } {
  const [, traceId = '', parentId = ''] = String(request.headers['traceparent']).split('-');
  return { traceId, parentId };
}

async function post(id: string, traceparent?: string): Promise<void> {
  const response = await fetch(`${node.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
    body: JSON.stringify({ id, type: 'order.created', data: {} }),
  });
  expect(response.status).toBe(202);
}

const spansOf = (traceId: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
const named = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] => spans.filter((span) => span.name === name);
const parentOf = (span: ReadableSpan | undefined): string | undefined => span?.parentSpanId;

beforeAll(async () => {
  installQuietRuntime();
  tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter), serviceName: 'webhooks-test' });
  receiver = await startReceiver();
  const config = ConfigSchema.parse({
    temporal: { address: inject('temporalAddress'), task_queue: uniqueTaskQueue('tracing') },
    delivery: { allow_destinations: ['loopback'], retry: { schedule: ['200ms'] } },
    endpoints: [{ id: 'tracing-receiver', url: receiver.url, events: ['order.*'] }],
    metrics: { enabled: false },
  });
  // The prebuilt bundle serves: tracing adds nothing to the workflows.
  node = await startGatewayNode(config, {
    listen: { host: '127.0.0.1', port: 0 },
    tracing,
    healthReportIntervalMs: 200,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
});

afterAll(async () => {
  await node?.close();
  await receiver?.close();
  await tracing?.shutdown();
});

describe('tracing', () => {
  test('continues the producer’s trace through the API, the workflow and the attempt, to the receiver', async () => {
    await post('evt_traced', `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01`);
    const [delivered] = await receiver.waitForRequests(1, 30_000);
    const received = traceparentOf(delivered as { headers: Record<string, string> });
    expect(received.traceId).toBe(TRACE_ID);

    await expect.poll(() => named(spansOf(TRACE_ID), 'RunActivity:deliverAttempt').length, { timeout: 30_000 }).toBe(1);
    const spans = spansOf(TRACE_ID);
    const [server] = named(spans, 'POST /v1/events');
    const [attempt] = named(spans, 'RunActivity:deliverAttempt');
    expect(parentOf(server)).toBe(PRODUCER_SPAN_ID);
    expect(server?.attributes['http.response.status_code']).toBe(202);
    // The start, made in the request's span, puts that span's trace in the delivery's input and opens no span of its
    // own; the workflow hands it to the attempt (a local activity, inside its first task), whose span is the
    // receiver's parent.
    expect(named(spans, 'StartWorkflow:deliverEvent')).toEqual([]);
    expect(parentOf(attempt)).toBe(server?.spanContext().spanId);
    expect(attempt?.attributes['temporalWorkflowId']).toBe('event/evt_traced');
    expect(attempt?.attributes['run_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(attempt?.attributes['http.response.status_code']).toBe(200);
    expect(received.parentId).toBe(attempt?.spanContext().spanId);
    // Without WEBHOOKS_TRACE_WORKFLOWS, the workflow makes no spans of its own.
    expect(named(spans, 'RunWorkflow:deliverEvent')).toEqual([]);
    expect(spans.every((span) => span.resource.attributes['service.name'] === 'webhooks-test')).toBe(true);
  });

  test('starts a trace for a producer that sends none, and keeps it across a retry', async () => {
    receiver.script({ status: 503 });
    const before = receiver.requests.length;
    await post('evt_traced_retry');
    const [first, second] = (await receiver.waitForRequests(before + 2, 30_000)).slice(before);
    const traceId = traceparentOf(first as { headers: Record<string, string> }).traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceparentOf(second as { headers: Record<string, string> }).traceId).toBe(traceId);
    await expect.poll(() => named(spansOf(traceId), 'RunActivity:deliverAttempt').length, { timeout: 30_000 }).toBe(2);
    expect(named(spansOf(traceId), 'POST /v1/events')).toHaveLength(1);
    const [server] = named(spansOf(traceId), 'POST /v1/events');
    // The retry, an ordinary activity after its timer, is a child of the same request.
    const attempts = named(spansOf(traceId), 'RunActivity:deliverAttempt');
    expect(attempts.map(parentOf)).toEqual([server?.spanContext().spanId, server?.spanContext().spanId]);
    expect(attempts.map((span) => span.attributes['http.response.status_code']).sort()).toEqual([200, 503]);
  });
});
