import { WorkflowNotFoundError } from '@temporalio/client';
import type { DeliveryTarget } from '../domain/delivery.js';
import type { WebhookEvent } from '../domain/event.js';
import { outOfLine, toDeliveryTarget, type DeliveryDefaults } from '../domain/target.js';
import { GRPC_STATUS } from '../domain/grpc-status.js';
import { eventWorkflowId, redeliveryWorkflowId } from '../domain/workflow-ids.js';
import { grpcCodeOf } from '../temporal/startup-retry.js';
import type { DeliveryHistory } from './delivery-history.js';
import type { DeliveryReports } from './delivery-reports.js';
import type { DeliveryStarter } from './delivery-starter.js';
import type { EndpointAdmin } from './endpoint-admin.js';
import type { EventLoader } from './event-loader.js';

/** What a recovery started, and the events it could not read (Temporal failed the read): to redeliver one by one later. */
export interface Recovery {
  readonly recovered: RedeliveryResult[];
  readonly unread: string[];
}

/** What a redelivery started. */
export interface RedeliveryResult {
  readonly eventId: string;
  readonly workflowId: string;
  readonly endpoints: number;
}

export interface Redelivery {
  /** Sends an event again, to all its current subscribers or to one endpoint, as a new workflow with the same webhook-id. */
  redeliver(eventId: string, endpointId?: string): Promise<RedeliveryResult | undefined>;
  /** Redelivers to one endpoint every event whose delivery to it failed since `since` (at most `limit` of them). */
  recover(endpointId: string, since: Date, limit?: number): Promise<Recovery>;
}

export interface RedeliveryDeps {
  readonly deliveries: Pick<DeliveryStarter, 'start'>;
  readonly events: EventLoader;
  readonly admin: Pick<EndpointAdmin, 'get'>;
  /** The endpoints an event goes to as of now, as ingest routes it (filters included). */
  readonly targets: (event: WebhookEvent) => readonly DeliveryTarget[];
  readonly history: DeliveryHistory;
  readonly reports: Pick<DeliveryReports, 'read'>;
  readonly deliveryDefaults: DeliveryDefaults;
  readonly now?: () => Date;
}

const RECOVER_LIMIT = 1_000;

export function createRedelivery(deps: RedeliveryDeps): Redelivery {
  const now = deps.now ?? (() => new Date());
  const loadEvent = async (eventId: string): Promise<WebhookEvent | undefined> => {
    try {
      return await deps.events.load({ workflowId: eventWorkflowId(eventId), runId: '' });
    } catch (error) {
      // Only Temporal's "no such workflow" says there is no such event (or its retention passed). Temporal away or slow
      // says nothing about it, and must reach the caller as such (503), not as a 404 or a recovery that skipped it.
      if (error instanceof WorkflowNotFoundError || grpcCodeOf(error) === GRPC_STATUS.NOT_FOUND) return undefined;
      throw error;
    }
  };

  const redeliver = async (event: WebhookEvent, targets: readonly DeliveryTarget[]): Promise<RedeliveryResult> => {
    // A new workflow per redelivery, beside the original: the first delivery's record stays as it was.
    const workflowId = redeliveryWorkflowId(event.id, now());
    await deps.deliveries.start(event, targets.map(outOfLine), {
      workflowId,
      summary: `redelivery of ${event.id} (${event.type}) → ${targets.length} endpoint(s)`,
    });
    return { eventId: event.id, workflowId, endpoints: targets.length };
  };

  const targetFor = async (endpointId: string): Promise<DeliveryTarget> => {
    const state = await deps.admin.get(endpointId);
    return { ...toDeliveryTarget(state.endpoint, deps.deliveryDefaults), statusVersion: state.statusVersion };
  };

  return {
    async redeliver(eventId, endpointId) {
      const event = await loadEvent(eventId);
      if (!event) return undefined;
      // Named explicitly, an endpoint gets the event whatever its filter says: the operator asked for it.
      return redeliver(event, endpointId ? [await targetFor(endpointId)] : deps.targets(event));
    },

    async recover(endpointId, since, limit = RECOVER_LIMIT) {
      const target = await targetFor(endpointId);
      const results: RedeliveryResult[] = [];
      const unread: string[] = [];
      const seen = new Set<string>();
      let pageToken: string | undefined;
      do {
        const page = await deps.history.list(endpointId, { status: 'failed', since, pageSize: 100, ...(pageToken ? { pageToken } : {}) });
        for (const entry of page.entries) {
          if (seen.has(entry.eventId) || results.length >= limit) continue;
          seen.add(entry.eventId);
          // The event failed somewhere; only redeliver where it failed for this endpoint.
          const report = await deps.reports.read(entry.workflowId);
          if (!report?.deliveries.some((delivery) => delivery.endpointId === endpointId && delivery.status === 'failed')) continue;
          // One event Temporal failed to read does not stop the others: those already redelivered would be sent twice
          // by a second recovery. It is named in the answer instead.
          const event = await loadEvent(entry.eventId).catch(() => void unread.push(entry.eventId));
          if (event) results.push(await redeliver(event, [target]));
        }
        pageToken = page.nextPageToken;
      } while (pageToken && results.length < limit);
      return { recovered: results, unread };
    },
  };
}
