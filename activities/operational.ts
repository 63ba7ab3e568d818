import type { DeliveryTarget } from '../domain/delivery.js';
import type { OperationalNotice } from '../domain/endpoint-state.js';
import type { EventPublisher } from '../gateway/delivery-starter.js';

/** What the operational activities need from their process. */
export interface OperationalActivityDeps {
  readonly publisher: EventPublisher;
  /** The endpoints an event of a type goes to, as the API routes it (`Ingest.targets`). */
  readonly targets: (eventType: string) => DeliveryTarget[];
}

/** Builds the activities through which workflows publish events about the gateway itself. */
export function createOperationalActivities(deps: OperationalActivityDeps) {
  return {
    /** Routes and starts delivery of an operational event like any other; a repeat of its id delivers nothing new. */
    async publishOperationalEvent(notice: OperationalNotice): Promise<void> {
      await deps.publisher.publish(notice, deps.targets(notice.type));
    },
  };
}

/** The operational activities' interface, for `proxyActivities` in workflows. */
export type OperationalActivities = ReturnType<typeof createOperationalActivities>;
