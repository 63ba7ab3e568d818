import type { Payload } from '@temporalio/common';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The header the OpenTelemetry interceptors carry a trace context in (`TRACE_HEADER` of the SDK's package). */
export const TRACE_HEADER = '_tracer-data';

/**
 * Carries the trace a workflow was started in to every activity it schedules, local ones included, and to its child
 * workflows, without making spans inside the workflow. Each attempt's span is then a child of the span the start was
 * made in (the API's request), and the trace reaches the receiver, for a fraction of what the SDK's workflow
 * interceptors cost (they make spans in the sandbox and export them through a sink on every activation). It adds no
 * command and no yield: histories replay the same with it and without it.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let trace: Payload | undefined;
  const withTrace = <T extends { readonly headers: Record<string, Payload> }>(input: T): T =>
    trace && !input.headers[TRACE_HEADER] ? { ...input, headers: { ...input.headers, [TRACE_HEADER]: trace } } : input;
  return {
    inbound: [
      {
        execute(input, next) {
          trace = input.headers[TRACE_HEADER];
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(withTrace(input)),
        scheduleLocalActivity: (input, next) => next(withTrace(input)),
        startChildWorkflowExecution: (input, next) => next(withTrace(input)),
      },
    ],
  };
};
