import type { DeliveryTarget, UnroutedEndpoint } from './delivery.js';
import type { RoutableEndpoint } from './endpoint-state.js';
import type { WebhookEvent } from './event.js';
import { matchFilter } from './filter.js';
import { toRoutedTarget, type DeliveryDefaults } from './target.js';

/** Where an event goes: the targets it is delivered to, and the subscribers its payload did not pass the filter of. */
export interface RoutedEvent {
  readonly targets: DeliveryTarget[];
  /** At most {@link MAX_UNROUTED_LISTED}: they travel in the delivery's input, so they are bounded like it. */
  readonly unrouted: UnroutedEndpoint[];
}

/** How many filtered-out endpoints an event's report names; past that, it names the first ones. */
export const MAX_UNROUTED_LISTED = 100;

/** Routes an event to the endpoints subscribed to its type (`subscribers`), each as its payload filter allows. */
export function routeEvent(subscribers: readonly RoutableEndpoint[], event: WebhookEvent, defaults: DeliveryDefaults): RoutedEvent {
  const targets: DeliveryTarget[] = [];
  const unrouted: UnroutedEndpoint[] = [];
  for (const endpoint of subscribers) {
    const verdict = endpoint.filter === undefined ? undefined : matchFilter(endpoint.filter, event);
    if (verdict === undefined || verdict.matched) targets.push(toRoutedTarget(endpoint, defaults));
    else if (unrouted.length < MAX_UNROUTED_LISTED) unrouted.push({ endpointId: endpoint.id, reason: `filter: ${verdict.reason}` });
  }
  return { targets, unrouted };
}
