import { context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { Next, WorkflowClientInterceptor, WorkflowStartInput, WorkflowStartOutput } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
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
 * reader would miss: each attempt's span names the workflow and its run, and a start that fails records why on the
 * request's span. Any start made in a request is treated so (an endpoint's entity, started by `POST /v1/endpoints`,
 * too). A start made with no span active (a gateway embedded without a request around it) still gets the SDK's span,
 * so that the attempts of one event still share one trace.
 */
export class StartInCallerSpanInterceptor extends OpenTelemetryWorkflowClientInterceptor {
  // The client starts through `startWithDetails` only (the SDK's `start` is for interceptors written before it).
  override async startWithDetails(
    input: WorkflowStartInput,
    next: Next<WorkflowClientInterceptor, 'startWithDetails'>,
  ): Promise<WorkflowStartOutput> {
    const caller = trace.getSpan(context.active());
    if (!caller || !isSpanContextValid(caller.spanContext())) return super.startWithDetails(input, next);
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    try {
      return await next({ ...input, headers: { ...input.headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) } });
    } catch (error) {
      // What the start's own span recorded: why it failed. A duplicate start is the API's idempotency, not a failure.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) caller.recordException(error instanceof Error ? error : String(error));
      throw error;
    }
  }
}
