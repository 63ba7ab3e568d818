import type { PayloadFormat } from './payload.js';
import type { RetryPolicy } from './retry.js';
import type { RateLimit } from './send-slots.js';

/** A header value: literal, or the name of an environment variable the worker reads when it sends. */
export type HeaderValue = string | { readonly env: string };

/** An OAuth2 client (client credentials grant) whose access tokens authenticate deliveries; its secret by name only. */
export interface OAuth2Reference {
  readonly type: 'oauth2';
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecretEnv: string;
  readonly scope?: string;
  readonly audience?: string;
  /** How the client authenticates to the token endpoint: HTTP Basic (`client_secret_basic`) or in the form (`post`). */
  readonly clientAuth: 'basic' | 'post';
}

/** How to authenticate to the receiver; secrets by reference only. */
export type AuthReference =
  | { readonly type: 'bearer'; readonly tokenEnv: string }
  | { readonly type: 'basic'; readonly username: string; readonly passwordEnv: string }
  | OAuth2Reference;

/** TLS settings of an endpoint's own, each a variable holding PEM text: a client certificate and key, a CA. */
export interface TlsReference {
  readonly certEnv?: string;
  readonly keyEnv?: string;
  /** Trusted instead of the system's CAs, for a receiver whose certificate a private CA signed. */
  readonly caEnv?: string;
}

/** How to sign; the secrets by reference only, several while one is being rotated out. */
export interface SigningReference {
  readonly scheme: 'standard-webhooks' | 'hmac-sha256';
  readonly secretEnvs: readonly string[];
  /**
   * Set for a secret the gateway generated: the worker derives it from the key in `keyEnv` (`secret_key_env`), the
   * endpoint's id and the secret's id, so history holds neither the secret nor the key. `secretEnvs` then names a
   * variable that is never set, so that a worker from before generated secrets fails the attempt (`missing_secret`)
   * instead of sending it unsigned.
   */
  readonly generated?: { readonly keyEnv: string; readonly secretId: string };
  /** The header of the `hmac-sha256` scheme. */
  readonly header: string;
}

/**
 * The W3C trace context (`traceparent`, and `tracestate` when there is one) an event was accepted in, as
 * OpenTelemetry's propagator writes it. It travels in the delivery's input and each attempt's, so that every attempt's
 * span joins the producer's trace without interceptors in the workflow (see docs/observability.md).
 */
export type TraceCarrier = Readonly<Record<string, string>>;

/**
 * What the delivery workflow needs to know about one endpoint, frozen when the event was accepted.
 * It is stored in workflow history, so it holds no secret: only the names of the variables that do.
 */
export interface DeliveryTarget {
  readonly endpointId: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly auth?: AuthReference;
  readonly signing?: SigningReference;
  readonly format: PayloadFormat;
  /** The key the `standard` and `event` formats put the payload under, when it is not `data`. */
  readonly dataKey?: string;
  /** A JSONata expression whose value, evaluated on the event by the worker, is the body (instead of `format`). */
  readonly transform?: string;
  /** Mutual TLS and a CA of the endpoint's own, by variable name. */
  readonly tls?: TlsReference;
  /**
   * The endpoint's rate limit when the event was routed: each attempt first asks the endpoint's entity for a slot, and
   * waits for its turn when refused. The entity applies the limit it has now.
   */
  readonly rateLimit?: RateLimit;
  /**
   * Set for an endpoint with `ordering: fifo`: the delivery joins the endpoint's line and sends only in its turn.
   * Redeliveries and test sends go without it.
   */
  readonly ordering?: { readonly onFailure: 'skip' | 'block' };
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  /** 4xx statuses retried besides 408, 425 and 429. */
  readonly retryOnStatus: readonly number[];
  /** Set when the endpoint was subscribed but takes no deliveries (it is disabled): recorded, never sent. */
  readonly skipReason?: string;
  /** Set when the endpoint was paused as the event was routed: the delivery is held before its first attempt. */
  readonly holdReason?: string;
  /**
   * The version of the endpoint entity's status that routing saw. A worker whose view of the entity is older
   * must not overrule it, e.g. hold or cancel a delivery to an endpoint enabled a moment ago.
   */
  readonly statusVersion?: number;
  /**
   * Set when routing found the endpoint failing: its first attempt runs as an ordinary activity rather than inside the
   * workflow task, since a failing receiver is often a slow one (delivery version 2).
   */
  readonly firstAttemptAsActivity?: boolean;
}

/** How a transport-level failure happened, when no HTTP response came back. */
export type TransportErrorClass =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns'
  | 'tls'
  | 'invalid_url'
  /** The destination resolved to an address the configuration does not allow (private, loopback, …). */
  | 'blocked_destination'
  /** A secret the endpoint refers to is not set in the worker's environment. */
  | 'missing_secret'
  /** The endpoint's transform failed on this event (an error, or over a limit): nothing was sent. */
  | 'transform_failed'
  /** No OAuth2 access token could be had (the token endpoint refused the client, or failed): nothing was sent. */
  | 'auth_failed'
  | 'other';

/** The facts of one HTTP attempt, as the delivery activity reports them. Outcomes are values, never exceptions. */
export interface AttemptResult {
  /** ISO 8601 start of the request. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly statusCode?: number;
  /** A few response headers worth keeping (retry-after, content-type, …), lowercase names. */
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /** The start of the response body, at most 1 KiB. */
  readonly responseBodyExcerpt?: string;
  readonly errorClass?: TransportErrorClass;
  readonly errorMessage?: string;
  /**
   * Set, instead of everything above, when no request was sent because the endpoint's entity says it is paused
   * (the delivery is then held) or disabled (the delivery is then cancelled).
   */
  readonly endpointStatus?: 'paused' | 'disabled';
  readonly endpointStatusReason?: string;
  /**
   * Set, instead of everything else, when no request was sent because the endpoint's rate limit had no slot: the
   * delivery waits until `retryAt` (ISO 8601) and asks again with `ticket`. Never counted as an attempt. `unanswered`:
   * the entity did not answer at all (a local attempt only, see `deliverAttempt`): the delivery then goes on as
   * ordinary attempts, and `ticket`, if any, is the one the attempt asked with, so that it keeps its place.
   */
  readonly throttled?: { readonly retryAt: string; readonly ticket?: number; readonly unanswered?: true };
}

/** What the workflow concluded from an attempt. */
export const ATTEMPT_VERDICTS = ['delivered', 'retryable', 'rejected', 'gone'] as const;
export type AttemptVerdict = (typeof ATTEMPT_VERDICTS)[number];

/** One attempt as recorded in the workflow's state and query results. */
export interface AttemptRecord extends AttemptResult {
  readonly attempt: number;
  readonly verdict: AttemptVerdict;
}

/** Where one endpoint's delivery of an event stands. `held` and `cancelled` come from endpoint control (pause, disable). */
export const DELIVERY_STATUSES = ['pending', 'delivering', 'retrying', 'held', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One endpoint's delivery of an event. */
export interface EndpointDelivery {
  readonly endpointId: string;
  readonly status: DeliveryStatus;
  readonly attempts: readonly AttemptRecord[];
  /** ISO 8601 time of the next attempt while `retrying`. */
  readonly nextAttemptAt?: string;
  /** Why the delivery ended without success, in a few words. */
  readonly reason?: string;
}

/** An endpoint subscribed to the event's type whose payload filter the event failed: it was not routed there. */
export interface UnroutedEndpoint {
  readonly endpointId: string;
  /** The condition the event failed, e.g. `data.total is 50, which fails $gt 100`. */
  readonly reason: string;
}

/** One child workflow of an event routed to more endpoints than one workflow holds. */
export interface PartReport {
  readonly workflowId: string;
  /** How many endpoints the part delivers to. */
  readonly endpoints: number;
  readonly status: DeliveryStatus;
  /** Once the part has finished: how many of its deliveries ended in each status. */
  readonly statusCounts?: Partial<Record<DeliveryStatus, number>>;
}

/** The state of an event's deliveries to every routed endpoint. */
export interface DeliveryReport {
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  /** Per endpoint; empty when the event was split into `parts`, whose own `deliveries` query lists them. */
  readonly deliveries: readonly EndpointDelivery[];
  readonly parts?: readonly PartReport[];
  /** Endpoints subscribed to the type that the event's payload did not pass the filter of; absent when none. */
  readonly unrouted?: readonly UnroutedEndpoint[];
}

/** The overall status of an event from its endpoints' statuses: done only when every endpoint is. */
export function summarizeStatus(statuses: readonly DeliveryStatus[]): DeliveryStatus {
  // Cancelled deliveries (skipped or stopped by an operator) are no failure: they set the tone only when alone.
  for (const status of ['delivering', 'pending', 'retrying', 'held', 'failed', 'succeeded'] as const) {
    if (statuses.includes(status)) return status;
  }
  return statuses.length === 0 ? 'succeeded' : 'cancelled';
}

/**
 * The status the `WebhookStatus` search attribute shows from version 2 of a delivery: only states operators filter on,
 * since each change is a history event and a visibility write. An endpoint waiting to retry or held makes the event
 * `retrying` or `held`; once every endpoint is done, the final status. Attempts in flight change nothing: the start
 * shows `pending`, and a retry in flight still shows `retrying` until its outcome.
 */
export function searchableStatus(statuses: readonly DeliveryStatus[], shown: DeliveryStatus): DeliveryStatus {
  if (statuses.includes('retrying')) return 'retrying';
  if (statuses.includes('held')) return 'held';
  if (statuses.includes('pending') || statuses.includes('delivering')) return shown;
  return summarizeStatus(statuses);
}

/**
 * The endpoints a delivery shows as waiting to retry (the `WebhookRetryingEndpointIds` attribute, from version 5),
 * sorted: each from the moment its retry is scheduled until its delivery ends or is held. Like the status, it does not
 * change while the retry's attempt is in flight, so that a retry costs two visibility writes at most, not two each.
 */
export function retryingEndpoints(
  deliveries: readonly { readonly endpointId: string; readonly status: DeliveryStatus }[],
  shown: readonly string[],
): string[] {
  return deliveries
    .filter(
      ({ endpointId, status }) =>
        status === 'retrying' || ((status === 'pending' || status === 'delivering') && shown.includes(endpointId)),
    )
    .map(({ endpointId }) => endpointId)
    .sort();
}
