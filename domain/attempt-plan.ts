/**
 * The version of `deliverEvent`'s behaviour a delivery starts with, carried in its input so that a run replays the
 * way it first ran. 1 (an input without one): every attempt is an activity that reads the event from the workflow's
 * input, and the status attribute follows every change. 2: the fast path below. 3: first attempts of a wide
 * fan-out carry a small event too (see {@link WIDE_FAN_OUT_COPIES_MAX_BYTES}). 4: first attempts run locally
 * whatever the fan-out (see {@link FAST_PATH_MAX_TARGETS}). 5: the endpoints waiting to retry are a search attribute
 * beside the status (see `retryingEndpoints`), so that an endpoint's retrying deliveries can be counted exactly. 6: after
 * a local attempt whose rate-limit entity did not answer (it comes back unsent, whatever the version), the delivery
 * goes on as ordinary attempts (`slotUnanswered`); before 6 it waits a second and attempts locally again, as the
 * workers of those releases replay it. 7: a local attempt is tried once, and if it fails (preparing it took all its
 * time, or it timed out) the same attempt runs at once as an ordinary activity, and the delivery goes on as ordinary
 * attempts (`localFailed`); before 7 the SDK retries a failed local attempt inside its workflow task. 8: the input's
 * `partLimits` may bound parts by attempts (`maxAttempts`, see `partLimitsFor`); nothing in this workflow branches on
 * it, but a worker of 7 would read such limits without that bound and split the event otherwise than the starter
 * that joined its FIFO lines and set its search attributes, so it must refuse it rather than run it.
 */
export const DELIVERY_VERSION = 8;

/**
 * In versions 2 and 3, deliveries with more endpoints than this ran every attempt as an ordinary activity, since a
 * workflow task holds its local attempts until the last of them answers. From version 4 a wide fan-out's first
 * attempts run locally too: one event to 2,000 endpoints (parts of 100) went from 84–249 deliveries/s to 489–710 in
 * the same benchmark, its server work down from three history events and two task dispatches per attempt to one marker.
 * The price is in a crash: a worker that dies mid-task sends the task's local attempts again (same `webhook-id`),
 * up to a part's 100 instead of the attempts in flight. Small fan-outs keep this threshold for what they carry.
 */
export const FAST_PATH_MAX_TARGETS = 10;
/**
 * Events up to this size, as JSON, travel in each ordinary attempt's input. Past it (or past the fan-out above), the
 * copies would bloat history, and the activity reads the event once per run from the workflow's input instead.
 */
export const INLINE_EVENT_MAX_BYTES = 8 * 1024;
/**
 * From version 3, the first attempts of a wider fan-out carry the event as well when all their copies together stay
 * under this size: a part of 100 endpoints then carries events up to 1.3 KiB. Reading the event back cost each of
 * those attempts a history read of a workflow a hundred activities long: one event to 2,000 endpoints went from 216
 * deliveries/s to 240–249 in the same benchmark. Retries still read it back, so copies do not pile up with them.
 */
export const WIDE_FAN_OUT_COPIES_MAX_BYTES = 128 * 1024;

/** How `deliverEvent` runs one attempt. */
export interface AttemptPlan {
  /**
   * As a local activity, inside the workflow task: no activity task and no round trip through the server, one marker
   * in history. For a first attempt only; retries, held deliveries and failing receivers take ordinary activities.
   */
  readonly local: boolean;
  /** With the event in the attempt's input, so that the activity need not read it back from history. */
  readonly carryEvent: boolean;
}

/** What an attempt's plan depends on; all of it is fixed in the workflow's input or its history, so it replays. */
export interface AttemptCircumstances {
  readonly version: number;
  readonly attempt: number;
  /** The delivery has been held (its endpoint was paused): it goes on as ordinary activities. */
  readonly heldBefore: boolean;
  /** Routing found the endpoint failing, and a failing receiver is often a slow one: no local first attempt. */
  readonly firstAttemptAsActivity: boolean;
  /**
   * A local attempt found the endpoint's rate-limit entity not answering: from version 6 the delivery goes on as
   * ordinary activities, whose retries wait for the entity on the server. Absent before there was such an answer.
   */
  readonly slotUnanswered?: boolean;
  /**
   * A local attempt failed (version 7): the same attempt and the rest go as ordinary activities, whose retries the
   * server keeps. Absent before there was such a fallback.
   */
  readonly localFailed?: boolean;
  /** How many endpoints this workflow delivers to. */
  readonly targets: number;
  /** The event's size as JSON. */
  readonly eventBytes: number;
}

/** Plans an attempt; pure, so that the fast path's choices are the same in a run and in its replay. */
export function planAttempt(circumstances: AttemptCircumstances): AttemptPlan {
  if (circumstances.version < 2) return { local: false, carryEvent: false };
  const smallFanOut = circumstances.targets <= FAST_PATH_MAX_TARGETS;
  const local =
    (smallFanOut || circumstances.version >= 4) &&
    circumstances.attempt === 1 &&
    !circumstances.heldBefore &&
    !circumstances.firstAttemptAsActivity &&
    !(circumstances.version >= 6 && circumstances.slotUnanswered === true) &&
    // The workflow sets localFailed only from version 7; the check keeps this function right on its own.
    !(circumstances.version >= 7 && circumstances.localFailed === true);
  // A local activity's input is not stored in history, so it carries the event whatever its size.
  const { eventBytes, targets, attempt, version } = circumstances;
  const fewCopies = smallFanOut
    ? eventBytes <= INLINE_EVENT_MAX_BYTES
    : version >= 3 && attempt === 1 && eventBytes * targets <= WIDE_FAN_OUT_COPIES_MAX_BYTES;
  return { local, carryEvent: local || fewCopies };
}
