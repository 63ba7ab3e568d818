import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { SimplePlugin } from '@temporalio/plugin';
import { gatewayTracer } from './carrier.js';
import { UntracedStartsInterceptor } from './untraced-starts.js';

/** Tracing for one process: the API's tracer, and the Temporal plugin for the spans of what its clients send. */
export interface Tracing {
  /** Give it to the process's Client and Worker: spans for what the client sends, and the workflows' with workflow spans. */
  readonly plugin: SimplePlugin;
  /**
   * True when the plugin adds interceptors to the workflows (workflow spans): the worker must then bundle its
   * workflows itself, not take a prebuilt bundle.
   */
  readonly bundlesWorkflows: boolean;
  /** For the API's server spans. */
  readonly tracer: Tracer;
  /** Sends what is still buffered; call at the process's end. */
  shutdown(): Promise<void>;
}

/** The service name spans carry, by process role; `OTEL_SERVICE_NAME` overrides it. */
export type TracingRole = 'api' | 'worker' | 'node';

export interface TracingOptions {
  readonly spanProcessor: SpanProcessor;
  readonly serviceName: string;
  /**
   * Spans for the workflows themselves (`RunWorkflow`, `StartActivity`, signals), from the SDK's workflow
   * interceptors. Off by default: the trace runs through every workflow to each attempt and the receiver all the
   * same, and those spans cost the worker more than the rest of tracing together (BENCHMARKS.md).
   */
  readonly workflowSpans?: boolean;
}

/**
 * Tracing as the standard OpenTelemetry variables ask: spans exported by OTLP over HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (the exporter reads those, and the
 * headers, timeout and sampler variables, itself); `undefined`, and nothing installed, otherwise, so that a gateway
 * without a collector pays nothing for it. `WEBHOOKS_TRACE_WORKFLOWS=true` adds the workflows' own spans.
 */
export function tracingFromEnv(env: NodeJS.ProcessEnv, role: TracingRole): Tracing | undefined {
  if (!env['OTEL_EXPORTER_OTLP_ENDPOINT'] && !env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) return undefined;
  return startTracing({
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()),
    serviceName: env['OTEL_SERVICE_NAME'] ?? `webhooks-${role}`,
    workflowSpans: /^(1|true)$/i.test(env['WEBHOOKS_TRACE_WORKFLOWS'] ?? ''),
  });
}

/**
 * Installs a tracer provider for the process (with the W3C propagators for HTTP and an AsyncLocalStorage context, which
 * the API's request spans, the delivery starter and the delivery activity read) and returns what the process wires in.
 * One per process: the provider is global. Tests pass an in-memory span processor.
 */
export function startTracing(options: TracingOptions): Tracing {
  const resource = new Resource({ 'service.name': options.serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [options.spanProcessor] });
  provider.register();
  return {
    plugin: options.workflowSpans ? new OpenTelemetryPlugin({ resource, spanProcessor: options.spanProcessor }) : clientSpansPlugin(),
    bundlesWorkflows: options.workflowSpans === true,
    tracer: gatewayTracer(),
    async shutdown() {
      await provider.shutdown();
      // The globals go back to OpenTelemetry's no-ops: nothing traces into a provider that is shut, and a later
      // provider in the same process (tests sharing one) can register.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * The SDK's client interceptor, less its spans and headers for starts (see {@link UntracedStartsInterceptor}), for the
 * process's Client and the worker's. Nothing in workflows or activities: a delivery carries its trace in its input,
 * and each attempt opens its own span (`activities/attempt-span.ts`).
 */
function clientSpansPlugin(): SimplePlugin {
  const client = new UntracedStartsInterceptor();
  return new SimplePlugin({
    name: 'temporal-webhooks-tracing',
    clientInterceptors: { workflow: [client] },
    workerInterceptors: { client: { workflow: [client] } },
  });
}
