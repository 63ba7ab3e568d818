import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import type { EndpointChange } from '../domain/endpoint-state.js';
import { endpointChangesWorkflowId } from '../domain/workflow-ids.js';
import { endpointChangedSignal, webhookEndpointDirectory } from '../workflows/index.js';
import { callCancellably } from './background.js';
import { CLOSING_EVENTS, pollHistoryPage } from './history-poll.js';

const { EventType } = proto.temporal.api.enums.v1;

/**
 * Starts the change log of a task queue's endpoints if it is not running, and answers its current run. Any process
 * may: the log needs a worker of the queue only to run its (empty) workflow tasks, not to take changes.
 */
export async function ensureChangeLog(client: Client, taskQueue: string): Promise<string> {
  const workflowId = endpointChangesWorkflowId(taskQueue);
  try {
    const handle = await client.workflow.start(webhookEndpointDirectory, {
      workflowId,
      taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `endpoint changes of task queue ${taskQueue}`,
    });
    return handle.firstExecutionRunId;
  } catch (error) {
    // Started by another process a moment ago, under a policy that refuses: it is running, which is all we need.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return (await client.workflow.getHandle(workflowId).describe()).runId;
  }
}

export interface FollowOptions {
  readonly client: Client;
  readonly taskQueue: string;
  /** The run to follow from its first event. */
  readonly runId: string;
  /** Told of each change, in the order the log has them, a batch at a time. */
  readonly onChanges: (changes: readonly EndpointChange[]) => void;
  /** Stops following, cancelling the long poll in flight. */
  readonly signal: AbortSignal;
}

/**
 * Follows a change log: reads the run before `runId` (a change made just before a listing may have reached the log
 * but not yet the listing), then `runId` from its start, then each new event as it is written (a long poll, which
 * costs Temporal nothing while nothing changes), from run to run across continue-as-new. Resolves when the log ends
 * (it must be started again); rejects when Temporal fails it; ends, one way or the other, once `signal` aborts.
 */
export async function followChangeLog(options: FollowOptions): Promise<void> {
  const { client, taskQueue, signal } = options;
  const workflowId = endpointChangesWorkflowId(taskQueue);
  const tell = async (events: readonly proto.temporal.api.history.v1.IHistoryEvent[]): Promise<void> => {
    const changes = await changesIn(client, events);
    if (changes.length > 0) options.onChanges(changes);
  };

  let runId = options.runId;
  let token: Uint8Array | undefined;
  let firstPage = true;
  while (!signal.aborted) {
    // Without a token the long poll answers with the run's whole history and one; with it, with what came after.
    const { events, token: next } = await callCancellably(client, signal, () => pollHistoryPage(client, { workflowId, runId }, token));
    await tell(events);
    token = next;
    const previousRunId = firstPage ? events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId : undefined;
    firstPage = false;
    if (previousRunId) {
      const previous = await callCancellably(client, signal, () => client.workflow.getHandle(workflowId, previousRunId).fetchHistory());
      await tell(previous.events ?? []);
    }
    for (const event of events) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) {
        runId = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? runId;
        token = undefined;
      } else if (CLOSING_EVENTS.has(event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED)) {
        return;
      }
    }
  }
}

/**
 * The changes the log holds now, oldest first: its current run and the one before, read without waiting. What a
 * visibility listing made a moment ago may not show yet (an entity created or changed just now) is here; anything
 * older than the run before has long reached visibility. Empty when the log has not been started.
 */
export async function readRecentChanges(client: Client, taskQueue: string): Promise<EndpointChange[]> {
  const workflowId = endpointChangesWorkflowId(taskQueue);
  let current: string;
  try {
    current = (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return [];
    throw error;
  }
  const eventsOf = async (runId: string) => (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const currentEvents = await eventsOf(current);
  const previous = currentEvents[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
  const previousEvents = previous ? await eventsOf(previous) : [];
  return changesIn(client, [...previousEvents, ...currentEvents]);
}

/** The endpoint changes signalled among `events`, decoded, in order. */
async function changesIn(client: Client, events: readonly proto.temporal.api.history.v1.IHistoryEvent[]): Promise<EndpointChange[]> {
  const changes: EndpointChange[] = [];
  for (const event of events) {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (signaled?.signalName !== endpointChangedSignal.name) continue;
    const change = await decodeFromPayloadsAtIndex<EndpointChange>(client.options.loadedDataConverter, 0, signaled.input?.payloads);
    if (change?.state) changes.push(change);
  }
  return changes;
}
