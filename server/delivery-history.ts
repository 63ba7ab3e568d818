import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DeliveryStatus } from '../domain/delivery.js';

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
      const response = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query: clauses.join(' AND '),
        pageSize,
        ...(pageToken ? { nextPageToken: Buffer.from(pageToken, 'base64url') } : {}),
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
      const token =
        response.nextPageToken && response.nextPageToken.length > 0 ? Buffer.from(response.nextPageToken).toString('base64url') : undefined;
      return { entries, ...(token ? { nextPageToken: token } : {}) };
    },
  };
}
