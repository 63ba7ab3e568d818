// Workflow ids are stored with every execution and named in operators' commands, so each kind is built here and
// parsed here, and nowhere else. Event and endpoint ids never contain `/` (their schemas forbid it), which is what
// lets the segments be told apart.

const EVENT_PREFIX = 'event/';
const ENDPOINT_PREFIX = 'endpoint/';

/** The Temporal workflow id of an event's delivery workflow; starting it twice is what makes ingest idempotent. */
export function eventWorkflowId(eventId: string): string {
  return `${EVENT_PREFIX}${eventId}`;
}

/** The workflow id of part `index` (from 0) of an event delivered in parts, under the event's own workflow id. */
export function partWorkflowId(deliveryWorkflowId: string, index: number): string {
  return `${deliveryWorkflowId}/part-${index + 1}`;
}

/** The workflow id of a redelivery of an event, beside its first delivery; `at` keeps each redelivery apart. */
export function redeliveryWorkflowId(eventId: string, at: Date): string {
  return `${eventWorkflowId(eventId)}/redelivery-${at.getTime().toString(36)}`;
}

/** The workflow id of an endpoint's entity workflow. */
export function endpointWorkflowId(endpointId: string): string {
  return `${ENDPOINT_PREFIX}${endpointId}`;
}

/**
 * The event a delivery workflow delivers, from its id: `event/<id>`, one of its parts or one of its redeliveries.
 * `undefined` for an id that is not a delivery's.
 */
export function eventIdOfWorkflowId(workflowId: string): string | undefined {
  if (!workflowId.startsWith(EVENT_PREFIX)) return undefined;
  const [eventId] = workflowId.slice(EVENT_PREFIX.length).split('/');
  return eventId || undefined;
}

/** The workflow id of the change log of a task queue's endpoints (`webhookEndpointDirectory`). */
export function endpointChangesWorkflowId(taskQueue: string): string {
  return `endpoint-changes/${taskQueue}`;
}

/** The workflow id of the book of a task queue's inbound sources (`webhookSourceDirectory`). */
export function sourceDirectoryWorkflowId(taskQueue: string): string {
  return `sources/${taskQueue}`;
}
