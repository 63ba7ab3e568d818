import {
  ApplicationFailure,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  uuid4,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { OperationalActivities } from '../activities/index.js';
import type { DeliveryReport } from '../domain/delivery.js';
import { EventIdSchema, eventWorkflowId, type WebhookEvent } from '../domain/event.js';
import { EventTypeSchema } from '../domain/pattern.js';
import { deliverEvent } from './deliver-event.js';
import { deliveryStartOptions } from './start-options.js';

// Helpers for the user's own workflow code. Not exported from `workflows/index.ts`: every function that module
// exports becomes a workflow type on the worker.

/** An event a workflow sends; like the body of `POST /v1/events`. */
export interface EventToSend {
  /** Your id for the event; sending the same id twice delivers once. Defaults to a (replay-safe) random UUID. */
  readonly id?: string;
  /** The event type, e.g. `order.paid`; it picks the endpoints. */
  readonly type: string;
  /** ISO 8601; defaults to the workflow's current time. */
  readonly timestamp?: string;
  /** Any JSON value; defaults to `{}`. */
  readonly data?: unknown;
}

export interface SendEventOptions {
  /**
   * The task queue of a worker with the webhooks plugin, when it is not this workflow's own: routing and delivery
   * both run there. For instance the `webhooks` queue of a gateway started with `npm start`.
   */
  readonly taskQueue?: string;
  /** How long routing may take, retries included, before the send fails. Default: 1 minute. */
  readonly routingTimeout?: string;
  /** The most HTTP attempts running at once for this event. Default: the delivery workflow's own (100). */
  readonly maxConcurrentDeliveries?: number;
}

/** The delivery an event started; `result()` waits for its report. */
export interface StartedDelivery {
  readonly eventId: string;
  readonly workflowId: string;
  readonly duplicate: false;
  /** Resolves when every endpoint has succeeded or given up, with each one's attempts. */
  result(): Promise<DeliveryReport>;
}

/** A send whose event id was already delivered (or is being delivered): nothing new was started. */
export interface DuplicateDelivery {
  readonly eventId: string;
  readonly workflowId: string;
  readonly duplicate: true;
}

export type SentEvent = StartedDelivery | DuplicateDelivery;

/** The failure type `sendEvent` throws for an event that could never be delivered as given. */
export const INVALID_EVENT_FAILURE = 'InvalidWebhookEvent';

/**
 * Sends an event from a workflow: routes it to the matching endpoints, then starts its `deliverEvent` child
 * workflow `event/<id>`, which the API, the CLI and the Web UI see like any other event.
 *
 * Await `result()` to wait for the deliveries, or ignore it: the child is abandoned when its parent closes or is
 * cancelled, because an event once sent must be delivered whatever becomes of the workflow that sent it.
 */
export async function sendEvent(event: EventToSend, options: SendEventOptions = {}): Promise<SentEvent> {
  const accepted = acceptEvent(event);
  const { routeEvent } = proxyActivities<OperationalActivities>({
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: options.routingTimeout ?? '1 minute',
    ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
  });
  const targets = await routeEvent(accepted.type);
  const workflowId = eventWorkflowId(accepted.id);
  try {
    const child = await startChild(deliverEvent, {
      workflowId,
      ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
      args: [
        {
          event: accepted,
          targets,
          ...(options.maxConcurrentDeliveries ? { maxConcurrentDeliveries: options.maxConcurrentDeliveries } : {}),
        },
      ],
      ...deliveryStartOptions(accepted, targets),
      // As for the API: an event id is delivered once, ever, while its workflow is kept.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    });
    return { eventId: accepted.id, workflowId, duplicate: false, result: () => child.result() };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { eventId: accepted.id, workflowId, duplicate: true };
    throw error;
  }
}

// The API's rules for an event, applied here so that a mistake fails the workflow at once instead of at delivery.
function acceptEvent(event: EventToSend): WebhookEvent {
  const id = event.id ?? uuid4();
  const problems = [
    EventIdSchema.safeParse(id).error?.issues[0]?.message,
    EventTypeSchema.safeParse(event.type).error?.issues[0]?.message,
    event.timestamp === undefined || !Number.isNaN(Date.parse(event.timestamp)) ? undefined : 'timestamp must be ISO 8601',
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`cannot send event: ${problems.join('; ')}`, INVALID_EVENT_FAILURE);
  return { id, type: event.type, timestamp: event.timestamp ?? new Date().toISOString(), data: event.data ?? {} };
}
