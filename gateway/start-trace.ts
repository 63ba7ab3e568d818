import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { TraceCarrier } from '../domain/delivery.js';

// The API's tracer name: with no span of the caller's, the start's span is the gateway's.
const tracer = trace.getTracer('temporal-webhooks');

/**
 * Starts a delivery with the trace it belongs to, as the W3C fields its input carries to every attempt's span: the
 * active span's (the API's request span, for every event accepted over HTTP), or, with none active (a gateway embedded
 * in code that traces nothing), a `StartWorkflow:deliverEvent` span of its own, so that the attempts of one event still
 * share one trace. Why a start failed is recorded on that span, a duplicate (`expected`) aside: that is the API's
 * idempotency, not a failure. In a process without a tracer provider there is no span and no carrier: nothing is paid.
 */
export async function startInTrace<T>(
  start: (trace: TraceCarrier | undefined) => Promise<T>,
  expected: (error: unknown) => boolean,
): Promise<T> {
  const caller = trace.getSpan(context.active());
  const own = caller ? undefined : tracer.startSpan('StartWorkflow:deliverEvent', { kind: SpanKind.CLIENT });
  const carrier: Record<string, string> = {};
  propagation.inject(own ? trace.setSpan(context.active(), own) : context.active(), carrier);
  try {
    return await start(Object.keys(carrier).length > 0 ? carrier : undefined);
  } catch (error) {
    if (!expected(error)) {
      const span = caller ?? own;
      span?.recordException(error instanceof Error ? error : String(error));
      own?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    throw error;
  } finally {
    own?.end();
  }
}
