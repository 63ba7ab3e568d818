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
 * Reads the page of `runId`'s history after `token` (from the start without one). With `waitNewEvent`, a long poll:
 * a page after the run's last event is answered only once something new is written, so a follower costs Temporal
 * nothing while nothing changes.
 */
export async function readHistoryPage(
  client: Pick<Client, 'workflowService' | 'options'>,
  execution: { readonly workflowId: string; readonly runId: string },
  page: { readonly token?: Uint8Array | undefined; readonly waitNewEvent?: boolean } = {},
): Promise<HistoryPage> {
  const { history, nextPageToken } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution,
    ...(page.waitNewEvent ? { waitNewEvent: true } : {}),
    ...(page.token ? { nextPageToken: page.token } : {}),
  });
  return { events: history?.events ?? [], token: nextPageToken && nextPageToken.length > 0 ? nextPageToken : undefined };
}
