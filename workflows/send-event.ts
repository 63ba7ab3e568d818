import {
  ApplicationFailure,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  uuid4,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SendActivities } from '../activities/index.js';
import { DELIVERY_VERSION } from '../domain/attempt-plan.js';
import type { DeliveryReport } from '../domain/delivery.js';
import type { IncomingEvent, WebhookEvent } from '../domain/event.js';
import { partLimitsFor } from '../domain/fanout.js';
import { eventWorkflowId } from '../domain/workflow-ids.js';
import { deliverEvent } from './deliver-event.js';
import { deliveryStartOptions, FINGERPRINT_MEMO } from './start-options.js';

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
  /** How long checking and routing may take, retries included, before the send fails. Default: 1 minute. */
  readonly routingTimeout?: string;
  /** The most HTTP attempts running at once for this event. Default: the gateway's `delivery.max_concurrent_per_event`. */
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
/** The failure type `sendEvent` throws when the event's id was already used for an event with other content. */
export const EVENT_ID_CONFLICT_FAILURE = 'WebhookEventIdConflict';

// Taken only for events whose endpoints could take more attempts than one workflow's history should hold: the child's
// input then carries `partLimits`, and its endpoint ids are listed on its parts only.
const ATTEMPT_BOUNDED_PARTS_PATCH = 'attempt-bounded-parts';

/**
 * Sends an event from a workflow, held to the same rules as `POST /v1/events` (the event-type catalogue and its
 * schemas, reserved ids, idempotency by id), then starts its `deliverEvent` child workflow `event/<id>`, which the
 * API, the CLI and the Web UI see like any other event.
 *
 * Await `result()` to wait for the deliveries, or ignore it: the child is abandoned when its parent closes or is
 * cancelled, because an event once sent must be delivered whatever becomes of the workflow that sent it.
 *
 * @throws an `ApplicationFailure` (non-retryable, so it fails the workflow) of type {@link INVALID_EVENT_FAILURE}
 * for an event the API would refuse, or {@link EVENT_ID_CONFLICT_FAILURE} for an id already sent with other content.
 */
export async function sendEvent(event: EventToSend, options: SendEventOptions = {}): Promise<SentEvent> {
  const given = await checkEvent(event);
  const { prepareWebhookEvent, webhookEventMatches } = proxyActivities<SendActivities>({
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: options.routingTimeout ?? '1 minute',
    ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
  });
  // The event goes to the activity as given: defaults filled in here would differ between retries of a workflow.
  const prepared = await prepareWebhookEvent(given);
  if (prepared.kind === 'refused') throw ApplicationFailure.nonRetryable(`cannot send event: ${prepared.reason}`, INVALID_EVENT_FAILURE);
  const accepted: WebhookEvent = {
    id: given.id ?? uuid4(),
    type: given.type,
    timestamp: given.timestamp ?? new Date().toISOString(),
    data: given.data ?? {},
  };
  const { targets, unrouted, fingerprint, trace } = prepared;
  const workflowId = eventWorkflowId(accepted.id);
  // Split by attempts as the API's starts are, where the default parts could outgrow a history; the patch marks the
  // histories whose child input and search attributes were chosen so.
  const boundedLimits = partLimitsFor(targets);
  const partLimits = boundedLimits && patched(ATTEMPT_BOUNDED_PARTS_PATCH) ? boundedLimits : undefined;
  try {
    const child = await startChild(deliverEvent, {
      workflowId,
      ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
      args: [
        {
          event: accepted,
          targets,
          maxConcurrentDeliveries: options.maxConcurrentDeliveries ?? prepared.maxConcurrentDeliveries,
          version: DELIVERY_VERSION,
          ...(unrouted ? { unrouted } : {}),
          ...(trace ? { trace } : {}),
          ...(partLimits ? { partLimits } : {}),
        },
      ],
      ...deliveryStartOptions(accepted, targets, partLimits),
      memo: { [FINGERPRINT_MEMO]: fingerprint },
      // As for the API: an event id is delivered once, ever, while its workflow is kept.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    });
    return { eventId: accepted.id, workflowId, duplicate: false, result: () => child.result() };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    if ((await webhookEventMatches(workflowId, fingerprint)) === false) {
      throw ApplicationFailure.nonRetryable(
        `event id ${accepted.id} was already sent with other content; send a new event under a new id`,
        EVENT_ID_CONFLICT_FAILURE,
      );
    }
    return { eventId: accepted.id, workflowId, duplicate: true };
  }
}

// The API's own schema, so that a mistake fails the workflow here instead of at the activity or at delivery. Loaded
// when a workflow sends, not when it starts: every workflow execution evaluates its modules afresh, and most
// executions of a user's workflows send no event.
async function checkEvent(event: EventToSend): Promise<IncomingEvent> {
  const { IncomingEventSchema } = await import(/* webpackMode: "eager" */ '../domain/event.js');
  const given = Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined));
  const parsed = IncomingEventSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`).join('; ');
  throw ApplicationFailure.nonRetryable(`cannot send event: ${problems}`, INVALID_EVENT_FAILURE);
}
