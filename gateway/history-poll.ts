import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { EventType } = proto.temporal.api.enums.v1;

/**
 * The events that end a run other than continue-as-new: a followed workflow that never ends on its own was ended from
 * outside, and must be started again.
 */
export const CLOSING_EVENTS = new Set<proto.temporal.api.enums.v1.EventType>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
]);

/** A page of a run's history, and the token of the next one: none after the run's last event so far. */
export interface HistoryPage {
  readonly events: proto.temporal.api.history.v1.IHistoryEvent[];
  readonly token: Uint8Array | undefined;
}

/**
 * Long-polls the page of a run's history after `token`. Without a token it answers at once with the run so far; with
 * one, once something new is written after it: a follower costs Temporal nothing while nothing changes.
 */
export async function pollHistoryPage(
  client: Pick<Client, 'workflowService' | 'options'>,
  execution: { readonly workflowId: string; readonly runId: string },
  token: Uint8Array | undefined,
): Promise<HistoryPage> {
  const { history, nextPageToken } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution,
    waitNewEvent: true,
    ...(token ? { nextPageToken: token } : {}),
  });
  return { events: history?.events ?? [], token: nextPageToken && nextPageToken.length > 0 ? nextPageToken : undefined };
}
