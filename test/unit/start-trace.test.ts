import { context, INVALID_SPAN_CONTEXT, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowStartInput, WorkflowStartOutput } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import type { TraceCarrier } from '../../domain/delivery.js';
import { startInTrace } from '../../gateway/start-trace.js';
import { startTracing } from '../../tracing/index.js';
import { UntracedStartsInterceptor } from '../../tracing/untraced-starts.js';

// How a delivery's start takes its trace into its input, against a start function that only records what it was
// given (the e2e tracing test runs it in a gateway node, from the producer's POST to the receiver). The provider is
// the process's global one, as in a gateway with tracing on.

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter), serviceName: 'webhooks-unit' });
const isDuplicate = (error: unknown): boolean => error instanceof WorkflowExecutionAlreadyStartedError;

/** The carrier a start made now would put in the delivery's input. */
async function carrierOfStart(): Promise<TraceCarrier | undefined> {
  let given: TraceCarrier | undefined;
  await startInTrace((carrier) => {
    given = carrier;
    return Promise.resolve();
  }, isDuplicate);
  return given;
}

beforeEach(() => exporter.reset());
afterAll(() => tracing.shutdown());

describe('startInTrace', () => {
  test('a start inside a span carries that span’s trace and opens no span of its own', async () => {
    const request = tracing.tracer.startSpan('POST /v1/events');
    const { traceId, spanId } = request.spanContext();
    const carrier = await context.with(trace.setSpan(context.active(), request), carrierOfStart);
    request.end();
    expect(carrier).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['POST /v1/events']);
  });

  test('carries a producer’s decision not to sample', async () => {
    const unsampled = propagation.extract(context.active(), { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
    const request = tracing.tracer.startSpan('POST /v1/events', {}, unsampled);
    const carrier = await context.with(trace.setSpan(unsampled, request), carrierOfStart);
    request.end();
    expect(carrier).toEqual({ traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${request.spanContext().spanId}-00` });
  });

  test('carries the producer’s tracestate, never its baggage', async () => {
    const producer = propagation.extract(context.active(), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'vendor=opaque',
      baggage: 'user=someone',
    });
    expect(propagation.getBaggage(producer)?.getEntry('user')?.value).toBe('someone');
    const request = tracing.tracer.startSpan('POST /v1/events', {}, producer);
    const carrier = await context.with(trace.setSpan(producer, request), carrierOfStart);
    request.end();
    expect(carrier).toEqual({
      traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${request.spanContext().spanId}-01`,
      tracestate: 'vendor=opaque',
    });
  });

  test('an active span with no valid context counts as none', async () => {
    const carrier = await context.with(trace.setSpan(context.active(), trace.wrapSpanContext(INVALID_SPAN_CONTEXT)), carrierOfStart);
    const [start] = exporter.getFinishedSpans();
    expect(start?.name).toBe('StartWorkflow:deliverEvent');
    expect(carrier?.['traceparent']).toContain(start?.spanContext().spanId);
  });

  test('a start outside any span gets a span of its own, so that the event’s attempts still share one trace', async () => {
    let activeDuringStart: string | undefined;
    await startInTrace(() => {
      activeDuringStart = trace.getSpan(context.active())?.spanContext().spanId;
      return Promise.resolve();
    }, isDuplicate);
    // Active while the start is made: a client interceptor's span (the SDK's, with workflow spans) is its child.
    expect(activeDuringStart).toBe(exporter.getFinishedSpans()[0]?.spanContext().spanId);
    exporter.reset();
    const carrier = await carrierOfStart();
    const [start] = exporter.getFinishedSpans();
    expect(start?.name).toBe('StartWorkflow:deliverEvent');
    expect(start?.parentSpanId).toBeUndefined();
    expect(carrier).toEqual({ traceparent: `00-${start?.spanContext().traceId}-${start?.spanContext().spanId}-01` });
  });

  test('records why a start failed on the caller’s span, and not a duplicate start', async () => {
    const request = tracing.tracer.startSpan('POST /v1/events');
    const failing = (error: Error) =>
      context.with(trace.setSpan(context.active(), request), () => startInTrace(() => Promise.reject(error), isDuplicate));
    await expect(failing(new Error('namespace not found'))).rejects.toThrow('namespace not found');
    await expect(failing(new WorkflowExecutionAlreadyStartedError('started', 'event/evt_1', 'deliverEvent'))).rejects.toThrow('started');
    request.end();
    const [recorded] = exporter.getFinishedSpans();
    expect(recorded?.events.map((event) => event.attributes?.['exception.message'])).toEqual(['namespace not found']);
  });

  test('a failed start of its own span marks that span failed', async () => {
    await expect(startInTrace(() => Promise.reject(new Error('deadline exceeded')), isDuplicate)).rejects.toThrow('deadline exceeded');
    const [start] = exporter.getFinishedSpans();
    expect(start?.status).toMatchObject({ code: 2, message: 'deadline exceeded' });
  });
});

describe('UntracedStartsInterceptor', () => {
  test('hands a start on as it came: no trace header, no span', async () => {
    const headers = { other: defaultPayloadConverter.toPayload('kept') };
    const input = { workflowType: 'deliverEvent', headers, options: { workflowId: 'event/evt_1' } } as unknown as WorkflowStartInput;
    let handed: WorkflowStartInput | undefined;
    const request = tracing.tracer.startSpan('POST /v1/events');
    await context.with(trace.setSpan(context.active(), request), () =>
      new UntracedStartsInterceptor().startWithDetails(input, (given): Promise<WorkflowStartOutput> => {
        handed = given;
        return Promise.resolve({ runId: 'run-1', eagerlyStarted: false });
      }),
    );
    request.end();
    expect(handed).toBe(input);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['POST /v1/events']);
  });
});
