import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { DeliveryActivities } from '../activities/index.js';
import { GONE_REASON, judgeAttempt, outcomeLabel, type NextStep } from '../domain/attempt-outcome.js';
import { DELIVERY_VERSION, planAttempt, type AttemptPlan } from '../domain/attempt-plan.js';
import {
  retryingEndpoints,
  searchableStatus,
  summarizeStatus,
  type AttemptRecord,
  type AttemptResult,
  type DeliveryReport,
  type DeliveryStatus,
  type DeliveryTarget,
  type TraceCarrier,
  type UnroutedEndpoint,
} from '../domain/delivery.js';
import { formatDurationMs } from '../domain/duration.js';
import type { Release } from '../domain/endpoint-state.js';
import { askAgainDelayMs } from '../domain/endpoint-transitions.js';
import type { WebhookEvent } from '../domain/event.js';
import { partitionTargets, type PartLimits } from '../domain/fanout.js';
import { createLimiter, type Limiter } from '../domain/limiter.js';
import { displayHost } from '../domain/url.js';
import { endpointWorkflowId, partWorkflowId } from '../domain/workflow-ids.js';
import {
  autoDisableSignal,
  deliveriesQuery,
  holdSignal,
  joinLineSignal,
  leaveLineSignal,
  releaseSignal,
  turnSignal,
  type Turn,
} from './messages.js';
import { deliveryStatusKey, endpointIdsKey, eventTypeKey, retryingEndpointIdsKey } from './search-attributes.js';

/** Input of {@link deliverEvent}: the event and the endpoints it was routed to when it was accepted. */
export interface DeliverEventInput {
  readonly event: WebhookEvent;
  readonly targets: readonly DeliveryTarget[];
  /**
   * How many HTTP attempts may run at once; keeps pending activities far below Temporal's limit of 2,000. Endpoints
   * waiting for a retry hold no slot.
   */
  readonly maxConcurrentDeliveries?: number;
  /** When to split the endpoints among child workflows; the defaults suit Temporal's limits. */
  readonly partLimits?: PartLimits;
  /**
   * Whether the result lists every attempt (the default). Parts of a split event leave them out: their results are
   * stored in the parent's history, which needs only the statuses; the part's own query still lists every attempt.
   */
  readonly resultWithAttempts?: boolean;
  /** The behaviour version it started with (`DELIVERY_VERSION`); absent in deliveries started before version 2. */
  readonly version?: number;
  /** Subscribers whose payload filter the event failed: not delivered to, named in the report with the reason. */
  readonly unrouted?: readonly UnroutedEndpoint[];
  /** The trace the event was accepted in, for each attempt's span; absent when the API traces nothing. */
  readonly trace?: TraceCarrier;
  /**
   * When the event was accepted (ISO 8601), for a part of a split event: its parent's start, which a part started
   * later must go by. A deletion of an endpoint stops the deliveries accepted before it; absent, the workflow's start.
   */
  readonly acceptedAt?: string;
}

const DEFAULT_MAX_CONCURRENT_DELIVERIES = 100;
// Covers the HTTP request's own timeout plus the time to build, sign and record it.
const ACTIVITY_OVERHEAD_MS = 5_000;

const { deliverAttempt } = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '1 minute',
  // The activity heartbeats every 2 s while its request runs: a worker that dies mid-request is noticed in seconds.
  heartbeatTimeout: '10 seconds',
  // Only infrastructure failures (a crashed worker, a timed-out task) reach this policy: HTTP outcomes come back
  // as values and the workflow's own schedule decides about them.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// The same activity, run inside the workflow task for a first attempt (version 2). Its retries cover the same
// infrastructure failures; a local activity has no heartbeat, and a worker that dies mid-request fails the workflow
// task instead, which the next worker runs again.
const { deliverAttempt: deliverAttemptLocally } = proxyLocalActivities<DeliveryActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// From version 7, tried once: the SDK's core retries a failed local activity inside its workflow task, backing off up
// to a minute, and goes on doing so on a worker asked to stop (temporalio/sdk-rust#709), which then cannot stop. A
// failed local attempt runs again at once as an ordinary activity instead, whose retries the server keeps.
const { deliverAttempt: deliverAttemptLocallyOnce } = proxyLocalActivities<DeliveryActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

interface MutablePart {
  readonly workflowId: string;
  readonly endpoints: number;
  status: DeliveryStatus;
  statusCounts?: Partial<Record<DeliveryStatus, number>>;
}

interface MutableDelivery {
  readonly endpointId: string;
  status: DeliveryStatus;
  attempts: AttemptRecord[];
  nextAttemptAt?: string;
  reason?: string;
}

/**
 * Delivers one event to each routed endpoint, one activity per HTTP attempt and a durable timer between attempts.
 * An event routed to more endpoints than one workflow should hold is split among child workflows, one per part.
 */
export async function deliverEvent(input: DeliverEventInput): Promise<DeliveryReport> {
  // A delivery started by a newer release than this worker's: running it as an older version would write a history
  // the newer workers cannot replay. A plain error fails the workflow task, not the workflow, so Temporal keeps
  // offering it until a worker of that release takes it (upgrade workers before APIs; docs/operations.md).
  if ((input.version ?? 1) > DELIVERY_VERSION) {
    throw new Error(`delivery version ${input.version} is newer than this worker's (${DELIVERY_VERSION}): upgrade the worker`);
  }
  const parts = partitionTargets(input.targets, input.partLimits);
  return parts.length > 1 ? deliverInParts(input, parts) : deliverToTargets(input);
}

/**
 * Shows the overall status as a search attribute, written only when it changes: one history event per change. `next`
 * names the status to show, given the one shown; from version 2, `shownAtStart` is what the start set, which then
 * costs nothing to keep.
 */
function createStatusAttribute(next: (shown: DeliveryStatus | undefined) => DeliveryStatus, shownAtStart?: DeliveryStatus): () => void {
  let shown = shownAtStart;
  return () => {
    const status = next(shown);
    if (status === shown) return;
    shown = status;
    upsertSearchAttributes([{ key: deliveryStatusKey, value: status }]);
  };
}

/**
 * From version 5: the status attribute as from version 2, and beside it the endpoints waiting to retry, both written
 * only when they change, in one upsert when both do. The status is `retrying` only while that list is not empty,
 * which tells a delivery of version 5 from an older one in a visibility query (see `endpointDeliveriesQuery`).
 */
function deliveryAttributes(deliveries: readonly MutableDelivery[], shownAtStart: DeliveryStatus): () => void {
  let shownStatus = shownAtStart;
  let shownRetrying: readonly string[] = [];
  return () => {
    const retrying = retryingEndpoints(deliveries, shownRetrying);
    // `retrying` exactly while an endpoint waits to retry: once the last has ended, the others' attempts show pending.
    const status = searchableStatus(
      deliveries.map((delivery) => delivery.status),
      shownStatus === 'retrying' && retrying.length === 0 ? 'pending' : shownStatus,
    );
    const updates: SearchAttributeUpdatePair[] = [];
    if (status !== shownStatus) updates.push({ key: deliveryStatusKey, value: (shownStatus = status) });
    if (retrying.join('\n') !== shownRetrying.join('\n')) {
      shownRetrying = retrying;
      updates.push({ key: retryingEndpointIdsKey, value: retrying.length > 0 ? retrying : null });
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  };
}

/** The status attribute of a delivery of `version`: every change (1), or only those operators filter on (2). */
function statusAttributeFor(version: number, statuses: () => readonly DeliveryStatus[], shownAtStart: DeliveryStatus): () => void {
  return version >= 2
    ? createStatusAttribute((shown) => searchableStatus(statuses(), shown ?? shownAtStart), shownAtStart)
    : createStatusAttribute(() => summarizeStatus(statuses()));
}

/** From this patch on, a part that ends without its report is recorded as failed instead of failing the event. */
const PART_ENDED_PATCH = 'part-ended-without-report';
/**
 * From this patch on, a delivery that asks a paused endpoint's entity to hold it and finds none (the entity ended: the
 * endpoint was deleted, the only way one ends, or it was terminated by hand) ends `cancelled`. Before it, the delivery
 * went on as released by a status newer than any, past the worker's check for a deletion, and was sent to the
 * endpoint its operator had just removed.
 */
const HOLD_WITHOUT_ENTITY_PATCH = 'cancel-hold-without-entity';

/** When the event was accepted: a part's input says so; any other delivery started as the event was accepted. */
function acceptedAtOf(input: DeliverEventInput): string {
  return input.acceptedAt ?? workflowInfo().startTime.toISOString();
}

async function deliverInParts(input: DeliverEventInput, parts: readonly (readonly DeliveryTarget[])[]): Promise<DeliveryReport> {
  const { event } = input;
  const { workflowId } = workflowInfo();
  const states: MutablePart[] = parts.map((part, index) => ({
    workflowId: partWorkflowId(workflowId, index),
    endpoints: part.length,
    status: 'pending',
  }));
  const status = (): DeliveryStatus => summarizeStatus(states.map((part) => part.status));
  const report = (): DeliveryReport => ({
    eventId: event.id,
    eventType: event.type,
    status: status(),
    deliveries: [],
    parts: states.map((part) => ({ ...part })),
    ...unroutedOf(input),
  });
  const updateStatusAttribute = statusAttributeFor(input.version ?? 1, () => states.map((part) => part.status), 'pending');
  setHandler(deliveriesQuery, report);

  // Parts start one after another, not all in one go: each part's first task schedules up to 100 activities, and
  // fifty of those at once would swamp a small worker. Each part then runs on its own; none waits for another.
  const finished: Promise<void>[] = [];
  for (const [index, part] of parts.entries()) {
    const state = states[index] as MutablePart;
    const child = await startChild(deliverEvent, {
      workflowId: state.workflowId,
      args: [
        {
          event,
          targets: part,
          resultWithAttempts: false,
          ...(input.maxConcurrentDeliveries ? { maxConcurrentDeliveries: input.maxConcurrentDeliveries } : {}),
          ...(input.version ? { version: input.version } : {}),
          ...(input.trace ? { trace: input.trace } : {}),
          acceptedAt: acceptedAtOf(input),
        },
      ],
      staticSummary: `${event.type} → part ${index + 1} of ${parts.length} (${part.length} endpoints)`,
      typedSearchAttributes: [
        { key: eventTypeKey, value: event.type },
        { key: endpointIdsKey, value: part.map((target) => target.endpointId) },
        { key: deliveryStatusKey, value: 'pending' },
      ],
    });
    state.status = 'delivering';
    updateStatusAttribute();
    finished.push(
      child.result().then(
        (result) => {
          state.status = result.status;
          state.statusCounts = countStatuses(result.deliveries.map((delivery) => delivery.status));
          updateStatusAttribute();
        },
        (error: unknown) => {
          // A part ended from outside (terminated by hand, say) before it could report. Before this patch the whole
          // event failed with it, and Temporal terminated every other part mid-delivery; now they go on, and the
          // report names the part failed. Called only here, so that no delivery that loses no part gets a marker.
          // A cancelled event cancels its parts: the event is cancelled with them, as before.
          if (isCancellation(error) || !patched(PART_ENDED_PATCH)) throw error;
          log.warn('a part of the event ended without its report', { part: state.workflowId, error: String(error) });
          state.status = 'failed';
          updateStatusAttribute();
        },
      ),
    );
  }
  await Promise.all(finished);
  return report();
}

/** One event fanned out to its endpoints: what every endpoint's delivery of it shares. */
interface FanOut {
  readonly event: WebhookEvent;
  readonly version: number;
  /** How many endpoints this workflow delivers to. */
  readonly targets: number;
  /** The event's size as JSON, for deciding whether attempts carry it. */
  readonly eventBytes: number;
  /** The trace the event was accepted in, handed to every attempt for its span. */
  readonly trace: TraceCarrier | undefined;
  /** When the event was accepted: a deletion of an endpoint stops its attempts only if it came later. */
  readonly acceptedAt: string;
  /** Admits one HTTP attempt at a time per slot: `maxConcurrentDeliveries`. */
  readonly limit: Limiter;
  /** The releases endpoint entities have sent, by endpoint id, until a held delivery takes its own. */
  readonly releases: Map<string, Release>;
  /** The turns endpoints' lines have given, by endpoint id, until the delivery waiting for it takes its own. */
  readonly turns: Map<string, Turn>;
  /** Endpoints with ordering: fifo whose delivery here has not left their line yet. */
  readonly inLine: Set<string>;
  readonly updateStatusAttribute: () => void;
}

async function deliverToTargets(input: DeliverEventInput): Promise<DeliveryReport> {
  const { event, targets } = input;
  const deliveries: MutableDelivery[] = targets.map((target) => ({ endpointId: target.endpointId, status: 'pending', attempts: [] }));

  // The status alone is derived on every change; the full report, with every attempt, only when someone asks.
  const status = (): DeliveryStatus => summarizeStatus(deliveries.map((delivery) => delivery.status));
  const report = (): DeliveryReport => ({
    eventId: event.id,
    eventType: event.type,
    status: status(),
    deliveries: deliveries.map((delivery) => ({ ...delivery, attempts: [...delivery.attempts] })),
    ...unroutedOf(input),
  });
  const version = input.version ?? 1;
  const fanOut: FanOut = {
    event,
    version,
    targets: targets.length,
    eventBytes: version >= 2 ? JSON.stringify(event).length : 0,
    trace: input.trace,
    acceptedAt: acceptedAtOf(input),
    limit: createLimiter(input.maxConcurrentDeliveries ?? DEFAULT_MAX_CONCURRENT_DELIVERIES),
    releases: new Map(),
    turns: new Map(),
    inLine: new Set(
      targets.filter((target) => target.ordering !== undefined && target.skipReason === undefined).map((target) => target.endpointId),
    ),
    updateStatusAttribute:
      version >= 5
        ? deliveryAttributes(deliveries, initialSearchableStatus(targets))
        : statusAttributeFor(version, () => deliveries.map((delivery) => delivery.status), initialSearchableStatus(targets)),
  };

  setHandler(deliveriesQuery, report);
  setHandler(releaseSignal, (release) => void fanOut.releases.set(release.endpointId, release));
  // A turn for a delivery that has left the line already (a repeat of an event, a check by the entity) is handed back.
  setHandler(turnSignal, (turn) => {
    if (fanOut.inLine.has(turn.endpointId)) fanOut.turns.set(turn.endpointId, turn);
    else void signalLeave(turn.endpointId, event.id, false);
  });
  fanOut.updateStatusAttribute();

  await Promise.all(targets.map((target, index) => deliverToEndpoint(fanOut, target, deliveries[index] as MutableDelivery)));
  fanOut.updateStatusAttribute();
  const final = report();
  return input.resultWithAttempts === false
    ? { ...final, deliveries: final.deliveries.map((delivery) => ({ ...delivery, attempts: [] })) }
    : final;
}

/**
 * One endpoint's delivery: held while its endpoint is paused, then attempts until one succeeds, the policy gives up,
 * or the endpoint is disabled.
 */
async function deliverToEndpoint(fanOut: FanOut, target: DeliveryTarget, delivery: MutableDelivery): Promise<void> {
  if (target.skipReason !== undefined) {
    delivery.status = 'cancelled';
    delivery.reason = target.skipReason;
    return;
  }
  const endpoint = new EndpointDelivery(fanOut, target, delivery);
  // An endpoint with ordering: fifo gives the turn only while it is active, so a delivery in line is held by its line.
  const inLine = target.ordering !== undefined;
  // Whether the delivery ran its course: one that did not (the workflow failed or was cancelled) leaves its line as
  // failed, so that fifo_on_failure: block holds the line for it.
  let completed = false;
  // Inline, not in a function of its own: one more await between the loop's end and the status attribute would move
  // that command behind other endpoints' in the same workflow task, and stored histories have them in this order.
  try {
    if (inLine && !(await endpoint.waitForTurn())) return void (completed = true);
    // Paused when the event was routed: held before the first attempt, without asking the worker.
    if (!inLine && target.holdReason !== undefined && !(await endpoint.holdUntilReleased(target.holdReason))) return;
    for (let attempt = 1; ; attempt++) {
      const result = await endpoint.attempt(attempt);
      if (result.throttled) {
        // The rate limit had no slot: nothing was sent, so the same number goes again at the entity's time.
        attempt--;
        await endpoint.waitForSlot(result.throttled);
        continue;
      }
      if (result.endpointStatus === 'paused') {
        // Nothing was sent, so this was no attempt: the same number goes again once the endpoint is released.
        attempt--;
        if (!(await endpoint.holdUntilReleased(result.endpointStatusReason))) break;
        continue;
      }
      if (result.endpointStatus === 'disabled') {
        endpoint.cancel(`endpoint disabled (${result.endpointStatusReason ?? 'no reason given'})`);
        break;
      }
      const next = endpoint.record(result, attempt);
      if (next.kind === 'succeeded') break;
      if (next.kind === 'failed') {
        if (next.gone) await disableGoneEndpoint(target.endpointId);
        break;
      }
      await endpoint.startRetryTimer(next.delayMs, result);
      endpoint.retryDue();
    }
    completed = true;
  } finally {
    // Whatever ended it (success, failure, cancellation of the workflow), a delivery in line leaves it.
    if (inLine) await CancellationScope.nonCancellable(() => endpoint.leaveLine(!completed));
  }
  fanOut.updateStatusAttribute();
}

/** The steps of one endpoint's delivery, each keeping its record (status, attempts, reason) up to date. */
class EndpointDelivery {
  private firstAttemptAt: number | undefined;
  private heldBefore = false;
  // The ticket of the rate limit's last refusal, shown at the next request so that it is not overtaken.
  private rateTicket: number | undefined;
  // A local attempt found the rate limit's entity not answering: no more local attempts (see waitForSlot).
  private slotUnanswered = false;
  // A local attempt failed (version 7): no more local attempts (see attempt).
  private localFailed = false;
  // The newest status word this delivery has had from the entity; the activity trusts its cache only if not older.
  private knownStatusVersion: number;
  private readonly host: string;

  constructor(
    private readonly fanOut: FanOut,
    private readonly target: DeliveryTarget,
    private readonly delivery: MutableDelivery,
  ) {
    this.knownStatusVersion = target.statusVersion ?? 0;
    this.host = displayHost(target.url);
  }

  /** Waits for the endpoint's entity to release the delivery; false when it was cancelled instead (disabled). */
  async holdUntilReleased(reason: string | undefined): Promise<boolean> {
    const { delivery } = this;
    this.heldBefore = true;
    delivery.status = 'held';
    delivery.reason = `held: endpoint paused (${reason ?? 'no reason given'})`;
    this.fanOut.updateStatusAttribute();
    const { endpointId } = this.target;
    // No entity to ask: the endpoint was deleted, and the delivery ends as the held ones did rather than go on to an
    // endpoint its operator removed.
    const ended = (cancelledReason: string): Release => ({ endpointId, statusVersion: this.knownStatusVersion, cancelledReason });
    const first = await waitForRelease(endpointId, this.fanOut.releases);
    let release: Release;
    if (!('unasked' in first)) release = first;
    else if (entityMissing(first.unasked) && patched(HOLD_WITHOUT_ENTITY_PATCH)) {
      release = ended(`endpoint ${endpointId} has no entity to hold this delivery (deleted or terminated)`);
    } else {
      // Any other failure of the signal (this delivery cancelled meanwhile, say), or a history from before the patch:
      // it goes on as it always did, as if released by a status newer than any.
      release = { endpointId, statusVersion: Number.MAX_SAFE_INTEGER };
    }
    // Turned away, since the paused endpoint holds its most: held still, on a timer of its own, it asks again later.
    for (let asks = 1; release.askAgainAfterMs !== undefined; asks++) {
      const delayMs = askAgainDelayMs(release.askAgainAfterMs, asks, Math.random());
      await sleep(delayMs, { summary: `held past ${endpointId}'s bound: asks again in ${formatDurationMs(delayMs)}` });
      const again = await waitForRelease(endpointId, this.fanOut.releases);
      if (!('unasked' in again)) release = again;
      else if (entityMissing(again.unasked)) {
        release = ended(`endpoint ${endpointId} ended while this delivery waited to ask again (deleted or terminated)`);
      } else if (isCancellation(again.unasked)) throw again.unasked;
      // Otherwise (Temporal refused the signal for now): it asks again after the next wait.
    }
    this.knownStatusVersion = Math.max(this.knownStatusVersion, release.statusVersion);
    delete delivery.reason;
    if (release.cancelledReason === undefined) delivery.status = 'pending';
    else {
      delivery.status = 'cancelled';
      delivery.reason = release.cancelledReason;
    }
    this.fanOut.updateStatusAttribute();
    return release.cancelledReason === undefined;
  }

  /**
   * Joins the endpoint's line and waits for its turn: the deliveries of events accepted earlier go first. False when
   * the turn will never come (the endpoint was disabled). Without an entity there is no line, and no wait.
   */
  async waitForTurn(): Promise<boolean> {
    const { delivery, target, fanOut } = this;
    // The API put the delivery in line as it accepted the event; joining again keeps that place, and puts a delivery
    // started some other way (sendEvent) in line now. A turn may already be here: it is not thrown away.
    const { workflowId, startTime } = workflowInfo();
    try {
      await getExternalWorkflowHandle(endpointWorkflowId(target.endpointId)).signal(joinLineSignal, {
        workflowId,
        eventId: fanOut.event.id,
        acceptedAt: startTime.getTime(),
      });
    } catch {
      // No entity, no line: the delivery goes at once.
      fanOut.inLine.delete(target.endpointId);
      return true;
    }
    delivery.reason = 'waiting for the deliveries of earlier events (ordering: fifo)';
    await condition(() => fanOut.turns.has(target.endpointId));
    const turn = fanOut.turns.get(target.endpointId) as Turn;
    fanOut.turns.delete(target.endpointId);
    delete delivery.reason;
    if (turn.cancelledReason === undefined) return true;
    this.cancel(turn.cancelledReason);
    return false;
  }

  /** Leaves the endpoint's line once the delivery is done, so that the next may go (or, failed, block it). */
  async leaveLine(brokenOff: boolean): Promise<void> {
    const { delivery, target, fanOut } = this;
    if (!fanOut.inLine.delete(target.endpointId)) return;
    await signalLeave(target.endpointId, fanOut.event.id, brokenOff || delivery.status === 'failed');
  }

  /** One HTTP attempt, once a slot is free: until then the endpoint is waiting, not sending. */
  attempt(attempt: number): Promise<AttemptResult> {
    return this.fanOut.limit(() => {
      this.firstAttemptAt ??= Date.now();
      this.delivery.status = 'delivering';
      delete this.delivery.nextAttemptAt;
      this.fanOut.updateStatusAttribute();
      const { event, version, targets, eventBytes, trace } = this.fanOut;
      const planned = () =>
        planAttempt({
          version,
          attempt,
          heldBefore: this.heldBefore,
          slotUnanswered: this.slotUnanswered,
          localFailed: this.localFailed,
          firstAttemptAsActivity: this.target.firstAttemptAsActivity === true,
          targets,
          eventBytes,
        });
      const requestFor = (plan: AttemptPlan) => ({
        eventId: event.id,
        target: this.target,
        attempt,
        knownStatusVersion: this.knownStatusVersion,
        // Decides whether a deletion of the endpoint stops the attempt, and feeds the delivery-latency metric; an
        // argument only, so histories before it replay the same.
        acceptedAt: this.fanOut.acceptedAt,
        ...(plan.carryEvent ? { event } : {}),
        ...(this.rateTicket === undefined ? {} : { rateTicket: this.rateTicket }),
        // Arguments only, like acceptedAt: a replay compares an activity's type, never its input.
        ...(trace ? { trace } : {}),
      });
      const options = {
        startToCloseTimeout: this.target.timeoutMs + ACTIVITY_OVERHEAD_MS,
        summary: `POST ${this.host} · attempt ${attempt}`,
      };
      const plan = planned();
      if (!plan.local) return deliverAttempt.executeWithOptions(options, [requestFor(plan)]);
      if (version < 7) return deliverAttemptLocally.executeWithOptions(options, [requestFor(plan)]);
      // A promise chain, as version 7 histories were written with: rewritten with await, it would resolve a step
      // later and could move this endpoint's next command behind another endpoint's in the same workflow task.
      return deliverAttemptLocallyOnce.executeWithOptions(options, [requestFor(plan)]).catch((error: unknown) => {
        // A cancelled delivery's attempt is not tried again.
        if (isCancellation(error)) throw error;
        this.localFailed = true;
        log.warn('a local attempt failed; it runs again as an ordinary activity', {
          endpointId: this.target.endpointId,
          attempt,
          error: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error),
        });
        return deliverAttempt.executeWithOptions(options, [requestFor(planned())]);
      });
    });
  }

  /**
   * Waits, on a durable timer, for the time the endpoint's entity gave for the next try at a send slot. The delivery
   * shows as pending, with the reason and the time, and the Web UI shows the timer's summary.
   */
  async waitForSlot(throttled: NonNullable<AttemptResult['throttled']>): Promise<void> {
    const { delivery, target } = this;
    this.rateTicket = throttled.ticket;
    // Only a local attempt comes back unanswered (histories from before the word replay as they ran). The delivery
    // goes on as ordinary attempts, which fail when the entity does not answer, and Temporal's retries of them back
    // off on the server, adding nothing to history however long the entity is away.
    if (throttled.unanswered) this.slotUnanswered = true;
    const delayMs = Math.max(1, Date.parse(throttled.retryAt) - Date.now());
    const limit = target.rateLimit ? ` (${target.rateLimit.requests} per ${formatDurationMs(target.rateLimit.perMs)})` : '';
    delivery.status = 'pending';
    delivery.reason = throttled.unanswered
      ? `waiting for the rate limit${limit}: its entity did not answer in time`
      : `waiting for the rate limit${limit}`;
    delivery.nextAttemptAt = throttled.retryAt;
    this.fanOut.updateStatusAttribute();
    await sleep(delayMs, { summary: `rate limit ${target.endpointId}: next slot in ${formatDurationMs(delayMs)}` });
    delete delivery.reason;
    delete delivery.nextAttemptAt;
  }

  /** Records an attempt that was made, and what follows from it. */
  record(result: AttemptResult, attempt: number): NextStep {
    this.rateTicket = undefined;
    const { verdict, next } = judgeAttempt(this.target, result, {
      attempt,
      elapsedMs: Date.now() - (this.firstAttemptAt ?? Date.now()),
      random: Math.random,
    });
    this.delivery.attempts.push({ ...result, attempt, verdict });
    if (next.kind === 'succeeded') this.delivery.status = 'succeeded';
    if (next.kind === 'failed') {
      this.delivery.status = 'failed';
      this.delivery.reason = next.reason;
    }
    return next;
  }

  /**
   * Starts the durable timer before the next attempt, summarised for the Web UI. It returns the timer itself, not a
   * promise around it: one more await would move this endpoint's next command behind those of endpoints whose jobs
   * came later in the same workflow task, and stored histories have them in job order.
   */
  startRetryTimer(delayMs: number, last: AttemptResult): Promise<void> {
    this.delivery.status = 'retrying';
    this.delivery.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
    this.fanOut.updateStatusAttribute();
    return sleep(delayMs, { summary: `retry ${this.target.endpointId} in ${formatDurationMs(delayMs)} · ${outcomeLabel(last)}` });
  }

  /** The retry timer has fired: the delivery waits for a slot for its next attempt. */
  retryDue(): void {
    this.delivery.status = 'pending';
    delete this.delivery.nextAttemptAt;
  }

  /** Ends the delivery without sending: the endpoint's entity says it is disabled. */
  cancel(reason: string): void {
    this.delivery.status = 'cancelled';
    this.delivery.reason = reason;
  }
}

/**
 * Registers with the endpoint's entity and waits for its word; `unasked` holds why the hold signal failed. Only
 * deliveries that met a paused endpoint do this: deliveries to active endpoints exchange no signal with any entity.
 */
async function waitForRelease(endpointId: string, releases: Map<string, Release>): Promise<Release | { readonly unasked: unknown }> {
  releases.delete(endpointId);
  try {
    await getExternalWorkflowHandle(endpointWorkflowId(endpointId)).signal(holdSignal, workflowInfo().workflowId);
  } catch (error) {
    return { unasked: error };
  }
  await condition(() => releases.has(endpointId));
  const release = releases.get(endpointId) as Release;
  releases.delete(endpointId);
  return release;
}

/** Whether a signal failed because no workflow runs under the id: how Temporal's core reports it to the workflow. */
function entityMissing(error: unknown): boolean {
  return error instanceof ApplicationFailure && error.type === 'ExternalWorkflowExecutionNotFound';
}

/** Tells an endpoint's entity this workflow's delivery has left its line, so that the next may go. */
async function signalLeave(endpointId: string, eventId: string, failed: boolean): Promise<void> {
  try {
    await getExternalWorkflowHandle(endpointWorkflowId(endpointId)).signal(leaveLineSignal, {
      workflowId: workflowInfo().workflowId,
      eventId,
      failed,
    });
  } catch {
    // The entity has ended (the endpoint was deleted): there is no line left to leave.
  }
}

/** A receiver that answers 410 Gone has said it wants no more: its entity is disabled, so routing stops. */
async function disableGoneEndpoint(endpointId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(endpointWorkflowId(endpointId)).signal(autoDisableSignal, GONE_REASON);
  } catch {
    // Targets given straight to deliverEvent (not through the registry) have no entity to disable.
  }
}

// A query answer and a result only, no command: histories without filters replay the same.
function unroutedOf(input: DeliverEventInput): Pick<DeliveryReport, 'unrouted'> {
  return input.unrouted?.length ? { unrouted: input.unrouted } : {};
}

/** What the start set the status attribute to (see `deliveryStartOptions`). */
function initialSearchableStatus(targets: readonly DeliveryTarget[]): DeliveryStatus {
  return targets.length === 0 ? 'succeeded' : 'pending';
}

function countStatuses(statuses: readonly DeliveryStatus[]): Partial<Record<DeliveryStatus, number>> {
  const counts: Partial<Record<DeliveryStatus, number>> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
