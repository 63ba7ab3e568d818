import { createHash, createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DeliveryStatus } from '../domain/delivery.js';
import { GRPC_STATUS } from '../domain/grpc-status.js';
import { eventIdOfWorkflowId } from '../domain/workflow-ids.js';
import { InvalidPageTokenError } from '../errors.js';
import { constantTimeEqual } from '../signing/signatures.js';
import { grpcCodeOf } from '../temporal/startup-retry.js';
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

export interface DeliveryHistoryOptions {
  /**
   * The key page tokens are signed with, the same on every API process (derived from the gateway's secret key): a
   * token is then refused at once unless one of them handed it out for the same query. Without it, a token only names
   * its query: one altered past that reaches Temporal, which may refuse it (then so does the listing) or read it.
   */
  readonly pageTokenKey?: string;
}

export function createDeliveryHistory(client: Client, options: DeliveryHistoryOptions = {}): DeliveryHistory {
  const tokens = pageTokens(options.pageTokenKey);
  return {
    async list(endpointId, { pageSize, pageToken, ...filter }) {
      const query = endpointDeliveriesQuery(endpointId, filter);
      const temporalToken = pageToken === undefined || pageToken === '' ? undefined : tokens.open(pageToken, query);
      // The raw listing, not `client.workflow.list`: its page token is what lets a caller ask for the next page.
      const response = await client.workflowService
        .listWorkflowExecutions({
          namespace: client.options.namespace,
          query,
          pageSize,
          ...(temporalToken ? { nextPageToken: temporalToken } : {}),
        })
        .catch((error: unknown) => {
          // An unsigned token may have been altered past its listing's name. SQL visibility answers one that is not
          // JSON with UNKNOWN ("something went wrong", after its client's retries), Elasticsearch one it cannot read
          // with INVALID_ARGUMENT: the token is the likelier cause than the server, so the caller hears it refused.
          const code = grpcCodeOf(error);
          if (temporalToken && !tokens.signed && (code === GRPC_STATUS.UNKNOWN || code === GRPC_STATUS.INVALID_ARGUMENT)) {
            throw new InvalidPageTokenError();
          }
          throw error;
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
      const next = response.nextPageToken && response.nextPageToken.length > 0 ? tokens.seal(response.nextPageToken, query) : undefined;
      return { entries, ...(next ? { nextPageToken: next } : {}) };
    },
  };
}

// Temporal's page token is bound to its query, and one it cannot read is not refused at once: SQL visibility answers
// UNKNOWN, which its clients retry for some twenty seconds, and reads a well-formed altered one as a place to start.
// So the token handed out names the query it belongs to and, with a key, is signed: anything else is refused here.
const queryDigest = (query: string): string => createHash('sha256').update(query).digest('base64url').slice(0, 16);

interface PageTokens {
  readonly signed: boolean;
  seal(temporalToken: Uint8Array, query: string): string;
  /** @throws {InvalidPageTokenError} */
  open(token: string, query: string): Buffer;
}

function pageTokens(key: string | undefined): PageTokens {
  const signature =
    key === undefined
      ? undefined
      : (digest: string, temporalToken: string): string =>
          createHmac('sha256', key).update(`${digest}\n${temporalToken}`).digest('base64url');
  return {
    signed: signature !== undefined,
    seal(temporalToken, query) {
      const q = queryDigest(query);
      const t = Buffer.from(temporalToken).toString('base64');
      const sealed = signature ? { q, t, s: signature(q, t) } : { q, t };
      return Buffer.from(JSON.stringify(sealed)).toString('base64url');
    },
    open(token, query) {
      try {
        const sealed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; t?: unknown; s?: unknown };
        const { q, t, s } = sealed;
        const named = q === queryDigest(query) && typeof t === 'string' && t.length > 0;
        if (named && (!signature || (typeof s === 'string' && constantTimeEqual(s, signature(q, t))))) {
          return Buffer.from(t, 'base64');
        }
      } catch {
        // Not a token of ours: refused below.
      }
      throw new InvalidPageTokenError();
    },
  };
}
