import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { TraceCarrier } from '../domain/delivery.js';
import { carrierOf, gatewayTracer } from '../tracing/carrier.js';

/**
 * Starts a delivery with the trace it belongs to, as the W3C fields its input carries to every attempt's span: the
 * active span's (the API's request span, for every event accepted over HTTP), or, with none valid (a gateway embedded
 * in code that traces nothing), a `StartWorkflow:deliverEvent` span of its own, active while the start is made, so
 * that the attempts of one event (and, with workflow spans, the SDK's spans) still share one trace. Why a start
 * failed is recorded on that span, a duplicate (`expected`) aside: that is the API's idempotency, not a failure. In a
 * process without a tracer provider the span is OpenTelemetry's no-op one and there is no carrier: the input is what
 * it was without tracing.
 */
export async function startInTrace<T>(
  start: (trace: TraceCarrier | undefined) => Promise<T>,
  expected: (error: unknown) => boolean,
): Promise<T> {
  const active = trace.getSpan(context.active());
  const caller = active && isSpanContextValid(active.spanContext()) ? active : undefined;
  const span = caller ?? gatewayTracer().startSpan('StartWorkflow:deliverEvent', { kind: SpanKind.CLIENT });
  const own = caller ? undefined : span;
  const inSpan = caller ? context.active() : trace.setSpan(context.active(), span);
  try {
    return await context.with(inSpan, () => start(carrierOf(inSpan)));
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
