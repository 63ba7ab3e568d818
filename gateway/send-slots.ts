import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createLimiter, type Limiter } from '../domain/limiter.js';
import type { SlotAnswer } from '../domain/send-slots.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import { reserveSendSlotUpdate } from '../workflows/index.js';

/** Asks endpoints' entities for send slots: the one authority on a rate limit, whichever worker sends. */
export interface SendSlotBroker {
  /**
   * A slot for one request to `endpointId` now, or the time to ask again; `ticket` is the last refusal's. `queue: false`
   * asks without taking a ticket; `timeoutMs` bounds the wait for the entity's answer.
   */
  reserve(endpointId: string, request: SlotRequest): Promise<SlotAnswer>;
}

export interface SlotRequest {
  readonly ticket?: number;
  readonly queue?: boolean;
  readonly timeoutMs?: number;
}

/** The one thing the broker needs of Temporal: an entity's answer, given by `deadline` (epoch ms) or failed. */
export type AskEntity = (endpointId: string, args: Omit<SlotRequest, 'timeoutMs'>, deadline: number) => Promise<SlotAnswer>;

export interface BrokerSettings {
  /** How long an entity may take to answer; short, since it is part of an attempt's time budget. */
  readonly timeoutMs?: number;
  /** Requests to one entity in flight at once from this process; the rest wait their turn here. */
  readonly perEndpoint?: number;
}

// An entity answers in milliseconds; one that does not within this is treated as Temporal being away.
const DEFAULT_TIMEOUT_MS = 2_000;
// Temporal takes at most 10 updates in flight per workflow (`history.maxInFlightUpdates`) and refuses the 11th with
// RESOURCE_EXHAUSTED, which the client retries after a second or more, past an attempt's budget. A burst of
// deliveries to one rate-limited endpoint would pass that at once; 4 per process keeps two workers under it, and an
// entity answers each in milliseconds, so the queue here moves fast.
const DEFAULT_PER_ENDPOINT = 4;

export function createSendSlotBroker(client: Client, settings: BrokerSettings = {}): SendSlotBroker {
  return brokerOver(
    (endpointId, args, deadline) =>
      client.connection.withDeadline(deadline, () =>
        client.workflow.getHandle(endpointWorkflowId(endpointId)).executeUpdate(reserveSendSlotUpdate, { args: [args] }),
      ),
    settings,
  );
}

/**
 * The broker's rules over any way of asking an entity: requests to one endpoint queue here, a few in flight at once,
 * and a request whose deadline passed while it queued is not sent at all (its slot would be granted to nobody).
 */
export function brokerOver(
  ask: AskEntity,
  { timeoutMs = DEFAULT_TIMEOUT_MS, perEndpoint = DEFAULT_PER_ENDPOINT }: BrokerSettings = {},
): SendSlotBroker {
  const lanes = new Map<string, { readonly limit: Limiter; users: number }>();
  const laneOf = (endpointId: string): { readonly limit: Limiter; users: number } => {
    const lane = lanes.get(endpointId) ?? { limit: createLimiter(perEndpoint), users: 0 };
    lanes.set(endpointId, lane);
    return lane;
  };
  return {
    async reserve(endpointId, { ticket, queue, timeoutMs: within }) {
      const args = { ...(ticket === undefined ? {} : { ticket }), ...(queue === false ? { queue } : {}) };
      const deadline = Date.now() + Math.min(timeoutMs, within ?? timeoutMs);
      const lane = laneOf(endpointId);
      lane.users++;
      try {
        return await lane.limit(async () => {
          if (Date.now() >= deadline) throw new Error(`no send slot from the entity of endpoint ${endpointId} in time`);
          try {
            return await ask(endpointId, args, deadline);
          } catch (error) {
            // No entity (targets given straight to deliverEvent), or one retired: nothing holds a limit for it.
            if (error instanceof WorkflowNotFoundError) return { granted: true };
            throw error;
          }
        });
      } finally {
        if (--lane.users === 0) lanes.delete(endpointId);
      }
    },
  };
}
