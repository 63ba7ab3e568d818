import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The tracer of the gateway's own spans: the API's requests, starts without a caller's span, attempts. */
export const gatewayTracer = () => trace.getTracer('temporal-webhooks');

/** The W3C fields (`traceparent`, `tracestate`) a delivery carries its trace in (`TraceCarrier` of domain/delivery.ts). */
type Carrier = Readonly<Record<string, string>>;

// Only the trace context, whatever `OTEL_PROPAGATORS` says the process sends over HTTP: a producer's baggage (up to
// 8 KiB) would otherwise be copied into the history of every delivery and every attempt, where the Web UI shows it.
const traceContext = new W3CTraceContextPropagator();

/** The trace context of `from`'s span as a carrier; `undefined` when it has no valid span. */
export function carrierOf(from: Context = context.active()): Carrier | undefined {
  const carrier: Record<string, string> = {};
  traceContext.inject(from, carrier, defaultTextMapSetter);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/** The context a carrier names, to open spans in as its children; the root context without one. */
export function contextOf(carrier: Carrier | undefined): Context {
  return carrier ? traceContext.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter) : ROOT_CONTEXT;
}
