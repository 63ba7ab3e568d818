import type { DeliveryTarget } from '../domain/delivery.js';
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

/** Builds the activities through which workflows route events and publish events about the gateway itself. */
export function createOperationalActivities(deps: OperationalActivityDeps) {
  const targetsFor = (eventType: string): DeliveryTarget[] =>
    deps
      .routes()
      .route(eventType)
      .map((endpoint) => toRoutedTarget(endpoint, deps.deliveryDefaults));

  return {
    /** Routes and starts delivery of an operational event like any other; a repeat of its id delivers nothing new. */
    async publishOperationalEvent(notice: OperationalNotice): Promise<void> {
      await deps.publisher.publish(notice, targetsFor(notice.type));
    },
    /**
     * The endpoints an event of `eventType` goes to, frozen as delivery targets, exactly as the API would route it.
     * A workflow that sends an event (`sendEvent`) asks this first: routing reads the worker's live endpoint list,
     * which workflow code may not.
     */
    routeEvent(eventType: string): Promise<DeliveryTarget[]> {
      return Promise.resolve(targetsFor(eventType));
    },
  };
}

/** The operational activities' interface, for `proxyActivities` in workflows. */
export type OperationalActivities = ReturnType<typeof createOperationalActivities>;
