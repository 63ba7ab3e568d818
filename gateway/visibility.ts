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
  /** The event's overall status, as its `WebhookStatus` says. */
  readonly status?: DeliveryStatus;
  /** Only deliveries started at or after this time. */
  readonly since?: Date;
}

/** The delivery workflows (events, their parts and redeliveries) routed to an endpoint. */
export function endpointDeliveriesQuery(endpointId: string, filter: DeliveryFilter = {}): string {
  const clauses = [`WorkflowType = ${quoteValue(deliverEvent.name)}`, `${endpointIdsKey.name} = ${quoteValue(endpointId)}`];
  if (filter.status) clauses.push(`${deliveryStatusKey.name} = ${quoteValue(filter.status)}`);
  if (filter.since) clauses.push(`StartTime >= ${quoteValue(filter.since.toISOString())}`);
  return clauses.join(' AND ');
}

/**
 * The running deliveries that wait to retry an endpoint. From delivery version 5 they name it in
 * `WebhookRetryingEndpointIds`; an older delivery has no such attribute, and counts when it was routed to the endpoint
 * and the event as a whole waits to retry (so also when it waits to retry another of its endpoints).
 */
export function retryingDeliveriesQuery(endpointId: string): string {
  const id = quoteValue(endpointId);
  const olderDelivery = `(${endpointIdsKey.name} = ${id} AND ${deliveryStatusKey.name} = 'retrying' AND ${retryingEndpointIdsKey.name} IS NULL)`;
  return [
    `WorkflowType = ${quoteValue(deliverEvent.name)}`,
    `ExecutionStatus = 'Running'`,
    `(${retryingEndpointIdsKey.name} = ${id} OR ${olderDelivery})`,
  ].join(' AND ');
}

/** A search attribute's value in a raw listing entry, where the SDK leaves attributes as payloads. */
export function readSearchAttribute(execution: temporal.api.workflow.v1.IWorkflowExecutionInfo, key: { readonly name: string }): unknown {
  const payload = execution.searchAttributes?.indexedFields?.[key.name];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}
