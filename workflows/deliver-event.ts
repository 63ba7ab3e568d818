import {
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeliveryActivities } from '../activities/index.js';
import { classifyAttempt } from '../domain/classify.js';
import {
  summarizeStatus,
  type AttemptRecord,
  type AttemptResult,
  type AttemptVerdict,
  type DeliveryReport,
  type DeliveryStatus,
  type DeliveryTarget,
} from '../domain/delivery.js';
import { formatDurationMs } from '../domain/duration.js';
import { endpointWorkflowId } from '../domain/endpoint.js';
import type { Release } from '../domain/endpoint-state.js';
import type { WebhookEvent } from '../domain/event.js';
import { partitionTargets, type PartLimits } from '../domain/fanout.js';
import { nextRetryDelayMs, parseRetryAfterMs } from '../domain/retry.js';
import { displayHost } from '../domain/url.js';
import { createLimiter } from '../domain/limiter.js';
import { autoDisableSignal, deliveriesQuery, holdSignal, releaseSignal } from './messages.js';
import { deliveryStatusKey, endpointIdsKey, eventTypeKey } from './search-attributes.js';

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
}

const DEFAULT_MAX_CONCURRENT_DELIVERIES = 100;
const GONE_REASON = 'the endpoint answered 410 Gone';
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

interface MutablePart {
  readonly workflowId: string;
  readonly endpoints: number;
  status: DeliveryStatus;
  statusCounts?: Partial<Record<DeliveryStatus, number>>;
}

function countStatuses(statuses: readonly DeliveryStatus[]): Partial<Record<DeliveryStatus, number>> {
  const counts: Partial<Record<DeliveryStatus, number>> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
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
  const parts = partitionTargets(input.targets, input.partLimits);
  return parts.length > 1 ? deliverInParts(input, parts) : deliverToTargets(input);
}

/** Publishes the overall status as a search attribute, only when it changes: one history event per flip. */
function createStatusPublisher(currentStatus: () => DeliveryStatus): () => void {
  let published: DeliveryStatus | undefined;
  return () => {
    const status = currentStatus();
    if (status === published) return;
    published = status;
    upsertSearchAttributes([{ key: deliveryStatusKey, value: status }]);
  };
}

async function deliverInParts(input: DeliverEventInput, parts: readonly (readonly DeliveryTarget[])[]): Promise<DeliveryReport> {
  const { event } = input;
  const { workflowId } = workflowInfo();
  const states: MutablePart[] = parts.map((part, index) => ({
    workflowId: `${workflowId}/part-${index + 1}`,
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
  });
  const publishStatus = createStatusPublisher(status);
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
    publishStatus();
    finished.push(
      child.result().then((result) => {
        state.status = result.status;
        state.statusCounts = countStatuses(result.deliveries.map((delivery) => delivery.status));
        publishStatus();
      }),
    );
  }
  await Promise.all(finished);
  return report();
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
  });
  const publishStatus = createStatusPublisher(status);

  setHandler(deliveriesQuery, report);
  const releases = new Map<string, Release>();
  setHandler(releaseSignal, (release) => void releases.set(release.endpointId, release));
  publishStatus();
  const limit = createLimiter(input.maxConcurrentDeliveries ?? DEFAULT_MAX_CONCURRENT_DELIVERIES);

  const deliverToEndpoint = async (index: number): Promise<void> => {
    const target = targets[index] as DeliveryTarget;
    const delivery = deliveries[index] as MutableDelivery;
    const host = displayHost(target.url);
    if (target.skipReason !== undefined) {
      delivery.status = 'cancelled';
      delivery.reason = target.skipReason;
      return;
    }
    let firstAttemptAt: number | undefined;
    // The newest status word this delivery has had from the entity; the activity trusts its cache only if not older.
    let knownStatusVersion = target.statusVersion ?? 0;
    const hold = async (reason: string | undefined): Promise<Release> => {
      delivery.status = 'held';
      delivery.reason = `held: endpoint paused (${reason ?? 'no reason given'})`;
      publishStatus();
      const release = await holdUntilReleased(target.endpointId, releases);
      knownStatusVersion = Math.max(knownStatusVersion, release.statusVersion);
      delete delivery.reason;
      if (release.cancelledReason === undefined) delivery.status = 'pending';
      else {
        delivery.status = 'cancelled';
        delivery.reason = release.cancelledReason;
      }
      publishStatus();
      return release;
    };
    // Paused when the event was routed: hold before the first attempt, without asking the worker.
    if (target.holdReason !== undefined && (await hold(target.holdReason)).cancelledReason !== undefined) return;
    for (let attempt = 1; ; attempt++) {
      // The status turns to `delivering` only once a slot is free: until then the endpoint is waiting, not sending.
      const result = await limit(() => {
        firstAttemptAt ??= Date.now();
        delivery.status = 'delivering';
        delete delivery.nextAttemptAt;
        publishStatus();
        return deliverAttempt.executeWithOptions(
          { startToCloseTimeout: target.timeoutMs + ACTIVITY_OVERHEAD_MS, summary: `POST ${host} · attempt ${attempt}` },
          [{ eventId: event.id, target, attempt, knownStatusVersion }],
        );
      });
      if (result.endpointStatus === 'paused') {
        // Nothing was sent, so this was no attempt: the same number goes again once the endpoint is released.
        attempt--;
        const release = await hold(result.endpointStatusReason);
        if (release.cancelledReason !== undefined) break;
        continue;
      }
      if (result.endpointStatus === 'disabled') {
        delivery.status = 'cancelled';
        delivery.reason = `endpoint disabled (${result.endpointStatusReason ?? 'no reason given'})`;
        break;
      }
      const verdict = classifyAttempt(result, target.retryOnStatus);
      delivery.attempts.push({ ...result, attempt, verdict });
      if (verdict === 'delivered') {
        delivery.status = 'succeeded';
        break;
      }
      const delayMs =
        verdict === 'retryable'
          ? nextRetryDelayMs(target.retry, {
              attempt,
              elapsedMs: Date.now() - (firstAttemptAt ?? Date.now()),
              random: Math.random(),
              ...retryAfter(result),
            })
          : undefined;
      if (delayMs === undefined) {
        delivery.status = 'failed';
        delivery.reason = failureReason(verdict, result);
        if (verdict === 'gone') await disableGoneEndpoint(target.endpointId);
        break;
      }
      delivery.status = 'retrying';
      delivery.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
      publishStatus();
      await sleep(delayMs, { summary: `retry ${target.endpointId} in ${formatDurationMs(delayMs)} · ${outcomeLabel(result)}` });
      delivery.status = 'pending';
      delete delivery.nextAttemptAt;
    }
    publishStatus();
  };

  await Promise.all(targets.map((_, index) => deliverToEndpoint(index)));
  publishStatus();
  const final = report();
  return input.resultWithAttempts === false
    ? { ...final, deliveries: final.deliveries.map((delivery) => ({ ...delivery, attempts: [] })) }
    : final;
}

/**
 * Registers with the endpoint's entity and waits for its word. Only deliveries that met a paused endpoint do this:
 * deliveries to active endpoints exchange no signal with any entity.
 */
async function holdUntilReleased(endpointId: string, releases: Map<string, Release>): Promise<Release> {
  releases.delete(endpointId);
  try {
    await getExternalWorkflowHandle(endpointWorkflowId(endpointId)).signal(holdSignal, workflowInfo().workflowId);
  } catch {
    // No entity to wait for (it was never created, or has ended): nothing can be holding the endpoint.
    return { endpointId, statusVersion: Number.MAX_SAFE_INTEGER };
  }
  await condition(() => releases.has(endpointId));
  const release = releases.get(endpointId) as Release;
  releases.delete(endpointId);
  return release;
}

/** A receiver that answers 410 Gone has said it wants no more: its entity is disabled, so routing stops. */
async function disableGoneEndpoint(endpointId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(endpointWorkflowId(endpointId)).signal(autoDisableSignal, GONE_REASON);
  } catch {
    // Targets given straight to deliverEvent (not through the registry) have no entity to disable.
  }
}

function retryAfter(result: AttemptResult): { retryAfterMs?: number } {
  // Measured from the end of the attempt, a time that replays identically.
  const retryAfterMs = parseRetryAfterMs(result.responseHeaders?.['retry-after'], Date.parse(result.startedAt) + result.durationMs);
  return retryAfterMs === undefined ? {} : { retryAfterMs };
}

function outcomeLabel(result: AttemptResult): string {
  return result.statusCode === undefined ? (result.errorClass ?? 'error') : String(result.statusCode);
}

function failureReason(verdict: AttemptVerdict, result: AttemptResult): string {
  switch (verdict) {
    case 'gone':
      return GONE_REASON;
    case 'rejected':
      return `not retried: ${outcomeLabel(result)}`;
    default:
      return `retries used up; last: ${outcomeLabel(result)}`;
  }
}
