import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startGatewayNode, type GatewayNode } from '../../node/gateway-node.js';
import { startTracing, type Tracing } from '../../tracing/index.js';
import { installQuietRuntime, uniqueTaskQueue } from '../support/temporal.js';

// `WEBHOOKS_TRACE_WORKFLOWS=true`: the SDK's interceptors whole, in a gateway node that bundles its workflows with
// them. The trace still runs from the producer to the receiver, through the workflows' own spans, and each attempt
// has one span, the SDK's, not a second one of the gateway's beside it.

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let node: GatewayNode;
let receiver: Receiver;

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PRODUCER_SPAN_ID = 'b7ad6b7169203331';

beforeAll(async () => {
  installQuietRuntime();
  tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter), serviceName: 'webhooks-test', workflowSpans: true });
  receiver = await startReceiver();
  const config = ConfigSchema.parse({
    temporal: { address: inject('temporalAddress'), task_queue: uniqueTaskQueue('tracing-workflows') },
    delivery: { allow_destinations: ['loopback'] },
    endpoints: [{ id: 'tracing-workflows-receiver', url: receiver.url, events: ['order.*'] }],
    metrics: { enabled: false },
  });
  // The prebuilt bundle is refused here: the SDK's workflow interceptors are bundled in at the worker's start.
  node = await startGatewayNode(config, {
    listen: { host: '127.0.0.1', port: 0 },
    tracing,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
}, 120_000);

afterAll(async () => {
  await node?.close();
  await receiver?.close();
  await tracing?.shutdown();
});

const spansOf = (traceId: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
const named = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] => spans.filter((span) => span.name === name);

describe('tracing with workflow spans', () => {
  test('runs the producer’s trace through the workflow’s spans to one span per attempt and the receiver', async () => {
    const response = await fetch(`${node.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01` },
      body: JSON.stringify({ id: 'evt_traced_workflow', type: 'order.created', data: {} }),
    });
    expect(response.status).toBe(202);
    const [delivered] = await receiver.waitForRequests(1, 60_000);
    const [, traceId, parentId] = String(delivered?.headers['traceparent']).split('-');
    expect(traceId).toBe(TRACE_ID);

    // The workflow's span ends after its attempt's: by then every span of the attempt has ended, and been exported.
    await expect.poll(() => named(spansOf(TRACE_ID), 'RunWorkflow:deliverEvent').length, { timeout: 30_000 }).toBe(1);
    const spans = spansOf(TRACE_ID);
    expect(named(spans, 'RunActivity:deliverAttempt')).toHaveLength(1);
    const [start] = named(spans, 'StartWorkflow:deliverEvent');
    const [run] = named(spans, 'RunWorkflow:deliverEvent');
    const [attempt] = named(spans, 'RunActivity:deliverAttempt');
    expect(start?.parentSpanId).toBe(named(spans, 'POST /v1/events')[0]?.spanContext().spanId);
    expect(run?.parentSpanId).toBe(start?.spanContext().spanId);
    const scheduled = spans.find((span) => span.spanContext().spanId === attempt?.parentSpanId);
    expect(scheduled?.name).toMatch(/^StartActivity:deliverAttempt$/);
    expect(parentId).toBe(attempt?.spanContext().spanId);
  });
});
