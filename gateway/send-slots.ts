import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SlotAnswer } from '../domain/send-slots.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import { reserveSendSlotUpdate } from '../workflows/index.js';

/** Asks endpoints' entities for send slots: the one authority on a rate limit, whichever worker sends. */
export interface SendSlotBroker {
  /**
   * A slot for one request to `endpointId` now, or the time to ask again; `ticket` is the last refusal's. `queue: false`
   * asks without taking a ticket; `timeoutMs` bounds the wait for the entity's answer.
   */
  reserve(
    endpointId: string,
    request: { readonly ticket?: number; readonly queue?: boolean; readonly timeoutMs?: number },
  ): Promise<SlotAnswer>;
}

// An entity answers in milliseconds; one that does not within this is treated as Temporal being away. Short, since it
// is part of an attempt's time budget.
const DEFAULT_TIMEOUT_MS = 2_000;

export function createSendSlotBroker(client: Client, timeoutMs = DEFAULT_TIMEOUT_MS): SendSlotBroker {
  return {
    async reserve(endpointId, { ticket, queue, timeoutMs: within }) {
      const args = { ...(ticket === undefined ? {} : { ticket }), ...(queue === false ? { queue } : {}) };
      try {
        return await client.connection.withDeadline(Date.now() + Math.min(timeoutMs, within ?? timeoutMs), () =>
          client.workflow.getHandle(endpointWorkflowId(endpointId)).executeUpdate(reserveSendSlotUpdate, { args: [args] }),
        );
      } catch (error) {
        // No entity (targets given straight to deliverEvent), or one retired: nothing holds a limit for it.
        if (error instanceof WorkflowNotFoundError) return { granted: true };
        throw error;
      }
    },
  };
}
