import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { inAttemptSpan, type AttemptActivity } from '../../activities/attempt-span.js';
import { createSendActivities } from '../../activities/send.js';
import type { AttemptResult } from '../../domain/delivery.js';
import { startTracing } from '../../tracing/index.js';

// An attempt's span on its own, around attempts that return what the test says (the e2e tracing tests run it in a
// gateway node, between the API's request span and the receiver).

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter), serviceName: 'webhooks-unit' });
const activity: AttemptActivity = {
  activityType: 'deliverAttempt',
  activityId: '1',
  workflowExecution: { workflowId: 'event/evt_1', runId: '0b7a4e4c-3c5f-4bd4-9c43-8d3c1c3f1a10' },
};
const PRODUCER = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
const answered = (statusCode: number): AttemptResult => ({ startedAt: '2026-12-01T00:00:00.000Z', durationMs: 3, statusCode });

beforeEach(() => exporter.reset());
afterAll(() => tracing.shutdown());

describe('inAttemptSpan', () => {
  test('opens a child of the carried trace, active while the request goes out', async () => {
    const sent: Record<string, string> = {};
    await inAttemptSpan(PRODUCER, activity, () => {
      propagation.inject(context.active(), sent);
      return Promise.resolve(answered(503));
    });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('RunActivity:deliverAttempt');
    expect(span?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span?.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes).toEqual({
      temporalActivityId: '1',
      temporalWorkflowId: 'event/evt_1',
      run_id: activity.workflowExecution?.runId,
      'http.response.status_code': 503,
    });
    // The receiver's parent is the attempt's span.
    expect(sent['traceparent']).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span?.spanContext().spanId}-01`);
  });

  test('names a transport failure’s class', async () => {
    await inAttemptSpan(PRODUCER, activity, () =>
      Promise.resolve({ startedAt: '2026-12-01T00:00:00.000Z', durationMs: 5_000, errorClass: 'timeout' }),
    );
    expect(exporter.getFinishedSpans()[0]?.attributes['error.type']).toBe('timeout');
  });

  test('without a carried trace, the attempt’s span starts one', async () => {
    await inAttemptSpan(undefined, activity, () => Promise.resolve(answered(200)));
    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanId).toBeUndefined();
    expect(span?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  test('records an attempt that threw, and throws it on', async () => {
    await expect(inAttemptSpan(PRODUCER, activity, () => Promise.reject(new Error('no send slot')))).rejects.toThrow('no send slot');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toMatchObject({ code: 2, message: 'no send slot' });
    expect(span?.events.map((event) => event.attributes?.['exception.message'])).toEqual(['no send slot']);
  });

  test('says why no request went out: held for a paused endpoint, waiting for a rate limit', async () => {
    const at = '2026-12-01T00:00:00.000Z';
    await inAttemptSpan(PRODUCER, activity, () => Promise.resolve({ startedAt: at, durationMs: 0, endpointStatus: 'paused' }));
    await inAttemptSpan(PRODUCER, activity, () => Promise.resolve({ startedAt: at, durationMs: 0, throttled: { retryAt: at, ticket: 3 } }));
    expect(exporter.getFinishedSpans().map((span) => span.attributes['webhook.not_sent'])).toEqual(['paused', 'throttled']);
  });

  test('keeps the attempt in the carried trace when the span active is of another', async () => {
    const other = tracing.tracer.startSpan('RunActivity:deliverAttempt');
    await context.with(trace.setSpan(context.active(), other), () =>
      inAttemptSpan(PRODUCER, activity, () => Promise.resolve(answered(200))),
    );
    other.end();
    const [attempt] = exporter.getFinishedSpans();
    expect(attempt?.parentSpanId).toBe('00f067aa0ba902b7');
    expect(attempt?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  test('uses the span already active (the SDK’s, with workflow spans) instead of opening a second', async () => {
    // The SDK's span in the producer's trace, as its interceptor opens it from the workflow's header.
    const sdkSpan = tracing.tracer.startSpan('RunActivity:deliverAttempt', {}, propagation.extract(context.active(), PRODUCER));
    let active: string | undefined;
    await context.with(trace.setSpan(context.active(), sdkSpan), () =>
      inAttemptSpan(PRODUCER, activity, () => {
        active = trace.getSpan(context.active())?.spanContext().spanId;
        return Promise.resolve(answered(200));
      }),
    );
    sdkSpan.end();
    expect(active).toBe(sdkSpan.spanContext().spanId);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(sdkSpan.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

describe('the trace a workflow’s event is sent in', () => {
  const send = createSendActivities({
    prepareEvent: () => ({ kind: 'ready', targets: [], unrouted: [], fingerprint: 'f' }),
    storedFingerprint: () => Promise.resolve(undefined),
    maxConcurrentDeliveries: 10,
  });

  test('is the active span’s, with its sampling decision and no baggage', async () => {
    const withBaggage = propagation.setBaggage(context.active(), propagation.createBaggage({ user: { value: 'someone' } }));
    const span = tracing.tracer.startSpan('RunActivity:prepareWebhookEvent');
    const prepared = await context.with(trace.setSpan(withBaggage, span), () => send.prepareWebhookEvent({ type: 'order.created' }));
    span.end();
    const { traceId, spanId } = span.spanContext();
    expect(prepared).toMatchObject({ kind: 'ready', trace: { traceparent: `00-${traceId}-${spanId}-01` } });
    expect(Object.keys((prepared as { trace: object }).trace)).toEqual(['traceparent']);
  });

  test('is absent with no span active, and the prepared event is as it always was', async () => {
    expect(await send.prepareWebhookEvent({ type: 'order.created' })).toEqual({
      kind: 'ready',
      targets: [],
      fingerprint: 'f',
      maxConcurrentDeliveries: 10,
    });
  });
});
