import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// The SQLite visibility store of the dev server allows 3 custom attributes of most types and 10 Keywords:
// these stay well inside that. None of them ever carries payload data or secrets.

/** The event type of a `deliverEvent` workflow, e.g. `order.created`. */
export const eventTypeKey = defineSearchAttributeKey('WebhookEventType', SearchAttributeType.KEYWORD);
/** The ids of the endpoints an event was routed to. */
export const endpointIdsKey = defineSearchAttributeKey('WebhookEndpointIds', SearchAttributeType.KEYWORD_LIST);
/** The endpoints a delivery waits to retry (from delivery version 5): what counts an endpoint's retrying deliveries. */
export const retryingEndpointIdsKey = defineSearchAttributeKey('WebhookRetryingEndpointIds', SearchAttributeType.KEYWORD_LIST);
/** The overall delivery status of an event: `delivering`, `retrying`, `succeeded` or `failed`. */
export const deliveryStatusKey = defineSearchAttributeKey('WebhookStatus', SearchAttributeType.KEYWORD);
/** The status of an endpoint entity: `active`, `paused` or `disabled`. */
export const endpointStatusKey = defineSearchAttributeKey('WebhookEndpointStatus', SearchAttributeType.KEYWORD);

/** Every search attribute the project needs registered on its namespace. */
export const SEARCH_ATTRIBUTE_KEYS = [eventTypeKey, endpointIdsKey, deliveryStatusKey, endpointStatusKey, retryingEndpointIdsKey] as const;
