import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowStartInput, WorkflowStartOutput } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError, type Payload } from '@temporalio/common';
import { TRACE_HEADER as SDK_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { startTracing } from '../../tracing/index.js';
import { StartInCallerSpanInterceptor, TRACE_HEADER } from '../../tracing/start-in-caller-span.js';
import { TRACE_HEADER as WORKFLOW_TRACE_HEADER } from '../../workflows/trace-propagation.js';

// The start interceptor on its own, against Temporal's `next` (what it hands on is what the test is about); the
// e2e tracing test runs it in a gateway node, from the producer's POST to the receiver.

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter), serviceName: 'webhooks-unit' });
const interceptor = new StartInCallerSpanInterceptor();

// A header another interceptor put there first: handed on beside the trace.
const OTHER_HEADER = { other: defaultPayloadConverter.toPayload('kept') };
const input = {
  workflowType: 'deliverEvent',
  headers: OTHER_HEADER,
  options: { workflowId: 'event/evt_1' },
} as unknown as WorkflowStartInput;

/** Runs a start through the interceptor and returns the trace its headers carried, as a `traceparent`. */
async function traceHandedOn(
  start: (next: (input: WorkflowStartInput) => Promise<WorkflowStartOutput>) => Promise<unknown>,
): Promise<string> {
  let headers: Record<string, Payload> = {};
  await start((handed) => {
    headers = handed.headers;
    return Promise.resolve({ runId: 'run-1', eagerlyStarted: false });
  });
  expect(headers['other']).toEqual(OTHER_HEADER.other);
  const carrier = defaultPayloadConverter.fromPayload<Record<string, string>>(headers[TRACE_HEADER] as Payload);
  return carrier['traceparent'] ?? '';
}

beforeEach(() => exporter.reset());
afterAll(() => tracing.shutdown());

describe('StartInCallerSpanInterceptor', () => {
  test('a start inside a span hands that span’s trace on and opens no span of its own', async () => {
    const request = tracing.tracer.startSpan('POST /v1/events');
    const { traceId, spanId } = request.spanContext();
    const handedOn = await context.with(trace.setSpan(context.active(), request), () =>
      traceHandedOn((next) => interceptor.startWithDetails(input, next)),
    );
    request.end();
    expect(handedOn).toBe(`00-${traceId}-${spanId}-01`);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['POST /v1/events']);
  });

  test('hands on a producer’s decision not to sample, without a span of its own', async () => {
    const unsampled = propagation.extract(context.active(), { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
    const request = tracing.tracer.startSpan('POST /v1/events', {}, unsampled);
    const handedOn = await context.with(trace.setSpan(unsampled, request), () =>
      traceHandedOn((next) => interceptor.startWithDetails(input, next)),
    );
    request.end();
    // The caller's span as parent, not one of the interceptor's (which would not be exported either, unsampled).
    expect(handedOn).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${request.spanContext().spanId}-00`);
  });

  test('records why a start failed on the caller’s span, and not a duplicate start', async () => {
    const request = tracing.tracer.startSpan('POST /v1/events');
    const failing = (error: Error) =>
      context.with(trace.setSpan(context.active(), request), () => interceptor.startWithDetails(input, () => Promise.reject(error)));
    await expect(failing(new Error('namespace not found'))).rejects.toThrow('namespace not found');
    await expect(failing(new WorkflowExecutionAlreadyStartedError('started', 'event/evt_1', 'deliverEvent'))).rejects.toThrow('started');
    request.end();
    const [recorded] = exporter.getFinishedSpans();
    expect(recorded?.events.map((event) => event.attributes?.['exception.message'])).toEqual(['namespace not found']);
  });

  test('a start outside any span gets the SDK’s span, so that the event’s attempts still share one trace', async () => {
    const handedOn = await traceHandedOn((next) => interceptor.startWithDetails(input, next));
    const [start] = exporter.getFinishedSpans();
    expect(start?.name).toBe('StartWorkflow:deliverEvent');
    expect(start?.parentSpanId).toBeUndefined();
    expect(handedOn).toBe(`00-${start?.spanContext().traceId}-${start?.spanContext().spanId}-01`);
    // The propagator is the W3C one that the attempt's span and the receiver read.
    expect(propagation.fields()).toContain('traceparent');
  });

  test('reads and writes the header the SDK’s interceptors use', () => {
    expect(TRACE_HEADER).toBe(SDK_TRACE_HEADER);
    expect(WORKFLOW_TRACE_HEADER).toBe(SDK_TRACE_HEADER);
  });
});
