import type { DeliveryTarget, TraceCarrier, UnroutedEndpoint } from '../domain/delivery.js';
import type { IncomingEvent } from '../domain/event.js';
import { carrierOf } from '../tracing/carrier.js';

/**
 * What `prepareWebhookEvent` found: the event may go out, with its targets, or it is refused, and why. Stored in the
 * sending workflow's history, so its shape stays as it is.
 */
export type PreparedEvent =
  | {
      readonly kind: 'ready';
      readonly targets: DeliveryTarget[];
      /** Subscribers whose payload filter the event failed; absent when none (and in histories from before filters). */
      readonly unrouted?: UnroutedEndpoint[];
      /** The digest of the event's content, kept in the delivery's memo as the API keeps it. */
      readonly fingerprint: string;
      readonly maxConcurrentDeliveries: number;
      /**
       * The trace the sending workflow runs in, when its worker runs the Temporal SDK's OpenTelemetry interceptors
       * (workflow code cannot read it otherwise): the delivery's attempts join it. Absent without one.
       */
      readonly trace?: TraceCarrier;
    }
  | { readonly kind: 'refused'; readonly reason: string };

/** What the activities behind `sendEvent` need from their process. */
export interface SendActivityDeps {
  /** Checks and routes an event as `POST /v1/events` would (catalogue, reserved ids), without starting it. */
  readonly prepareEvent: (event: IncomingEvent) =>
    | {
        readonly kind: 'ready';
        readonly targets: readonly DeliveryTarget[];
        readonly unrouted: readonly UnroutedEndpoint[];
        readonly fingerprint: string;
      }
    | { readonly kind: 'refused'; readonly message: string };
  /** The fingerprint a delivery workflow was started with; `undefined` when it has none or is gone. */
  readonly storedFingerprint: (workflowId: string) => Promise<string | undefined>;
  readonly maxConcurrentDeliveries: number;
}

/**
 * Builds the activities through which a workflow sends an event (`sendEvent`). The checks and routing are the API's
 * own, so that an event sent from a workflow is held to the same rules as one POSTed.
 */
export function createSendActivities(deps: SendActivityDeps) {
  return {
    /** Checks an event against the catalogue and the reserved ids, and routes it, as `POST /v1/events` would. */
    // Synchronous work, but workflows can only proxy activities that return promises.
    prepareWebhookEvent(event: IncomingEvent): Promise<PreparedEvent> {
      const prepared = deps.prepareEvent(event);
      // The sending workflow's trace, when the SDK's activity interceptor made this activity's span active.
      const trace: TraceCarrier | undefined = carrierOf();
      return Promise.resolve(
        prepared.kind === 'refused'
          ? { kind: 'refused', reason: prepared.message }
          : {
              kind: 'ready',
              targets: [...prepared.targets],
              ...(prepared.unrouted.length > 0 ? { unrouted: [...prepared.unrouted] } : {}),
              fingerprint: prepared.fingerprint,
              maxConcurrentDeliveries: deps.maxConcurrentDeliveries,
              ...(trace ? { trace } : {}),
            },
      );
    },
    /** Whether the delivery workflow already started under an id holds the same content; `undefined` if unknown. */
    async webhookEventMatches(workflowId: string, fingerprint: string): Promise<boolean | undefined> {
      const stored = await deps.storedFingerprint(workflowId);
      return stored === undefined ? undefined : stored === fingerprint;
    },
  };
}

/** The send activities' interface, for `proxyActivities` in workflows. */
export type SendActivities = ReturnType<typeof createSendActivities>;
