/** What the delivery workflow needs to know about one endpoint, frozen when the event was accepted. */
export interface DeliveryTarget {
  readonly endpointId: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Delays before the 2nd, 3rd, … attempt; the number of attempts is one more than its length. */
  readonly retryScheduleMs: readonly number[];
}

/** How a transport-level failure happened, when no HTTP response came back. */
export type TransportErrorClass = 'timeout' | 'connection_refused' | 'connection_reset' | 'dns' | 'tls' | 'invalid_url' | 'other';

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
}

/** What the workflow concluded from an attempt. */
export type AttemptVerdict = 'delivered' | 'retryable' | 'rejected' | 'gone';

/** One attempt as recorded in the workflow's state and query results. */
export interface AttemptRecord extends AttemptResult {
  readonly attempt: number;
  readonly verdict: AttemptVerdict;
}

/** Where one endpoint's delivery of an event stands. */
export type DeliveryStatus = 'pending' | 'delivering' | 'retrying' | 'succeeded' | 'failed';

/** One endpoint's delivery of an event. */
export interface EndpointDelivery {
  readonly endpointId: string;
  readonly status: DeliveryStatus;
  readonly attempts: readonly AttemptRecord[];
  /** ISO 8601 time of the next attempt while `retrying`. */
  readonly nextAttemptAt?: string;
}

/** The state of an event's deliveries to every routed endpoint. */
export interface DeliveryReport {
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly deliveries: readonly EndpointDelivery[];
}

/** The overall status of an event from its endpoints' statuses: done only when every endpoint is. */
export function summarizeStatus(statuses: readonly DeliveryStatus[]): DeliveryStatus {
  if (statuses.length === 0) return 'succeeded';
  if (statuses.includes('delivering')) return 'delivering';
  if (statuses.includes('pending')) return 'pending';
  if (statuses.includes('retrying')) return 'retrying';
  return statuses.includes('failed') ? 'failed' : 'succeeded';
}
