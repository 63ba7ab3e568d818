import type { OperationalNotice, RoutableEndpoint } from '../domain/endpoint-state.js';
import type { RouteIndex } from '../domain/routing.js';
import { toRoutedTarget, type DeliveryDefaults } from '../domain/target.js';
import type { EventPublisher } from '../runtime/publisher.js';

/** What the operational activities need from their process. */
export interface OperationalActivityDeps {
  readonly publisher: EventPublisher;
  /** The endpoints of this task queue, as the API routes them. */
  readonly routes: () => RouteIndex<RoutableEndpoint>;
  readonly deliveryDefaults: DeliveryDefaults;
}

/** Builds the activities through which workflows publish events about the gateway itself. */
export function createOperationalActivities(deps: OperationalActivityDeps) {
  return {
    /** Routes and starts delivery of an operational event like any other; a repeat of its id delivers nothing new. */
    async publishOperationalEvent(notice: OperationalNotice): Promise<void> {
      const targets = deps
        .routes()
        .route(notice.type)
        .map((endpoint) => toRoutedTarget(endpoint, deps.deliveryDefaults));
      await deps.publisher.publish(notice, targets);
    },
  };
}

/** The operational activities' interface, for `proxyActivities` in workflows. */
export type OperationalActivities = ReturnType<typeof createOperationalActivities>;
