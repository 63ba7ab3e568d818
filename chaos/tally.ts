// What a chaos scenario found, computed from what the producers were told and what the receiver saw. Pure, so that
// the arithmetic behind every published figure is unit-tested.

/** One request that reached the receiver. */
export interface Arrival {
  readonly webhookId: string;
  readonly path: string;
  /** `Date.now()` when its body had arrived. */
  readonly at: number;
  /** The status the receiver sent, or `cut` when the connection ended before it sent one. */
  readonly answered: number | 'cut';
  /** The producer's sequence number, carried in the event's data. */
  readonly seq?: number;
  /** The `webhook-timestamp` header: seconds, by the sending worker's clock. */
  readonly webhookTimestamp?: number;
}

/** An event the API answered 2xx for. */
export interface AcceptedEvent {
  readonly seq: number;
  /** `Date.now()` when the 2xx answer arrived. */
  readonly acceptedAt: number;
}

export interface Tally {
  readonly accepted: number;
  /** Accepted events that reached the receiver and were answered 2xx, counted once per webhook-id. */
  readonly delivered: number;
  /** Accepted events that never arrived: the figure that must be 0. */
  readonly lost: number;
  /** Requests beyond the first successful one for a webhook-id (at-least-once delivery repeats; receivers dedupe). */
  readonly duplicateRequests: number;
  /** Producer events that arrived under more than one webhook-id: duplicates a receiver cannot recognise; must be 0. */
  readonly duplicatesUnderAnotherId: number;
  /** The longest time from an event's acceptance to its first successful arrival. */
  readonly longestDelayMs: number;
}

const succeeded = (arrival: Arrival): boolean => typeof arrival.answered === 'number' && arrival.answered >= 200 && arrival.answered < 300;

/** Counts one scenario's outcome: `arrivals` may hold other traffic, which is ignored unless accepted here. */
export function tally(accepted: ReadonlyMap<string, AcceptedEvent>, arrivals: readonly Arrival[]): Tally {
  const firstSuccess = new Map<string, number>();
  const idsBySeq = new Map<number, Set<string>>();
  // A producer's retry accepted under a new id would arrive under an id the producer never heard of: match by seq.
  const acceptedSeqs = new Set([...accepted.values()].map((event) => event.seq));
  let successes = 0;
  for (const arrival of arrivals) {
    if (!succeeded(arrival)) continue;
    if (arrival.seq !== undefined && acceptedSeqs.has(arrival.seq)) {
      const ids = idsBySeq.get(arrival.seq) ?? new Set<string>();
      ids.add(arrival.webhookId);
      idsBySeq.set(arrival.seq, ids);
    }
    if (!accepted.has(arrival.webhookId)) continue;
    successes += 1;
    firstSuccess.set(arrival.webhookId, Math.min(arrival.at, firstSuccess.get(arrival.webhookId) ?? Infinity));
  }
  let longestDelayMs = 0;
  for (const [id, at] of firstSuccess) longestDelayMs = Math.max(longestDelayMs, at - (accepted.get(id)?.acceptedAt ?? at));
  let duplicatesUnderAnotherId = 0;
  for (const ids of idsBySeq.values()) duplicatesUnderAnotherId += ids.size - 1;
  return {
    accepted: accepted.size,
    delivered: firstSuccess.size,
    lost: accepted.size - firstSuccess.size,
    duplicateRequests: successes - firstSuccess.size,
    duplicatesUnderAnotherId,
    longestDelayMs,
  };
}
