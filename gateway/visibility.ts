import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { DeliveryStatus } from '../domain/delivery.js';
import { deliverEvent, webhookEndpoint } from '../workflows/index.js';
import { deliveryStatusKey, endpointIdsKey, retryingEndpointIdsKey } from '../workflows/search-attributes.js';

// Every visibility query the gateway makes, built in one place: workflow types and search attribute names come from
// their definitions, and every value is quoted here, so a name or an id cannot break a query or widen it.

/** A value as a string literal of a visibility query: quoted, with quotes and backslashes escaped. */
export function quoteValue(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The running endpoint entities of one task queue: gateways that share a namespace each own their queue's. */
export function runningEndpointEntitiesQuery(taskQueue: string): string {
  return [`WorkflowType = ${quoteValue(webhookEndpoint.name)}`, `ExecutionStatus = 'Running'`, `TaskQueue = ${quoteValue(taskQueue)}`].join(
    ' AND ',
  );
}

/** What to list of an endpoint's deliveries. */
export interface DeliveryFilter {
  /** The event's overall status, as its `WebhookStatus` says; `retrying` means waiting to retry this endpoint. */
  readonly status?: DeliveryStatus;
  /** Only deliveries started at or after this time. */
  readonly since?: Date;
}

/**
 * The delivery workflows (events, their parts and redeliveries) routed to an endpoint. Those waiting to retry it name
 * it in `WebhookRetryingEndpointIds` from delivery version 5; an older delivery has no such attribute, and counts as
 * waiting to retry every endpoint of an event whose status is `retrying` (so also when it waits for another one).
 */
export function endpointDeliveriesQuery(endpointId: string, filter: DeliveryFilter = {}): string {
  const id = quoteValue(endpointId);
  const routed = `${endpointIdsKey.name} = ${id}`;
  const clauses = [`WorkflowType = ${quoteValue(deliverEvent.name)}`];
  if (filter.status === 'retrying') {
    const olderDelivery = `(${routed} AND ${deliveryStatusKey.name} = 'retrying' AND ${retryingEndpointIdsKey.name} IS NULL)`;
    clauses.push(`(${retryingEndpointIdsKey.name} = ${id} OR ${olderDelivery})`);
  } else {
    clauses.push(routed);
    if (filter.status) clauses.push(`${deliveryStatusKey.name} = ${quoteValue(filter.status)}`);
  }
  if (filter.since) clauses.push(`StartTime >= ${quoteValue(filter.since.toISOString())}`);
  return clauses.join(' AND ');
}

/**
 * The running deliveries that wait to retry an endpoint (see {@link endpointDeliveriesQuery}). `byEventStatus` asks
 * as before `WebhookRetryingEndpointIds` existed, for a namespace where it is not registered yet.
 */
export function retryingDeliveriesQuery(endpointId: string, { byEventStatus = false } = {}): string {
  const waiting = byEventStatus
    ? [
        `WorkflowType = ${quoteValue(deliverEvent.name)}`,
        `${endpointIdsKey.name} = ${quoteValue(endpointId)}`,
        `${deliveryStatusKey.name} = 'retrying'`,
      ].join(' AND ')
    : endpointDeliveriesQuery(endpointId, { status: 'retrying' });
  return `${waiting} AND ExecutionStatus = 'Running'`;
}

/** A search attribute's value in a raw listing entry, where the SDK leaves attributes as payloads. */
export function readSearchAttribute(execution: temporal.api.workflow.v1.IWorkflowExecutionInfo, key: { readonly name: string }): unknown {
  const payload = execution.searchAttributes?.indexedFields?.[key.name];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}
