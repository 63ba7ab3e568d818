import { OPERATIONAL_EVENT_ID_PREFIX } from './event-id-prefixes.js';
import type { Endpoint } from './endpoint.js';
import type { HeldDeliveries } from './held-deliveries.js';
import {
  applyHealthReport,
  DEFAULT_ASK_AGAIN_AFTER_MS,
  DEFAULT_MAX_HELD_DELIVERIES,
  DISABLED_BY_DEFINITION,
  MAX_ASK_AGAIN_AFTER_MS,
  EMPTY_HEALTH,
  type EndpointSettings,
  type EndpointSource,
  type EndpointCore,
  type EndpointState,
  type EndpointStatus,
  type HealthReport,
  type OperationalNotice,
  type ListedEndpointState,
  type Release,
} from './endpoint-state.js';

// The endpoint entity's rules, as pure functions of its state: the workflow only receives messages, applies these,
// and does what they decide (signal a held delivery, send a notice). Every time is given, never read, so that the
// same messages give the same state in a workflow, in its replay, and in a table test.

/**
 * Something that happens to an endpoint: an operator's signal, a worker's report. A delivery asking to wait is not one:
 * it changes only the held deliveries (see `holdIsFull` and `HeldDeliveries`).
 */
export type EndpointMessage =
  | { readonly type: 'pause'; readonly reason?: string }
  | { readonly type: 'resume' }
  | { readonly type: 'disable'; readonly reason?: string }
  | { readonly type: 'enable' }
  /** Disabled for what the endpoint did (410 Gone), rather than by an operator: subscribers are told. */
  | { readonly type: 'autoDisable'; readonly reason: string }
  | { readonly type: 'health'; readonly report: HealthReport }
  | { readonly type: 'configure'; readonly definition: Endpoint; readonly settings?: EndpointSettings }
  /** An endpoint managed through the API is deleted: disabled for good, its entity then ends. */
  | { readonly type: 'retire' };

/** The reason a deleted endpoint's entity ends with. */
export const RETIRED_REASON = 'deleted';

/**
 * Whether a deleted endpoint's entity still takes a message while it sends its held deliveries away: only the retire
 * itself (a delivery that asks to wait is held still, to be sent away too). An enable would release the held
 * deliveries to be sent (and a pause after it stop them being sent away), and a change of status or health would
 * announce the endpoint as not deleted.
 */
export function appliesOnceRetired(message: EndpointMessage): boolean {
  return message.type === 'retire';
}

/** A new endpoint's state: active, unless its definition says `enabled: false`. */
export function newEndpointState(endpoint: Endpoint, source: EndpointSource, settings: EndpointSettings, now: Date): EndpointState {
  return {
    endpoint,
    source,
    status: endpoint.enabled ? 'active' : 'disabled',
    ...(endpoint.enabled ? {} : { statusReason: DISABLED_BY_DEFINITION }),
    statusChangedAt: now.toISOString(),
    statusVersion: 1,
    revision: 1,
    heldDeliveries: [],
    settings,
    health: EMPTY_HEALTH,
    pendingNotices: [],
  };
}

/** The state after `message`, received at `now`. */
export function transitionEndpoint(state: EndpointCore, message: EndpointMessage, now: Date): EndpointCore {
  switch (message.type) {
    // A paused endpoint that is disabled stays disabled when resumed: resume only lifts a pause.
    case 'pause':
      return state.status === 'active' ? withStatus(state, 'paused', message.reason ?? 'paused by an operator', now) : state;
    case 'resume':
      return state.status === 'paused' ? withStatus(state, 'active', undefined, now) : state;
    case 'disable':
      return withStatus(state, 'disabled', message.reason ?? 'disabled by an operator', now);
    case 'enable':
      return state.status === 'disabled' ? withStatus(state, 'active', undefined, now) : state;
    case 'autoDisable':
      return autoDisable(state, message.reason, now);
    case 'health':
      return applyHealth(state, message.report, now);
    case 'configure':
      return configure(state, message.definition, message.settings, now);
    case 'retire': {
      const disabled = withStatus(state, 'disabled', RETIRED_REASON, now);
      return disabled.deleted ? disabled : { ...disabled, deleted: true };
    }
  }
}

/**
 * The next batch of held deliveries to tell, and what to tell them; `undefined` while paused or with none held. The
 * batch stays held until the entity drops it, once it knows it will tell them in this run.
 */
export function nextReleaseBatch(state: EndpointCore, held: HeldView): { batch: readonly string[]; release: Release } | undefined {
  if (state.status === 'paused' || held.size === 0) return undefined;
  return {
    batch: held.first(state.settings.releasePerSecond),
    release: {
      endpointId: state.endpoint.id,
      statusVersion: state.statusVersion,
      ...(state.status === 'disabled' ? { cancelledReason: `endpoint disabled (${state.statusReason ?? 'no reason given'})` } : {}),
    },
  };
}

/**
 * Whether a delivery asking to wait is turned away rather than held: the endpoint is paused and holds its most
 * already. Only while paused: otherwise the list drains at the release rate, and anyone may join it.
 */
export function holdIsFull(state: EndpointCore, held: HeldView, deliveryWorkflowId: string): boolean {
  const max = state.settings.maxHeldDeliveries ?? DEFAULT_MAX_HELD_DELIVERIES;
  return state.status === 'paused' && held.size >= max && !held.has(deliveryWorkflowId);
}

/** What the rules read of the held deliveries. */
export type HeldView = Pick<HeldDeliveries, 'size' | 'has' | 'first'>;

/** What a delivery turned away is told: not held, ask again later. */
export function askAgainRelease(state: EndpointCore): Release {
  return {
    endpointId: state.endpoint.id,
    statusVersion: state.statusVersion,
    askAgainAfterMs: state.settings.askAgainAfterMs ?? DEFAULT_ASK_AGAIN_AFTER_MS,
  };
}

/**
 * How long a delivery turned away for the `asks`-th time waits before asking again: the entity's first wait, doubled
 * at each ask, to an hour, and a quarter more at most by `jitter` (0 to 1), so that thousands turned away at once do
 * not all ask again in the same second. Each ask costs Temporal two signals and a timer: the doubling keeps that cost
 * small for a long pause, at the price of a resume reaching these deliveries only at their next ask.
 */
export function askAgainDelayMs(firstMs: number, asks: number, jitter: number): number {
  const base = Math.min(firstMs * 2 ** Math.min(asks - 1, 30), Math.max(firstMs, MAX_ASK_AGAIN_AFTER_MS));
  return Math.round(base * (1 + Math.min(Math.max(jitter, 0), 1) / 4));
}

/** The state once the oldest pending operational event has been handed to delivery. */
export function withoutOldestNotice(state: EndpointCore): EndpointCore {
  return { ...state, pendingNotices: state.pendingNotices.slice(1) };
}

/**
 * The state as the entity shows it in its memo, for listing and routing: held deliveries and pending notices stay
 * out, since there may be thousands and routing needs neither.
 */
export function listedState(state: EndpointCore & { readonly heldDeliveries?: readonly string[] }): ListedEndpointState {
  const { heldDeliveries: _held, pendingNotices: _notices, ...listed } = state;
  return listed;
}

function withStatus(state: EndpointCore, status: EndpointStatus, reason: string | undefined, now: Date): EndpointCore {
  if (state.status === status && state.statusReason === reason) return state;
  const { statusReason: _replaced, ...rest } = state;
  return {
    ...rest,
    status,
    ...(reason ? { statusReason: reason } : {}),
    statusChangedAt: now.toISOString(),
    statusVersion: state.statusVersion + 1,
  };
}

function autoDisable(state: EndpointCore, reason: string, now: Date): EndpointCore {
  if (state.status === 'disabled') return state;
  const disabled = withStatus(state, 'disabled', reason, now);
  // The id is fixed by the status version, so a retried activity or a replayed run never announces twice.
  const notice: OperationalNotice = {
    id: `${OPERATIONAL_EVENT_ID_PREFIX}endpoint_disabled_${disabled.endpoint.id}_${disabled.statusVersion}`,
    type: 'endpoint.disabled',
    timestamp: disabled.statusChangedAt,
    data: { endpoint_id: disabled.endpoint.id, reason },
  };
  return { ...disabled, pendingNotices: [...disabled.pendingNotices, notice] };
}

function applyHealth(state: EndpointCore, report: HealthReport, now: Date): EndpointCore {
  const reported = { ...state, health: applyHealthReport(state.health, report, now) };
  const { failingSince } = reported.health;
  return failingSince && now.getTime() - Date.parse(failingSince) >= reported.settings.autoDisableAfterMs
    ? autoDisable(reported, `failing since ${failingSince} with no success in between`, now)
    : reported;
}

function configure(state: EndpointCore, definition: Endpoint, settings: EndpointSettings | undefined, now: Date): EndpointCore {
  let next = settings ? { ...state, settings } : state;
  if (JSON.stringify(definition) !== JSON.stringify(next.endpoint)) next = { ...next, endpoint: definition, revision: next.revision + 1 };
  // The definition's `enabled` flag is a disable of its own: it neither overrides nor lifts an operator's.
  if (!definition.enabled && next.status !== 'disabled') return withStatus(next, 'disabled', DISABLED_BY_DEFINITION, now);
  if (definition.enabled && next.status === 'disabled' && next.statusReason === DISABLED_BY_DEFINITION) {
    return withStatus(next, 'active', undefined, now);
  }
  return next;
}
