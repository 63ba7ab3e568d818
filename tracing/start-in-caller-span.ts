import { context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { Next, WorkflowClientInterceptor, WorkflowStartInput, WorkflowStartOutput } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

/**
 * The header the SDK's OpenTelemetry interceptors carry a trace in (`TRACE_HEADER` of its package, not exported from
 * its index; `workflows/trace-propagation.ts` reads the same one, and a test holds both to the SDK's).
 */
export const TRACE_HEADER = '_tracer-data';

/**
 * The SDK's client interceptor (a span for each signal, query, update and the rest), except for starts made while a
 * span is active: those hand that span's trace to the workflow and open no span of their own. Every event's start is
 * made in the API's request span, which lasts about as long as the start (the request is little else), so the
 * `StartWorkflow` span beside it was a third of each event's spans for a tracing backend to store, with little a
 * reader would miss: each attempt's span names the workflow and its run, and a start that fails fails the request,
 * whose span records the error status. A start made with no span active (a gateway embedded without a request around
 * it) still gets the SDK's span, so that the attempts of one event still share one trace.
 */
export class StartInCallerSpanInterceptor extends OpenTelemetryWorkflowClientInterceptor {
  override async start(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'start'>): Promise<string> {
    const headers = callerTraceHeaders(input.headers);
    return headers ? next({ ...input, headers }) : super.start(input, next);
  }

  override async startWithDetails(
    input: WorkflowStartInput,
    next: Next<WorkflowClientInterceptor, 'startWithDetails'>,
  ): Promise<WorkflowStartOutput> {
    const headers = callerTraceHeaders(input.headers);
    return headers ? next({ ...input, headers }) : super.startWithDetails(input, next);
  }
}

/** The headers with the active span's trace added, or `undefined` when no valid span is active. */
function callerTraceHeaders(headers: Record<string, Payload>): Record<string, Payload> | undefined {
  const active = trace.getSpan(context.active());
  if (!active || !isSpanContextValid(active.spanContext())) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
}
