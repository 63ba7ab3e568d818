import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Info } from '@temporalio/activity';
import type { AttemptResult, TraceCarrier } from '../domain/delivery.js';

/** What an attempt's span names of the activity it runs in (its `Context.current().info`). */
export type AttemptActivity = Pick<Info, 'activityType' | 'activityId' | 'workflowExecution'>;

// The API's tracer name: an attempt's span is the gateway's, like the request's it hangs from.
const tracer = trace.getTracer('temporal-webhooks');

/**
 * Runs one attempt in a span of its own, the child of the trace the event was accepted in (`carrier`, from the
 * attempt's input), and active while the request goes out, so that the receiver gets it as `traceparent`. Named and
 * labelled as the Temporal SDK's activity spans are (`RunActivity:<type>`, the activity, workflow and run ids). When a
 * span is active already (the SDK's activity interceptor, with `WEBHOOKS_TRACE_WORKFLOWS=true`), that one serves. In
 * a process without a tracer provider, OpenTelemetry's API makes neither spans nor contexts: nothing is paid.
 */
export async function inAttemptSpan(
  carrier: TraceCarrier | undefined,
  { activityType, activityId, workflowExecution }: AttemptActivity,
  attempt: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  if (trace.getSpan(context.active())) return attempt();
  const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
  const span = tracer.startSpan(
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
    const result = await context.with(trace.setSpan(parent, span), attempt);
    if (result.statusCode !== undefined) span.setAttribute('http.response.status_code', result.statusCode);
    if (result.errorClass) span.setAttribute('error.type', result.errorClass);
    return result;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
