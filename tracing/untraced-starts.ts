import type { Next, WorkflowClientInterceptor, WorkflowStartInput, WorkflowStartOutput } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

/**
 * The SDK's client interceptor (a span for each signal, query, update and the rest), less starts. A delivery's start
 * carries its trace in its input, for its attempts' spans (`gateway/start-trace.ts`): the header and the
 * `StartWorkflow` span the SDK's would add are work that no attempt reads, and the header would need an interceptor in
 * every workflow to be passed on. Other starts made through it (an endpoint's entity from the API, in a request whose
 * span covers it; the directories', at a process's start) have no span of their own either; update-with-start (the
 * entities' reconciliation) keeps the SDK's.
 */
export class UntracedStartsInterceptor extends OpenTelemetryWorkflowClientInterceptor {
  // The client starts through `startWithDetails` only (the SDK's `start` is for interceptors written before it).
  override startWithDetails(
    input: WorkflowStartInput,
    next: Next<WorkflowClientInterceptor, 'startWithDetails'>,
  ): Promise<WorkflowStartOutput> {
    return next(input);
  }
}
