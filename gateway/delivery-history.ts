import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DeliveryStatus } from '../domain/delivery.js';
import { RequestValidationError } from '../server/validation.js';

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

export interface DeliveryHistoryQuery {
  readonly status?: DeliveryStatus;
  readonly since?: Date;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** Reads an endpoint's deliveries from Temporal's visibility store: newest first, paged, kept for the retention. */
export interface DeliveryHistory {
  list(endpointId: string, query: DeliveryHistoryQuery): Promise<DeliveryPage>;
}

export function createDeliveryHistory(client: Client): DeliveryHistory {
  return {
    async list(endpointId, { status, since, pageSize, pageToken }) {
      // Values are checked by the route's schema; quotes are escaped anyway, as the query is a string.
      const quote = (value: string): string => `'${value.replaceAll("'", "\\'")}'`;
      const clauses = [`WorkflowType = 'deliverEvent'`, `WebhookEndpointIds = ${quote(endpointId)}`];
      if (status) clauses.push(`WebhookStatus = ${quote(status)}`);
      if (since) clauses.push(`StartTime >= ${quote(since.toISOString())}`);
      const query = clauses.join(' AND ');
      const response = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query,
        pageSize,
        ...(pageToken ? { nextPageToken: openPageToken(pageToken, query) } : {}),
      });
      const entries = (response.executions ?? []).map((execution): DeliveryEntry => {
        const workflowId = execution.execution?.workflowId ?? '';
        const fields = execution.searchAttributes?.indexedFields ?? {};
        const read = (name: string): unknown => {
          const payload = fields[name];
          return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
        };
        const startSeconds = Number(execution.startTime?.seconds ?? NaN);
        const eventType = read('WebhookEventType');
        const overall = read('WebhookStatus');
        return {
          // Parts of a split event are `event/<id>/part-N`: the event id is the second segment either way.
          eventId: workflowId.split('/')[1] ?? workflowId,
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
// seconds. So the token handed out names the query it belongs to, and anything else is a 400 at once.
const queryDigest = (query: string): string => createHash('sha256').update(query).digest('base64url').slice(0, 16);

function sealPageToken(temporalToken: Uint8Array, query: string): string {
  return Buffer.from(JSON.stringify({ q: queryDigest(query), t: Buffer.from(temporalToken).toString('base64') })).toString('base64url');
}

function openPageToken(token: string, query: string): Buffer {
  try {
    const sealed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; t?: unknown };
    if (sealed.q === queryDigest(query) && typeof sealed.t === 'string' && sealed.t.length > 0) return Buffer.from(sealed.t, 'base64');
  } catch {
    // Not a token of ours: answered below.
  }
  const error = new RequestValidationError([{ path: '/page_token', message: 'not a page token of this listing (with these filters)' }]);
  error.validationContext = 'querystring';
  throw error;
}
