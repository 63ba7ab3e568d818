import type { Endpoint } from './endpoint.js';

/** Whether an endpoint takes deliveries: `paused` holds them for later, `disabled` routes it nothing. */
export type EndpointStatus = 'active' | 'paused' | 'disabled';

/** Where an endpoint's definition comes from: the config file is reconciled at start-up, the API manages its own. */
export type EndpointSource = 'config' | 'api';

/** Everything the entity knows about one endpoint. Plain data: it is carried across continue-as-new. */
export interface EndpointState {
  /** The definition, with secrets as references only. */
  readonly endpoint: Endpoint;
  readonly source: EndpointSource;
  readonly status: EndpointStatus;
  /** Why the status is what it is, e.g. "paused by an operator" or "the endpoint answered 410 Gone". */
  readonly statusReason?: string;
  /** ISO 8601 time of the last status change. */
  readonly statusChangedAt: string;
  /** Bumped by every status change: tells a newer word about the status from an older one. */
  readonly statusVersion: number;
  /** Bumped by every change of the definition. */
  readonly revision: number;
  /** Workflow ids of deliveries waiting for the endpoint to be resumed, in the order they asked. */
  readonly heldDeliveries: readonly string[];
}

/** The state as an entity publishes it in its memo, for listing and routing: without the held deliveries. */
export type PublishedEndpointState = Omit<EndpointState, 'heldDeliveries'>;

/** An endpoint as routing sees it: its definition and whether it takes deliveries. */
export interface RoutableEndpoint extends Endpoint {
  readonly status: EndpointStatus;
  readonly statusReason?: string;
  /** The entity's status version, once its entity has been read. */
  readonly statusVersion?: number;
}

/** An endpoint's status as last read from its entity. */
export interface EndpointStatusView {
  readonly status: EndpointStatus;
  readonly statusReason?: string;
  readonly statusVersion: number;
}

/** What an entity tells a held delivery: go on (the status has moved on), or stop, since the endpoint is disabled. */
export interface Release {
  readonly endpointId: string;
  readonly statusVersion: number;
  readonly cancelledReason?: string;
}

/** The memo key under which an endpoint entity publishes its state, less the held deliveries. */
export const ENDPOINT_STATE_MEMO = 'state';

/** The reason given when a definition says `enabled: false`; only such a disable is lifted by `enabled: true`. */
export const DISABLED_BY_DEFINITION = 'disabled in its definition';
