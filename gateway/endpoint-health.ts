import type { Client } from '@temporalio/client';
import { summarizeEndpointHealth, type EndpointHealthSummary } from '../domain/health-summary.js';
import type { ListedEndpointState } from '../domain/endpoint-state.js';
import { GRPC_STATUS } from '../domain/grpc-status.js';
import { createLimiter } from '../domain/limiter.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import { stateQuery } from '../workflows/index.js';
import { grpcCodeOf } from '../temporal/startup-retry.js';
import { listEndpointEntities } from './endpoint-entities.js';
import { retryingDeliveriesQuery } from './visibility.js';

/** An endpoint's health, with what is waiting for it now. */
export interface EndpointHealthRow extends EndpointHealthSummary {
  /** Running deliveries that wait to retry it (see `retryingDeliveriesQuery`). */
  readonly retrying: number;
  /** Deliveries its entity holds until it is resumed. */
  readonly held: number;
}

/** The health of every endpoint of a task queue, at a glance. */
export interface HealthView {
  read(): Promise<EndpointHealthRow[]>;
}

// Calls to Temporal one read makes at once: one count per endpoint that may have retries, one query per paused one.
const CALLS_IN_FLIGHT = 8;
// A resumed endpoint releases its held deliveries at `delivery.resume_rate` per second: for a while after a resume,
// some may still be held.
const RELEASE_WINDOW_MS = 10 * 60_000;

/**
 * Reads every entity's memo in one listing (status, health counters, attempts by the minute), then asks Temporal
 * only about the endpoints where the answer can be other than zero: a count of waiting retries for those with a
 * failure in the last day (a retry needs a failed attempt, and no schedule waits longer than a day between two),
 * and the held deliveries of the paused and the lately resumed. A healthy gateway's read is one listing.
 */
export function createHealthView(client: Client, taskQueue: string, now: () => Date = () => new Date()): HealthView {
  const limit = createLimiter(CALLS_IN_FLIGHT);
  const count = async (query: string): Promise<number> => (await client.workflow.count(query)).count;
  const retrying = (summary: EndpointHealthSummary): Promise<number> =>
    summary.failingSince || summary.windows['24h'].failed > 0
      ? limit(() =>
          count(retryingDeliveriesQuery(summary.endpointId)).catch((error: unknown) => {
            // A namespace without WebhookRetryingEndpointIds yet (registered by hand on a managed cluster): counted by
            // the event's status meanwhile, as before the attribute existed.
            // INVALID_ARGUMENT is what a query naming a search attribute the namespace does not know gets.
            if (grpcCodeOf(error) !== GRPC_STATUS.INVALID_ARGUMENT) throw error;
            return count(retryingDeliveriesQuery(summary.endpointId, { byEventStatus: true }));
          }),
        )
      : Promise.resolve(0);
  const held = (state: ListedEndpointState, at: Date): Promise<number> =>
    state.status === 'paused' || (state.status === 'active' && at.getTime() - Date.parse(state.statusChangedAt) < RELEASE_WINDOW_MS)
      ? limit(async () => {
          try {
            return (await client.workflow.getHandle(endpointWorkflowId(state.endpoint.id)).query(stateQuery)).heldDeliveries.length;
          } catch {
            // Ended since it was listed (deleted through the API): it holds nothing.
            return 0;
          }
        })
      : Promise.resolve(0);
  return {
    async read() {
      const at = now();
      const states = await listEndpointEntities(client, taskQueue);
      return Promise.all(
        states.map(async (state) => {
          const summary = summarizeEndpointHealth(state, at);
          const [retryingNow, heldNow] = await Promise.all([retrying(summary), held(state, at)]);
          return { ...summary, retrying: retryingNow, held: heldNow };
        }),
      );
    },
  };
}
