import type { AttemptVerdict, TransportErrorClass } from './delivery.js';

// What the API and the worker tell a process's metrics, declared here so that both can say it without knowing them.

/** One attempt: where it went, what it came to, how long it took. */
export interface AttemptObservation {
  readonly endpointId: string;
  readonly verdict: AttemptVerdict;
  readonly errorClass?: TransportErrorClass;
  readonly durationMs: number;
  /** From acceptance to the end of this attempt, when it delivered the event. */
  readonly deliveredAfterMs?: number;
}

/** One answered request to an ingest route (`/v1/events`, `/v1/events/batch`, `/v1/sources/:id`). */
export interface IngestAnswer {
  /** The route's pattern, never the URL: a source id in the path would make a series per source. */
  readonly route: string;
  readonly status: number;
  /** The problem type of a refusal (`validation-failed`, `rate-limited`, `temporal-unavailable`, …). */
  readonly problem?: string;
  readonly durationMs: number;
}
