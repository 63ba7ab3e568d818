import { STANDARD_RETRY_SCHEDULE_MS, type RetryPolicy } from './retry.js';

/** How large one delivery workflow may grow before an event's endpoints are split among child workflows. */
export interface PartLimits {
  /** Endpoints per workflow: bounds its history (a few events per attempt) far below Temporal's 51,200. */
  readonly maxTargets: number;
  /**
   * Bytes of the endpoint-id list, as JSON, so it fits one search attribute value (Temporal's limit is 2 KiB):
   * every workflow then lists all of its endpoints in `WebhookEndpointIds`.
   */
  readonly maxIdsBytes: number;
  /**
   * Attempts the part's endpoints may take in all, each at its retry policy's most: bounds the history when policies
   * allow many retries. Set only where the default parts would pass it (see `partLimitsFor`), so that inputs of
   * events with ordinary policies, and of events started before it, are partitioned as they always were.
   */
  readonly maxAttempts?: number;
}

export const DEFAULT_PART_LIMITS: PartLimits = { maxTargets: 100, maxIdsBytes: 1_800 };

// One retry adds at most about a dozen events to a delivery's history: a timer (2), a workflow task to start the
// attempt (3), the activity (3), a workflow task for its result (3) and a search attribute upsert (1), when the
// endpoints' jittered retries share no task (deliver-event.retried in the recorded histories: 53 events, 5 attempts).
const EVENTS_PER_ATTEMPT = 12;
// Temporal ends a workflow at 51,200 events: a part stays under 20,000 on attempts, leaving room for what cannot be
// counted ahead (rate-limit waits, holds). 100 endpoints on the Standard Webhooks schedule (10 attempts) fit.
// These numbers (and the Standard Webhooks schedule) decide which events take `sendEvent`'s attempt-bounded-parts
// patch: changing them changes which stored histories would have taken it, so a change needs a patch of its own.
const PART_HISTORY_BUDGET = 20_000;
const MAX_PART_ATTEMPTS = Math.floor(PART_HISTORY_BUDGET / EVENTS_PER_ATTEMPT);
const ATTEMPT_BOUNDED_LIMITS: PartLimits = { ...DEFAULT_PART_LIMITS, maxAttempts: MAX_PART_ATTEMPTS };

/** The most attempts a retry policy allows, the first included (a deadline may stop it sooner). */
export function attemptsAtMost(retry: RetryPolicy | undefined): number {
  if (retry?.exponential) return retry.exponential.maximumAttempts;
  return (retry?.scheduleMs ?? STANDARD_RETRY_SCHEDULE_MS).length + 1;
}

/**
 * The limits to split an event's targets by: `undefined` (the default limits, left out of the input) unless some
 * default part's endpoints could take more attempts than one workflow's history should hold.
 */
export function partLimitsFor(targets: readonly PartTarget[]): PartLimits | undefined {
  const tooLong = partitionTargets(targets).some(
    (part) => part.reduce((sum, target) => sum + attemptsAtMost(target.retry), 0) > MAX_PART_ATTEMPTS,
  );
  return tooLong ? ATTEMPT_BOUNDED_LIMITS : undefined;
}

/** What splitting needs of a target: its endpoint's id, and its retry policy when the limits bound attempts. */
export interface PartTarget {
  readonly endpointId: string;
  readonly retry?: RetryPolicy;
}

/** The JSON size of a list of endpoint ids, as a search attribute stores it. */
export function endpointIdsBytes(ids: readonly string[]): number {
  return JSON.stringify(ids).length;
}

/** Whether these targets fit in one delivery workflow: whether `partitionTargets` leaves them in one part. */
export function fitsOnePart(targets: readonly PartTarget[], limits: PartLimits = DEFAULT_PART_LIMITS): boolean {
  // Counted rather than split: a start asks this of every event. One target is one part, however long its id.
  if (targets.length <= 1) return true;
  const attempts = limits.maxAttempts === undefined ? 0 : targets.reduce((sum, target) => sum + attemptsAtMost(target.retry), 0);
  return (
    targets.length <= limits.maxTargets &&
    endpointIdsBytes(targets.map((target) => target.endpointId)) <= limits.maxIdsBytes &&
    attempts <= (limits.maxAttempts ?? 0)
  );
}

/** Splits targets, in order, into the fewest consecutive parts that each fit one delivery workflow. */
export function partitionTargets<T extends PartTarget>(targets: readonly T[], limits: PartLimits = DEFAULT_PART_LIMITS): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let bytes = 2; // the brackets of an empty JSON list
  let attempts = 0;
  for (const target of targets) {
    const added = JSON.stringify(target.endpointId).length + (current.length > 0 ? 1 : 0);
    const itsAttempts = limits.maxAttempts === undefined ? 0 : attemptsAtMost(target.retry);
    const full =
      current.length >= limits.maxTargets ||
      bytes + added > limits.maxIdsBytes ||
      (limits.maxAttempts !== undefined && attempts + itsAttempts > limits.maxAttempts);
    if (current.length > 0 && full) {
      parts.push(current);
      current = [];
      bytes = 2;
      attempts = 0;
    }
    bytes += JSON.stringify(target.endpointId).length + (current.length > 0 ? 1 : 0);
    attempts += itsAttempts;
    current.push(target);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}
