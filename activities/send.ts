import type { DeliveryTarget } from '../domain/delivery.js';
import type { IncomingEvent } from '../domain/event.js';
import type { EventPublisher } from '../gateway/delivery-starter.js';
import { unknownTypeMessage } from '../gateway/catalogue.js';
import { fingerprintOf, type Ingest } from '../gateway/ingest.js';

/** What `prepareWebhookEvent` found: the event may go out, with its targets, or it is refused, and why. */
export type PreparedEvent =
  | {
      readonly kind: 'ready';
      readonly targets: DeliveryTarget[];
      /** The digest of the event's content, kept in the delivery's memo as the API keeps it. */
      readonly fingerprint: string;
      readonly maxConcurrentDeliveries: number;
    }
  | { readonly kind: 'refused'; readonly reason: string };

/** What the activities behind `sendEvent` need from their process. */
export interface SendActivityDeps {
  /** The API's own path for an event: the catalogue, reserved ids and routing of this worker's gateway. */
  readonly ingest: Ingest;
  readonly publisher: EventPublisher;
  readonly maxConcurrentDeliveries: number;
}

/**
 * Builds the activities through which a workflow sends an event (`sendEvent`). The checks and routing are the API's
 * own, so that an event sent from a workflow is held to the same rules as one POSTed.
 */
export function createSendActivities(deps: SendActivityDeps) {
  return {
    /** Checks an event against the catalogue and the reserved ids, and routes it, as `POST /v1/events` would. */
    prepareWebhookEvent(event: IncomingEvent): Promise<PreparedEvent> {
      const reserved = event.id === undefined ? undefined : deps.ingest.reservedId(event.id);
      if (reserved) return Promise.resolve({ kind: 'refused', reason: reserved });
      const verdict = deps.ingest.check(event);
      if (verdict.kind === 'unknown-type') return Promise.resolve({ kind: 'refused', reason: unknownTypeMessage(event.type) });
      if (verdict.kind === 'invalid-data') {
        const problems = verdict.errors.map((error) => `${error.path}: ${error.message}`).join('; ');
        return Promise.resolve({ kind: 'refused', reason: `the data does not match the schema of ${event.type}: ${problems}` });
      }
      return Promise.resolve({
        kind: 'ready',
        targets: deps.ingest.targets(event.type),
        fingerprint: fingerprintOf(event),
        maxConcurrentDeliveries: deps.maxConcurrentDeliveries,
      });
    },
    /** Whether the delivery workflow already started under an id holds the same content; `undefined` if unknown. */
    async webhookEventMatches(workflowId: string, fingerprint: string): Promise<boolean | undefined> {
      const stored = await deps.publisher.storedFingerprint(workflowId);
      return stored === undefined ? undefined : stored === fingerprint;
    },
  };
}

/** The send activities' interface, for `proxyActivities` in workflows. */
export type SendActivities = ReturnType<typeof createSendActivities>;
