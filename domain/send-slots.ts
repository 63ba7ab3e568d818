/**
 * Rate limits shared by every worker: an endpoint's entity grants each request to it a slot, so that no more than
 * `requests` start within any `per`. Pure: the entity runs it in its update handler, with workflow time.
 *
 * Grants are kept as a sliding log of the last `requests` grant times, widened by a margin: a grant is made when
 * sending, and the request reaches the receiver a little later, by more for some than for others. A request refused
 * gets a ticket, a time to ask again, spaced from the other tickets by `per / requests`; until the last ticket is
 * due, a request without one is refused too, so waiting deliveries are not overtaken by new ones.
 */

/** At most `requests` requests start in any window of `perMs`. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

/** An entity's record of the slots it granted. Plain data: it is carried across continue-as-new. */
export interface SendSlots {
  /** Times (epoch ms) of the latest grants, at most `requests` of them, oldest first. */
  readonly grants: readonly number[];
  /** The time the next ticket is for; every ticket handed out is earlier. */
  readonly nextTicketAt: number;
}

export const NO_SEND_SLOTS: SendSlots = { grants: [], nextTicketAt: 0 };

/**
 * What an entity answers a request for a slot. A grant says when it was made (the entity's time; absent from entities
 * that answered before it was added), so that the sender can tell a grant that reached it too late to use.
 */
export type SlotAnswer = { readonly granted: true; readonly grantedAt?: number } | { readonly granted: false; readonly retryAt: number };

/** How much wider than `per` the window is kept: what the time from grant to arrival may vary by, at least 100 ms. */
export function slotMarginMs(limit: RateLimit): number {
  return Math.max(100, Math.round(limit.perMs / 20));
}

/**
 * How long after it was made a grant may still be used. The window counts a request from its grant, so a request
 * sent later than this could reach the receiver within `per` of the one granted `requests` slots after it; half the
 * margin is for the wait for the answer, the other half for the request's way to the receiver.
 */
export function grantUsableForMs(limit: RateLimit): number {
  return Math.floor(slotMarginMs(limit) / 2);
}

/**
 * Whether a grant asked for at `askedAt` and answered at `now` (the sender's clock) came in time to send on: an unused
 * slot stays counted, never reused. `grantedAt` is the entity's workflow time, which the Temporal server's clock sets,
 * not the sender's; but the grant was made between the ask and the answer. A `grantedAt` outside them shows the clocks
 * disagree, and the grant is then taken to be as old as the round trip, the most it can be: a sender whose clock runs
 * ahead does not find every grant too old (and send nothing, ever), nor one whose clock runs behind every grant fresh.
 */
export function grantStillUsable(answer: SlotAnswer & { readonly granted: true }, limit: RateLimit, askedAt: number, now: number): boolean {
  if (answer.grantedAt === undefined) return true;
  const clocksAgree = answer.grantedAt >= askedAt && answer.grantedAt <= now;
  return now - (clocksAgree ? answer.grantedAt : askedAt) <= grantUsableForMs(limit);
}

/** The time between two tickets: the window, margin included, shared evenly among its requests. */
export function sendSpacingMs(limit: RateLimit): number {
  return Math.ceil((limit.perMs + slotMarginMs(limit)) / limit.requests);
}

/**
 * Decides a request for a slot at `now`. `ticket` is the `retryAt` of the request's last refusal, if it had one: a
 * request holding a ticket that is due may take a free slot even while later tickets are outstanding.
 */
export function reserveSendSlot(
  slots: SendSlots,
  limit: RateLimit,
  now: number,
  ticket?: number,
  options: { readonly queue?: boolean } = {},
): { readonly slots: SendSlots; readonly answer: SlotAnswer } {
  const windowMs = limit.perMs + slotMarginMs(limit);
  const grants = slots.grants.slice(-limit.requests);
  const oldest = grants.length < limit.requests ? undefined : grants[0];
  const free = oldest === undefined || oldest <= now - windowMs;
  const mayTake = ticket !== undefined ? ticket <= now : slots.nextTicketAt <= now;
  if (free && mayTake) {
    return { slots: { ...slots, grants: [...grants, now].slice(-limit.requests) }, answer: { granted: true, grantedAt: now } };
  }
  // The earliest a slot frees up. A ticket that came due keeps its place: its holder asks again then, ahead of the
  // tickets handed out after it; any other request goes behind them all.
  const freesAt = oldest === undefined ? now : Math.max(now, oldest + windowMs);
  const spacing = sendSpacingMs(limit);
  if (ticket !== undefined) {
    // Tickets handed out from now on come after the holder's new time, so that none of them is due first.
    const retryAt = Math.max(ticket, freesAt);
    return { slots: { grants, nextTicketAt: Math.max(slots.nextTicketAt, retryAt + spacing) }, answer: { granted: false, retryAt } };
  }
  const retryAt = Math.max(freesAt, slots.nextTicketAt);
  // A request that will not wait (a second request within an attempt) takes no ticket: the queue stays as it was.
  if (options.queue === false) return { slots: { ...slots, grants }, answer: { granted: false, retryAt } };
  return { slots: { grants, nextTicketAt: retryAt + spacing }, answer: { granted: false, retryAt } };
}
