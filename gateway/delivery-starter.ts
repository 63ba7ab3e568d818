import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { DELIVERY_VERSION } from '../domain/attempt-plan.js';
import type { DeliveryTarget, UnroutedEndpoint } from '../domain/delivery.js';
import type { WebhookEvent } from '../domain/event.js';
import { partitionTargets, partLimitsFor, type PartLimits } from '../domain/fanout.js';
import { endpointWorkflowId, eventWorkflowId, partWorkflowId } from '../domain/workflow-ids.js';
import type { DeliverEventInput } from '../workflows/deliver-event.js';
import { deliverEvent, joinLineSignal, leaveLineSignal } from '../workflows/index.js';
import { deliveryStartOptions, FINGERPRINT_MEMO } from '../workflows/start-options.js';
import { startInTrace } from './start-trace.js';

/** What starting an event's delivery did. */
export interface DeliveryStart {
  readonly workflowId: string;
  /** True when a workflow for this event id already existed: nothing new was started. */
  readonly duplicate: boolean;
  /**
   * For a duplicate started with a fingerprint: whether the first event had the same one. `undefined` when it cannot
   * be told (the first had none).
   */
  readonly sameContent?: boolean;
}

/** How to start a delivery, beyond the event and its targets. */
export interface StartDeliveryOptions {
  /** Another workflow id than the event's own, for a redelivery. */
  readonly workflowId?: string;
  /** The summary the Web UI shows instead of the usual one. */
  readonly summary?: string;
  /** The digest of the event's content, kept in the memo, so that a later send of the same id can be compared. */
  readonly fingerprint?: string;
  /** The subscribers the event's payload did not pass the filter of, for its report. */
  readonly unrouted?: readonly UnroutedEndpoint[];
}

/** Hands events to durable delivery: each start resolves only once Temporal has stored it. */
export interface DeliveryStarter {
  /**
   * Starts the delivery of `event` to `targets`, by default as the event's own workflow `event/<id>`; a redelivery
   * names another workflow id and says so in its summary.
   */
  start(event: WebhookEvent, targets: readonly DeliveryTarget[], options?: StartDeliveryOptions): Promise<DeliveryStart>;
  /** The fingerprint an existing delivery workflow was started with; `undefined` when it has none or is gone. */
  storedFingerprint(workflowId: string): Promise<string | undefined>;
}

export interface DeliveryStarterOptions {
  readonly client: Client;
  readonly taskQueue: string;
  readonly maxConcurrentDeliveries: number;
  /**
   * How long to wait for Temporal to confirm a start. The client retries an unreachable server on its own; without
   * a bound, a producer would wait through all of it while Temporal is down.
   */
  readonly startTimeoutMs?: number;
  /**
   * Ask Temporal to hand the first workflow task straight back to a worker of this process (eager start), which needs
   * the client to be built on that worker's `NativeConnection`: no round trip through matching before the first
   * attempt. Temporal falls back to an ordinary start when the worker has no free slot.
   */
  readonly eagerStart?: boolean;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;

/** Starts one `deliverEvent` workflow per event; the workflow id `event/<id>` makes a repeated id a no-op. */
export function createDeliveryStarter(options: DeliveryStarterOptions): DeliveryStarter {
  const { client } = options;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  // What a repeat needs of the delivery that refused its start, read once: whether it still runs (its lines are left
  // if not), and its fingerprint (a retry of the same event, or another reusing its id). Bounded like a start: a
  // describe has no reason to wait longer. Undefined once retention has removed it: nothing is left to compare with.
  const describeDelivery = async (
    workflowId: string,
    deadline = Date.now() + startTimeoutMs,
  ): Promise<{ readonly running: boolean; readonly fingerprint?: string } | undefined> => {
    try {
      const { memo, status } = await client.connection.withDeadline(deadline, () => client.workflow.getHandle(workflowId).describe());
      const fingerprint = memo?.[FINGERPRINT_MEMO];
      return { running: status.name === 'RUNNING', ...(typeof fingerprint === 'string' ? { fingerprint } : {}) };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  };
  return {
    storedFingerprint: async (workflowId) => (await describeDelivery(workflowId))?.fingerprint,
    async start(event, targets, startOptions = {}) {
      const workflowId = startOptions.workflowId ?? eventWorkflowId(event.id);
      const partLimits = partLimitsFor(targets);
      const input: DeliverEventInput = {
        event,
        targets,
        maxConcurrentDeliveries: options.maxConcurrentDeliveries,
        version: DELIVERY_VERSION,
        // Left out when empty (or the default), so that the input of an ordinary event is what it always was.
        ...(startOptions.unrouted?.length ? { unrouted: startOptions.unrouted } : {}),
        ...(partLimits ? { partLimits } : {}),
      };
      const deadline = Date.now() + startTimeoutMs;
      // Deliveries to endpoints with ordering: fifo take their place in line now, before they start (and before the
      // producer hears 202): the order of acceptance is the order of the line.
      const lines: LineCall = { client, workflowId, event, targets, partLimits, deadline };
      await joinLines(lines);
      try {
        const handle = await startInTrace(
          (trace) =>
            client.connection.withDeadline(deadline, () =>
              client.workflow.start(deliverEvent, {
                workflowId,
                taskQueue: options.taskQueue,
                args: [trace ? { ...input, trace } : input],
                // Both policies refuse a second workflow for the id, running or finished, and say so with
                // WorkflowExecutionAlreadyStartedError, which is how a repeat is told apart from a first delivery.
                workflowIdConflictPolicy: 'FAIL',
                workflowIdReusePolicy: 'REJECT_DUPLICATE',
                ...deliveryStartOptions(event, targets, partLimits),
                ...(options.eagerStart ? { requestEagerStart: true } : {}),
                ...(startOptions.summary ? { staticSummary: startOptions.summary } : {}),
                ...(startOptions.fingerprint ? { memo: { [FINGERPRINT_MEMO]: startOptions.fingerprint } } : {}),
              }),
            ),
          (error) => error instanceof WorkflowExecutionAlreadyStartedError,
        );
        return { workflowId: handle.workflowId, duplicate: false };
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        const inLine = targets.some(isInLine);
        if (!startOptions.fingerprint && !inLine) return { workflowId, duplicate: true };
        // Only a repeat pays for this read. Without a fingerprint to compare, a failed read only leaves the lines as
        // they are, for their entities' own checks.
        const first = await describeDelivery(workflowId, deadline).catch((readError: unknown) => {
          if (startOptions.fingerprint) throw readError;
          return undefined;
        });
        if (inLine && first?.running === false) await leaveLines(lines);
        const fingerprint = first?.fingerprint;
        if (!startOptions.fingerprint) return { workflowId, duplicate: true };
        return {
          workflowId,
          duplicate: true,
          ...(fingerprint !== undefined ? { sameContent: fingerprint === startOptions.fingerprint } : {}),
        };
      }
    },
  };
}

/** One event's delivery and the lines of its FIFO endpoints: what joining and leaving them needs. */
interface LineCall {
  readonly client: Client;
  readonly workflowId: string;
  readonly event: WebhookEvent;
  readonly targets: readonly DeliveryTarget[];
  /** As the delivery's input has them: its parts are split by the same limits. */
  readonly partLimits: PartLimits | undefined;
  readonly deadline: number;
}

/**
 * Puts the delivery of `event` in the line of each of its endpoints with ordering: fifo, under the workflow that will
 * hold that endpoint (the event's own, or its part's when it is split). Best effort: a delivery not put in line here
 * joins from its first workflow task.
 */
async function joinLines(call: LineCall): Promise<void> {
  await signalLines(call, joinLineSignal, (workflowId) => ({ workflowId, eventId: call.event.id, acceptedAt: Date.now() }));
}

/**
 * A repeat of an event whose delivery has ended joined its lines again above, where nothing will ever take its turn:
 * each line would stand still until its entity looked the delivery up (a minute). It leaves them at once instead. A
 * repeat of one still running stays in line: joining again kept its place.
 */
async function leaveLines(call: LineCall): Promise<void> {
  await signalLines(call, leaveLineSignal, (workflowId) => ({ workflowId, eventId: call.event.id, failed: false }));
}

const isInLine = (target: DeliveryTarget): boolean => target.ordering !== undefined && target.skipReason === undefined;

/**
 * Sends `signal` to the entity of each endpoint of `targets` with ordering: fifo, with the entry for the workflow that
 * holds its delivery (the event's own, or its part's when it is split). Best effort: one that fails is left to the
 * line's own checks.
 */
async function signalLines<Entry>(
  { client, workflowId, targets, partLimits, deadline }: LineCall,
  signal: SignalDefinition<[Entry]>,
  entryFor: (holderWorkflowId: string) => Entry,
): Promise<void> {
  if (!targets.some(isInLine)) return;
  const parts = partitionTargets(targets, partLimits);
  const signals = parts.flatMap((part, index) =>
    part.filter(isInLine).map((target) => {
      const holder = parts.length > 1 ? partWorkflowId(workflowId, index) : workflowId;
      const entity = client.workflow.getHandle(endpointWorkflowId(target.endpointId));
      return client.connection.withDeadline(deadline, () => entity.signal(signal, entryFor(holder))).catch(() => undefined);
    }),
  );
  await Promise.all(signals);
}
