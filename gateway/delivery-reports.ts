import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DeliveryReport } from '../domain/delivery.js';
import { eventWorkflowId } from '../domain/workflow-ids.js';
import { deliveriesQuery, type deliverEvent } from '../workflows/index.js';

/** Reads where a delivery workflow stands: the one way the API, test sends and redeliveries read a report. */
export interface DeliveryReports {
  /**
   * The report of a delivery workflow (an event, a part or a redelivery): its result once it has finished, which
   * needs no worker; its `deliveries` query while it runs, bounded so that a missing worker is heard of in seconds.
   * `undefined` when there is no such workflow (or its retention has passed).
   */
  read(workflowId: string): Promise<DeliveryReport | undefined>;
  /** The report of an event's own delivery, `event/<id>` ({@link DeliveryReports.read}). */
  readEvent(eventId: string): Promise<DeliveryReport | undefined>;
  /** Whether a delivery workflow is running, has closed, or is not there (not started yet, or past retention). */
  state(workflowId: string): Promise<'running' | 'closed' | 'missing'>;
  /** Waits up to `timeoutMs` for the delivery to finish, then reads it as it stands. */
  waitFor(workflowId: string, timeoutMs: number): Promise<DeliveryReport | undefined>;
}

// A query waits for a worker; without one, the caller should hear so in seconds, not after the SDK's 30.
const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

/** Reads reports through `client`; a query waits at most `queryTimeoutMs` for a worker to answer. */
export function createDeliveryReports(client: Client, queryTimeoutMs = DEFAULT_QUERY_TIMEOUT_MS): DeliveryReports {
  const handle = (workflowId: string) => client.workflow.getHandle<typeof deliverEvent>(workflowId);
  const read = async (workflowId: string): Promise<DeliveryReport | undefined> => {
    try {
      const { status } = await handle(workflowId).describe();
      if (status.name === 'COMPLETED') return await handle(workflowId).result();
      return await client.connection.withDeadline(Date.now() + queryTimeoutMs, () => handle(workflowId).query(deliveriesQuery));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  };
  return {
    read,
    readEvent: (eventId) => read(eventWorkflowId(eventId)),
    async state(workflowId) {
      try {
        const { status } = await handle(workflowId).describe();
        return status.name === 'RUNNING' ? 'running' : 'closed';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'missing';
        throw error;
      }
    },
    async waitFor(workflowId, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
      try {
        // A delivery that ends in failure (rather than a report) is read like one still running.
        const finished = await Promise.race([
          handle(workflowId)
            .result()
            .catch(() => undefined),
          timedOut,
        ]);
        return finished ?? (await read(workflowId));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
