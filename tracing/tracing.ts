import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

/** Tracing for one process: the Temporal plugin that carries the trace through workflows, and the API's tracer. */
export interface Tracing {
  /** Give it to the process's Client and Worker: starts, workflows and activities join the caller's trace. */
  readonly plugin: OpenTelemetryPlugin;
  /** For the API's server spans. */
  readonly tracer: Tracer;
  /** Sends what is still buffered; call at the process's end. */
  shutdown(): Promise<void>;
}

/** The service name spans carry, by process role; `OTEL_SERVICE_NAME` overrides it. */
export type TracingRole = 'api' | 'worker' | 'node';

const TRACER_NAME = 'temporal-webhooks';

/**
 * Tracing as the standard OpenTelemetry variables ask: spans exported by OTLP over HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (the exporter reads those, and the
 * headers and timeout variables, itself); `undefined`, and nothing installed, otherwise, so that a gateway without a
 * collector pays nothing for it.
 */
export function tracingFromEnv(env: NodeJS.ProcessEnv, role: TracingRole): Tracing | undefined {
  if (!env['OTEL_EXPORTER_OTLP_ENDPOINT'] && !env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) return undefined;
  return startTracing({
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()),
    serviceName: env['OTEL_SERVICE_NAME'] ?? `webhooks-${role}`,
  });
}

/**
 * Installs a tracer provider for the process (with the W3C `traceparent` propagator and an AsyncLocalStorage context,
 * which the Temporal interceptors and the delivery activity read) and returns what the process wires in. One per
 * process: the provider is global. Tests pass an in-memory span processor.
 */
export function startTracing(options: { readonly spanProcessor: SpanProcessor; readonly serviceName: string }): Tracing {
  const resource = new Resource({ 'service.name': options.serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [options.spanProcessor] });
  provider.register();
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor: options.spanProcessor }),
    tracer: trace.getTracer(TRACER_NAME),
    async shutdown() {
      await provider.shutdown();
    },
  };
}
