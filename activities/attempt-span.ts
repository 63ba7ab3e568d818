import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Info } from '@temporalio/activity';
import type { AttemptResult, TraceCarrier } from '../domain/delivery.js';
import { contextOf, gatewayTracer } from '../tracing/carrier.js';

/** What an attempt's span names of the activity it runs in (its `Context.current().info`). */
export type AttemptActivity = Pick<Info, 'activityType' | 'activityId' | 'workflowExecution'>;

/**
 * Runs one attempt in a span of its own, the child of the trace the event was accepted in (`carrier`, from the
 * attempt's input), and active while the request goes out, so that the receiver gets it as `traceparent`. Named and
 * labelled as the Temporal SDK's activity spans are (`RunActivity:<type>`, the activity, workflow and run ids), with
 * what came of the attempt. When a span of the same trace is active already (the SDK's activity interceptor, with
 * `WEBHOOKS_TRACE_WORKFLOWS=true`), that one serves and gets the same labels; one of another trace (the SDK's, in a
 * worker with workflow spans behind an API without) does not take the attempt out of the producer's trace. In a
 * process without a tracer provider the span is OpenTelemetry's no-op one, and nothing is recorded.
 */
export async function inAttemptSpan(
  carrier: TraceCarrier | undefined,
  { activityType, activityId, workflowExecution }: AttemptActivity,
  attempt: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  const active = trace.getSpan(context.active());
  const parent = contextOf(carrier);
  const carried = trace.getSpanContext(parent);
  if (active && (!carried || carried.traceId === active.spanContext().traceId)) return labelled(active, await attempt());
  const span = gatewayTracer().startSpan(
    `RunActivity:${activityType}`,
    {
      attributes: {
        temporalActivityId: activityId,
        ...(workflowExecution ? { temporalWorkflowId: workflowExecution.workflowId, run_id: workflowExecution.runId } : {}),
      },
    },
    parent,
  );
  try {
    return labelled(span, await context.with(trace.setSpan(parent, span), attempt));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Says on the span what came of the attempt: the answer's status, the transport failure, or why nothing was sent. */
function labelled(span: Span, result: AttemptResult): AttemptResult {
  if (result.statusCode !== undefined) span.setAttribute('http.response.status_code', result.statusCode);
  if (result.errorClass) span.setAttribute('error.type', result.errorClass);
  // Held for a paused endpoint, cancelled for a disabled one, or waiting for a rate limit's slot: no request went out.
  const notSent = result.endpointStatus ?? (result.throttled ? 'throttled' : undefined);
  if (notSent) span.setAttribute('webhook.not_sent', notSent);
  return result;
}
