import type { Endpoint } from './endpoint.js';
import { addRecentAttempts, NO_RECENT_ATTEMPTS, type CountBucket, type RecentAttempts } from './recent-attempts.js';

/** Whether an endpoint takes deliveries: `paused` holds them for later, `disabled` routes it nothing. */
export type EndpointStatus = 'active' | 'paused' | 'disabled';

/** Where an endpoint's definition comes from: the config file is reconciled at start-up, the API manages its own. */
export type EndpointSource = 'config' | 'api';

/** Everything the entity knows about one endpoint. Plain data: it is carried across continue-as-new. */
export interface EndpointState extends EndpointCore {
  /** Workflow ids of deliveries waiting for the endpoint to be resumed, in the order they asked. */
  readonly heldDeliveries: readonly string[];
}

/**
 * The state the entity's rules work on: all but the held deliveries, which a running entity keeps apart (see
 * `HeldDeliveries`), since there may be tens of thousands.
 */
export interface EndpointCore {
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
  readonly settings: EndpointSettings;
  readonly health: EndpointHealth;
  /** Operational events (such as `endpoint.disabled`) decided but not yet handed to delivery. */
  readonly pendingNotices: readonly OperationalNotice[];
  /**
   * Set by the deletion of an endpoint managed through the API. Its entity runs on only to send its held deliveries
   * away (minutes, for tens of thousands), and the API and routing treat the endpoint as gone meanwhile. Unset on
   * every other state, so that memos and inputs of endpoints never deleted read as before.
   */
  readonly deleted?: true;
}

/** An operational event an entity publishes about itself: an event of the gateway's own, delivered like any other. */
export interface OperationalNotice {
  readonly id: string;
  readonly type: 'endpoint.disabled';
  readonly timestamp: string;
  readonly data: { readonly endpoint_id: string; readonly reason: string };
}

/** The state as an entity shows it in its memo, for listing and routing: without the held deliveries. */
export type ListedEndpointState = Omit<EndpointCore, 'pendingNotices'>;

/** An endpoint as routing sees it: its definition and whether it takes deliveries. */
export interface RoutableEndpoint extends Endpoint {
  readonly status: EndpointStatus;
  readonly statusReason?: string;
  /** The entity's status version, once its entity has been read. */
  readonly statusVersion?: number;
  /** Its last attempts failed, as the entity's health counters last said. */
  readonly failing?: boolean;
}

/** An endpoint's status as last read from its entity. */
export interface EndpointStatusView {
  readonly status: EndpointStatus;
  readonly statusReason?: string;
  readonly statusVersion: number;
  /** Its last attempts failed, as the entity's health counters last said. */
  readonly failing?: boolean;
  /**
   * When the endpoint was deleted, for one deleted while the process followed: the status speaks for deliveries
   * accepted before then only. An endpoint made again under the same id is another, with versions of its own.
   */
  readonly deletedAt?: string;
}

/**
 * What an entity tells a held delivery: go on (the status has moved on), stop, since the endpoint is disabled, or ask
 * again later, since the paused endpoint holds as many as it may.
 */
export interface Release {
  readonly endpointId: string;
  readonly statusVersion: number;
  readonly cancelledReason?: string;
  /** Not held: the endpoint is paused with its most held; the delivery waits this long (or more) and asks again. */
  readonly askAgainAfterMs?: number;
}

/** The memo key under which an endpoint entity shows its state, less the held deliveries. */
export const ENDPOINT_STATE_MEMO = 'state';

/** The reason given when a definition says `enabled: false`; only such a disable is lifted by `enabled: true`. */
export const DISABLED_BY_DEFINITION = 'disabled in its definition';

/** How an entity behaves, beyond its definition; set from the configuration. */
export interface EndpointSettings {
  /** Held deliveries released per second after a resume, so a receiver back from an outage is not flooded. */
  readonly releasePerSecond: number;
  /** An endpoint failing for this long with no success in between is disabled. */
  readonly autoDisableAfterMs: number;
  /**
   * The most deliveries a paused endpoint's entity holds; those past it wait on their own timers and ask again. Their
   * ids go into each next run's input, which Temporal bounds at 2 MB. Settings from before it have none: the default.
   */
  readonly maxHeldDeliveries?: number;
  /** How long a delivery past the bound first waits before it asks again; each later wait doubles, to an hour. */
  readonly askAgainAfterMs?: number;
  /**
   * The most deliveries waiting in the line of an endpoint with `ordering: fifo`; those past it are cancelled. The line
   * goes into each next run's input too. Settings from before it have none: the default.
   */
  readonly maxLineLength?: number;
}

export const DEFAULT_ENDPOINT_SETTINGS: EndpointSettings = { releasePerSecond: 50, autoDisableAfterMs: 5 * 86_400_000 };

/** Held deliveries per endpoint when settings name no bound: about 1 MB of ids deflated, half Temporal's limit. */
export const DEFAULT_MAX_HELD_DELIVERIES = 50_000;
/**
 * Deliveries waiting in a FIFO line when settings name no bound: about 0.7 MB of the next run's input deflated (22
 * bytes each, measured), which leaves room beside the most held deliveries by default.
 */
export const DEFAULT_MAX_LINE_LENGTH = 30_000;
/**
 * Held deliveries and a FIFO line together, at most: both go into a paused endpoint's next run (about 20 and 22 bytes
 * each, deflated, for ids of typical length), beside the refusals it remembers (at most 4,000), and Temporal bounds
 * that input at 2 MB. 80,000 come to about 1.9 MB; the defaults (50,000 and 30,000) fit. The deliveries still to be
 * told (turned away, or refused) are few: the entity tells them before it continues as new.
 */
export const MAX_HELD_AND_LINE = 80_000;
/** A delivery past the bound first asks again after this long, when settings name no wait. */
export const DEFAULT_ASK_AGAIN_AFTER_MS = 60_000;
/** The longest a delivery past the bound waits between asks: a resume reaches it within about this long. */
export const MAX_ASK_AGAIN_AFTER_MS = 3_600_000;

/** What an endpoint's deliveries have been like; best effort: a worker's last few seconds may be lost in a crash. */
export interface EndpointHealth {
  readonly delivered: number;
  readonly failed: number;
  /** Failed attempts since the last success. */
  readonly consecutiveFailures: number;
  readonly lastSuccessAt?: string;
  readonly lastFailureAt?: string;
  /** The first failure after the last success: how long the endpoint has been failing. */
  readonly failingSince?: string;
  /** What the last failure was: `HTTP 503`, or a transport error's class (`connection_refused`, `timeout`). */
  readonly lastFailureReason?: string;
  /** Attempts over the last day, for the health view's windows; states from before it have none. */
  readonly recent?: RecentAttempts;
}

export const EMPTY_HEALTH: EndpointHealth = { delivered: 0, failed: 0, consecutiveFailures: 0 };

/** Attempt outcomes a worker gathered for one endpoint since its last report. */
export interface HealthReport {
  readonly delivered: number;
  readonly failed: number;
  readonly lastSuccessAt?: string;
  readonly lastFailureAt?: string;
  /** Failures after `lastSuccessAt` (all of them if there was no success). */
  readonly failedSinceLastSuccess: number;
  /** The first of those failures. */
  readonly firstFailureSinceLastSuccessAt?: string;
  /** What the failure at `lastFailureAt` was. */
  readonly lastFailureReason?: string;
  /** The attempts counted by the minute they were made in (workers from before it send none). */
  readonly attemptsByMinute?: readonly CountBucket[];
}

/** Folds a worker's report, received at `now`, into an endpoint's health. Pure; ISO times compare as text. */
export function applyHealthReport(health: EndpointHealth, report: HealthReport, now: Date): EndpointHealth {
  const later = (a?: string, b?: string): string | undefined => (a === undefined ? b : b === undefined ? a : a > b ? a : b);
  const succeededLater =
    report.lastSuccessAt !== undefined && (health.lastSuccessAt === undefined || report.lastSuccessAt > health.lastSuccessAt);
  const failingSince = succeededLater
    ? report.firstFailureSinceLastSuccessAt
    : (health.failingSince ?? report.firstFailureSinceLastSuccessAt);
  const lastSuccessAt = later(health.lastSuccessAt, report.lastSuccessAt);
  const lastFailureAt = later(health.lastFailureAt, report.lastFailureAt);
  const failedLater = report.lastFailureAt !== undefined && report.lastFailureAt === lastFailureAt;
  const lastFailureReason = failedLater ? (report.lastFailureReason ?? health.lastFailureReason) : health.lastFailureReason;
  // A state without recent attempts stays without them until a report has some, so that old memos read the same.
  const recent =
    health.recent || report.attemptsByMinute?.length
      ? addRecentAttempts(health.recent ?? NO_RECENT_ATTEMPTS, report.attemptsByMinute ?? [], now)
      : undefined;
  return {
    delivered: health.delivered + report.delivered,
    failed: health.failed + report.failed,
    consecutiveFailures: succeededLater ? report.failedSinceLastSuccess : health.consecutiveFailures + report.failed,
    ...(lastSuccessAt ? { lastSuccessAt } : {}),
    ...(lastFailureAt ? { lastFailureAt } : {}),
    ...(failingSince ? { failingSince } : {}),
    ...(lastFailureReason ? { lastFailureReason } : {}),
    ...(recent ? { recent } : {}),
  };
}

/** The operator actions that change an endpoint's status. */
export const ENDPOINT_ACTIONS = ['pause', 'resume', 'disable', 'enable'] as const;
export type EndpointAction = (typeof ENDPOINT_ACTIONS)[number];

/** What each action does to deliveries, in the words the API's reference and the CLI's help both use. */
export const ENDPOINT_ACTION_EFFECTS: Readonly<Record<EndpointAction, string>> = {
  pause: 'Deliveries are held, not attempted, until it is resumed.',
  resume: 'Held deliveries are released at delivery.resume_rate per second.',
  disable: 'Deliveries are recorded and not sent; held ones are cancelled.',
  enable: 'The endpoint takes deliveries again.',
};

/** An action as a title, `Pause an endpoint`: the API reference's summary and the CLI's help line. */
export function endpointActionTitle(action: EndpointAction): string {
  return `${action.charAt(0).toUpperCase()}${action.slice(1)} an endpoint`;
}

/**
 * What an endpoint entity tells its task queue's change log (`webhookEndpointDirectory`) when what routing needs of
 * it changed: its listed state, and whether it has ended (an endpoint deleted through the API).
 */
export interface EndpointChange {
  readonly state: ListedEndpointState;
  readonly retired?: boolean;
}

/** Whether a change tells of a deletion: announced as the entity's retirement, or a state that says so. */
export function isDeletion(change: EndpointChange): boolean {
  return change.retired === true || change.state.deleted === true;
}

/** What routing needs of an endpoint's state: a change to any of it is announced to the change log. */
export function routingView(state: ListedEndpointState): string {
  const { endpoint, source, status, statusReason, statusVersion, revision } = state;
  return JSON.stringify({ endpoint, source, status, statusReason, statusVersion, revision, failing: isFailing(state) });
}

/**
 * Whether an endpoint's last attempts failed, by its health counters. States written before the counters existed
 * (memos, and the state an entity of that time continued as new with) have none: those are not failing.
 */
export function isFailing(state: ListedEndpointState): boolean {
  return (state.health?.consecutiveFailures ?? 0) > 0;
}

/** What routing tells an attempt of an endpoint's state: its status, and whether its last attempts failed. */
export function statusView(state: ListedEndpointState): EndpointStatusView {
  return {
    status: state.status,
    statusVersion: state.statusVersion,
    ...(state.statusReason ? { statusReason: state.statusReason } : {}),
    ...(isFailing(state) ? { failing: true } : {}),
  };
}

/** What an attempt says of its delivery when it asks whether the endpoint's status stops it. */
export interface DeliveryStanding {
  /** When the delivery's workflow started (ISO 8601): before a deletion, it was routed to the deleted endpoint. */
  readonly acceptedAt?: string | undefined;
  /** The highest status version the delivery was told of (a release): a cached status below it is stale. */
  readonly knownStatusVersion: number;
}

/**
 * The status that keeps a delivery's attempt from being sent, if any. `current` is the id's status as last read (a
 * deleted endpoint's, with `deletedAt`, when no entity runs under the id); `lastDeletion`, the latest deletion of the
 * id known, also when an endpoint made again under the id runs. A deletion stops every delivery accepted before it,
 * whatever a later entity of the id says: that is another endpoint, whose status versions (and releases) say nothing
 * of deliveries routed to the deleted one, and which must not receive them with the deleted one's URL and secrets.
 * Any other status stops only when it is not older than what the delivery was told.
 */
export function statusStoppingDelivery(
  delivery: DeliveryStanding,
  current: EndpointStatusView | undefined,
  lastDeletion: EndpointStatusView | undefined = current,
): StoppingStatusView | undefined {
  const { acceptedAt } = delivery;
  const deletedAt = lastDeletion?.deletedAt;
  if (deletedAt !== undefined && acceptedAt !== undefined && acceptedAt < deletedAt && stops(lastDeletion)) return lastDeletion;
  // A deletion after the delivery's acceptance (or one whose acceptance is not known) speaks for another endpoint.
  if (!stops(current) || current.deletedAt !== undefined) return undefined;
  return current.statusVersion >= delivery.knownStatusVersion ? current : undefined;
}

/** A status under which an endpoint takes no attempt: a deleted endpoint's last is `disabled`. */
export type StoppingStatusView = EndpointStatusView & { readonly status: Exclude<EndpointStatus, 'active'> };

function stops(view: EndpointStatusView | undefined): view is StoppingStatusView {
  return view !== undefined && view.status !== 'active';
}

/**
 * Whether `candidate` is a later state of the same endpoint than `known`. Each counter only grows over an entity's
 * life (the status version, the definition's revision, the times of its last success and failure), so of two states
 * the later one is at least as high in each; a listing and a change can then arrive in any order.
 */
export function isLaterState(candidate: ListedEndpointState, known: ListedEndpointState): boolean {
  const lastOutcome = (state: ListedEndpointState): string =>
    [state.health?.lastSuccessAt ?? '', state.health?.lastFailureAt ?? ''].sort().pop() ?? '';
  if (candidate.statusVersion !== known.statusVersion) return candidate.statusVersion > known.statusVersion;
  if (candidate.revision !== known.revision) return candidate.revision > known.revision;
  return lastOutcome(candidate) > lastOutcome(known);
}

/**
 * Applies changes from the change log to the states known by endpoint id: a later state replaces the known one, a
 * retirement (or a state that says the endpoint was deleted) removes it, an earlier or equal state (one a listing
 * already had) is passed over. Answers whether anything changed, so that a caller rebuilding something from the
 * states does so only then.
 */
export function applyEndpointChanges(states: Map<string, ListedEndpointState>, changes: readonly EndpointChange[]): boolean {
  let applied = false;
  for (const change of changes) {
    const { state } = change;
    const id = state.endpoint.id;
    if (isDeletion(change)) {
      applied = states.delete(id) || applied;
      continue;
    }
    const known = states.get(id);
    if (known && !isLaterState(state, known)) continue;
    states.set(id, state);
    applied = true;
  }
  return applied;
}
