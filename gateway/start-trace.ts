import { context, defaultTextMapSetter, isSpanContextValid, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TraceCarrier } from '../domain/delivery.js';

// The API's tracer name: with no span of the caller's, the start's span is the gateway's.
const tracer = trace.getTracer('temporal-webhooks');
// Only the trace context, whatever `OTEL_PROPAGATORS` says the process sends over HTTP: a producer's baggage (up to
// 8 KiB) would otherwise be copied into the history of every delivery and every attempt, where the Web UI shows it.
const traceContext = new W3CTraceContextPropagator();

/**
 * Starts a delivery with the trace it belongs to, as the W3C fields its input carries to every attempt's span: the
 * active span's (the API's request span, for every event accepted over HTTP), or, with none valid (a gateway embedded
 * in code that traces nothing), a `StartWorkflow:deliverEvent` span of its own, so that the attempts of one event
 * still share one trace. Why a start failed is recorded on that span, a duplicate (`expected`) aside: that is the
 * API's idempotency, not a failure. In a process without a tracer provider the span is OpenTelemetry's no-op one and
 * there is no carrier: the input is what it was without tracing.
 */
export async function startInTrace<T>(
  start: (trace: TraceCarrier | undefined) => Promise<T>,
  expected: (error: unknown) => boolean,
): Promise<T> {
  const active = trace.getSpan(context.active());
  const caller = active && isSpanContextValid(active.spanContext()) ? active : undefined;
  const span = caller ?? tracer.startSpan('StartWorkflow:deliverEvent', { kind: SpanKind.CLIENT });
  const own = caller ? undefined : span;
  const carrier: Record<string, string> = {};
  traceContext.inject(trace.setSpan(context.active(), span), carrier, defaultTextMapSetter);
  try {
    return await start(Object.keys(carrier).length > 0 ? carrier : undefined);
  } catch (error) {
    if (!expected(error)) {
      span.recordException(error instanceof Error ? error : String(error));
      own?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    throw error;
  } finally {
    own?.end();
  }
}
