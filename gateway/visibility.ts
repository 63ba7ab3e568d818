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

/**
 * The endpoint entities of one task queue that ended because their endpoint was deleted (the only way an entity
 * completes; continue-as-new closes a run otherwise): kept by visibility for the namespace's retention.
 */
export function retiredEndpointEntitiesQuery(taskQueue: string): string {
  return [
    `WorkflowType = ${quoteValue(webhookEndpoint.name)}`,
    `ExecutionStatus = 'Completed'`,
    `TaskQueue = ${quoteValue(taskQueue)}`,
  ].join(' AND ');
}

/** What to list of an endpoint's deliveries. */
export interface DeliveryFilter {
  /** The event's overall status, as its `WebhookStatus` says; `retrying` means waiting to retry this endpoint. */
  readonly status?: DeliveryStatus;
  /** Only deliveries started at or after this time. */
  readonly since?: Date;
}

/**
 * The delivery workflows (events, their parts and redeliveries) routed to an endpoint. With `status: 'retrying'`,
 * those waiting to retry this endpoint (see {@link waitingToRetry}).
 */
export function endpointDeliveriesQuery(endpointId: string, filter: DeliveryFilter = {}): string {
  const clauses = [
    `WorkflowType = ${quoteValue(deliverEvent.name)}`,
    filter.status === 'retrying' ? waitingToRetry(endpointId) : routedTo(endpointId, filter.status),
  ];
  if (filter.since) clauses.push(`StartTime >= ${quoteValue(filter.since.toISOString())}`);
  return clauses.join(' AND ');
}

/**
 * The running deliveries that wait to retry an endpoint. `byEventStatus` asks as before `WebhookRetryingEndpointIds`
 * existed, for a namespace where it is not registered yet.
 */
export function retryingDeliveriesQuery(endpointId: string, { byEventStatus = false } = {}): string {
  return [
    `WorkflowType = ${quoteValue(deliverEvent.name)}`,
    byEventStatus ? routedTo(endpointId, 'retrying') : waitingToRetry(endpointId),
    `ExecutionStatus = 'Running'`,
  ].join(' AND ');
}

/** Routed to the endpoint, and, if given, with this overall status. */
function routedTo(endpointId: string, status?: DeliveryStatus): string {
  const routed = `${endpointIdsKey.name} = ${quoteValue(endpointId)}`;
  return status ? `${routed} AND ${deliveryStatusKey.name} = ${quoteValue(status)}` : routed;
}

/**
 * Waiting to retry the endpoint: from delivery version 5 a delivery names it in `WebhookRetryingEndpointIds`; an
 * older one has no such attribute, and counts when the event as a whole waits to retry (so also when it waits for
 * another of its endpoints).
 */
function waitingToRetry(endpointId: string): string {
  const older = `(${routedTo(endpointId, 'retrying')} AND ${retryingEndpointIdsKey.name} IS NULL)`;
  return `(${retryingEndpointIdsKey.name} = ${quoteValue(endpointId)} OR ${older})`;
}

/** A search attribute's value in a raw listing entry, where the SDK leaves attributes as payloads. */
export function readSearchAttribute(execution: temporal.api.workflow.v1.IWorkflowExecutionInfo, key: { readonly name: string }): unknown {
  const payload = execution.searchAttributes?.indexedFields?.[key.name];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}
