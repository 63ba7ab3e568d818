import type { SearchAttributePair } from '@temporalio/common';
import type { DeliveryTarget } from '../domain/delivery.js';
import type { WebhookEvent } from '../domain/event.js';
import { fitsOnePart, type PartLimits } from '../domain/fanout.js';
import { deliveryStatusKey, endpointIdsKey, eventTypeKey } from './search-attributes.js';

/** The memo field holding a digest of the event's content, which tells a retry of an event from a reuse of its id. */
export const FINGERPRINT_MEMO = 'fingerprint';

/** What every new `deliverEvent` run starts with, whether the API, an operational event or a user's workflow starts it. */
export interface DeliveryStartOptions {
  readonly staticSummary: string;
  readonly typedSearchAttributes: SearchAttributePair[];
}

/**
 * The Web UI's summary line and the search attributes of an event's delivery. The summary names endpoints by count
 * only: their ids are in a search attribute, their URLs only in the (possibly encrypted) input.
 */
export function deliveryStartOptions(
  event: WebhookEvent,
  targets: readonly DeliveryTarget[],
  partLimits?: PartLimits,
): DeliveryStartOptions {
  const endpointIds = targets.map((target) => target.endpointId);
  return {
    staticSummary: `${event.type} → ${targets.length} endpoint${targets.length === 1 ? '' : 's'}`,
    typedSearchAttributes: [
      { key: eventTypeKey, value: event.type },
      // An event split into parts lists its endpoints on the parts: here they would not fit one attribute.
      ...(fitsOnePart(targets, partLimits) ? [{ key: endpointIdsKey, value: endpointIds }] : []),
      { key: deliveryStatusKey, value: targets.length === 0 ? 'succeeded' : 'pending' },
    ],
  };
}
