import type { DeliveryTarget } from './delivery.js';
import type { Endpoint } from './endpoint.js';

/** Delivery settings that apply to every endpoint unless it says otherwise. */
export interface DeliveryDefaults {
  readonly timeoutMs: number;
  readonly retryScheduleMs: readonly number[];
}

/** Freezes what a delivery needs to know about an endpoint at the moment its event is accepted. */
export function toDeliveryTarget(endpoint: Endpoint, defaults: DeliveryDefaults): DeliveryTarget {
  return {
    endpointId: endpoint.id,
    url: endpoint.url,
    headers: endpoint.headers,
    timeoutMs: defaults.timeoutMs,
    retryScheduleMs: defaults.retryScheduleMs,
  };
}
