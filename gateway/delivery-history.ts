import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DeliveryStatus } from '../domain/delivery.js';
import { eventIdOfWorkflowId } from '../domain/workflow-ids.js';
import { InvalidPageTokenError } from '../errors.js';
import { deliveryStatusKey, eventTypeKey } from '../workflows/search-attributes.js';
import { endpointDeliveriesQuery, readSearchAttribute, type DeliveryFilter } from './visibility.js';

/** One event routed to an endpoint, as the endpoint's delivery history lists it. */
export interface DeliveryEntry {
  readonly eventId: string;
  readonly eventType?: string;
  /** The event's overall status (its `WebhookStatus`), across all of its endpoints. */
  readonly status?: DeliveryStatus;
  readonly workflowId: string;
  readonly startedAt?: string;
}

export interface DeliveryPage {
  readonly entries: DeliveryEntry[];
  /** Opaque; pass it back for the next page. Absent on the last page. */
  readonly nextPageToken?: string;
}

export interface DeliveryHistoryQuery extends DeliveryFilter {
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** Reads an endpoint's deliveries from Temporal's visibility store: newest first, paged, kept for the retention. */
export interface DeliveryHistory {
  /** @throws {InvalidPageTokenError} for a token this listing did not hand out. */
  list(endpointId: string, query: DeliveryHistoryQuery): Promise<DeliveryPage>;
}

export function createDeliveryHistory(client: Client): DeliveryHistory {
  return {
    async list(endpointId, { pageSize, pageToken, ...filter }) {
      const query = endpointDeliveriesQuery(endpointId, filter);
      // The raw listing, not `client.workflow.list`: its page token is what lets a caller ask for the next page.
      const response = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query,
        pageSize,
        ...(pageToken ? { nextPageToken: openPageToken(pageToken, query) } : {}),
      });
      const entries = (response.executions ?? []).map((execution): DeliveryEntry => {
        const workflowId = execution.execution?.workflowId ?? '';
        const startSeconds = Number(execution.startTime?.seconds ?? NaN);
        const eventType = readSearchAttribute(execution, eventTypeKey);
        const overall = readSearchAttribute(execution, deliveryStatusKey);
        return {
          eventId: eventIdOfWorkflowId(workflowId) ?? workflowId,
          workflowId,
          ...(typeof eventType === 'string' ? { eventType } : {}),
          ...(typeof overall === 'string' ? { status: overall as DeliveryStatus } : {}),
          ...(Number.isFinite(startSeconds) ? { startedAt: new Date(startSeconds * 1000).toISOString() } : {}),
        };
      });
      const next = response.nextPageToken && response.nextPageToken.length > 0 ? sealPageToken(response.nextPageToken, query) : undefined;
      return { entries, ...(next ? { nextPageToken: next } : {}) };
    },
  };
}

// Temporal's page token is bound to its query, and a made-up one is not refused but retried by the server for many
// seconds. So the token handed out names the query it belongs to, and anything else is refused at once.
const queryDigest = (query: string): string => createHash('sha256').update(query).digest('base64url').slice(0, 16);

function sealPageToken(temporalToken: Uint8Array, query: string): string {
  return Buffer.from(JSON.stringify({ q: queryDigest(query), t: Buffer.from(temporalToken).toString('base64') })).toString('base64url');
}

function openPageToken(token: string, query: string): Buffer {
  try {
    const sealed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; t?: unknown };
    if (sealed.q === queryDigest(query) && typeof sealed.t === 'string' && sealed.t.length > 0) return Buffer.from(sealed.t, 'base64');
  } catch {
    // Not a token of ours: refused below.
  }
  throw new InvalidPageTokenError();
}
