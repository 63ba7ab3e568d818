import { fileURLToPath } from 'node:url';
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryPlugin,
} from '@temporalio/interceptors-opentelemetry';
import { SimplePlugin } from '@temporalio/plugin';
import { StartInCallerSpanInterceptor } from './start-in-caller-span.js';

/** Tracing for one process: the Temporal plugin that carries the trace through workflows, and the API's tracer. */
export interface Tracing {
  /** Give it to the process's Client and Worker: starts, workflows and activities join the caller's trace. */
  readonly plugin: SimplePlugin;
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

const TRACER_NAME = 'temporal-webhooks';

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
 * Installs a tracer provider for the process (with the W3C `traceparent` propagator and an AsyncLocalStorage context,
 * which the Temporal interceptors and the delivery activity read) and returns what the process wires in. One per
 * process: the provider is global. Tests pass an in-memory span processor.
 */
export function startTracing(options: TracingOptions): Tracing {
  const resource = new Resource({ 'service.name': options.serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [options.spanProcessor] });
  provider.register();
  return {
    plugin: options.workflowSpans ? new OpenTelemetryPlugin({ resource, spanProcessor: options.spanProcessor }) : propagatingPlugin(),
    tracer: trace.getTracer(TRACER_NAME),
    async shutdown() {
      await provider.shutdown();
    },
  };
}

// Bundled into the workflows of a worker with tracing: the source under tsx, the compiled file in dist/.
const TRACE_PROPAGATION_MODULE = fileURLToPath(
  new URL(`../workflows/trace-propagation${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/**
 * The SDK's activity interceptors (a span for each attempt) and its client interceptor, less the span of a start made
 * in a request (see {@link StartInCallerSpanInterceptor}), with a workflow interceptor of ours that only passes the
 * trace from a workflow's start to its activities.
 */
function propagatingPlugin(): SimplePlugin {
  const client = new StartInCallerSpanInterceptor();
  return new SimplePlugin({
    name: 'temporal-webhooks-tracing',
    clientInterceptors: { workflow: [client] },
    workerInterceptors: {
      client: { workflow: [client] },
      workflowModules: [TRACE_PROPAGATION_MODULE],
      activity: [
        (context) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(context),
          outbound: new OpenTelemetryActivityOutboundInterceptor(context),
        }),
      ],
    },
  });
}
