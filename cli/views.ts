import type { z } from 'zod';
import type { DeliveriesPageSchema } from '../server/routes/endpoints.js';
import type { InvocationSchema, SourceViewSchema, SourceWithSecretSchema } from '../server/routes/source-admin.js';
import type {
  EndpointHealthSchema,
  EndpointViewSchema,
  EventAcceptedSchema,
  EventTypeViewSchema,
  RedeliveryAcceptedSchema,
} from '../server/schemas.js';

// The API's answers as the CLI reads them: the API's own response schemas, imported as types only (nothing of the
// server is loaded), so the two cannot drift apart. The delivery report is spelled out here: the API declares its
// attempts loosely (an attempt record's fields vary with its outcome), and the CLI reads those fields.

export type EventAccepted = z.output<typeof EventAcceptedSchema>;
export type RedeliveryView = z.output<typeof RedeliveryAcceptedSchema>;
export type EndpointView = z.output<typeof EndpointViewSchema>;
export type EndpointHealthView = z.output<typeof EndpointHealthSchema>;
export type EndpointDeliveriesPage = z.output<typeof DeliveriesPageSchema>;
export type EventTypeView = z.output<typeof EventTypeViewSchema>;

export interface AttemptView {
  readonly attempt: number;
  readonly verdict: string;
  readonly started_at: string;
  readonly duration_ms?: number;
  readonly status_code?: number;
  readonly error_class?: string;
  readonly error_message?: string;
  readonly endpoint_status?: string;
}

export interface DeliveryView {
  readonly endpoint_id: string;
  readonly status: string;
  readonly attempts: readonly AttemptView[];
  readonly next_attempt_at?: string;
  readonly reason?: string;
}

export interface ReportView {
  readonly event_id: string;
  readonly event_type: string;
  readonly status: string;
  readonly deliveries: readonly DeliveryView[];
  readonly parts?: readonly { readonly workflow_id: string; readonly endpoints: number; readonly status: string }[];
  readonly unrouted?: readonly { readonly endpoint_id: string; readonly reason: string }[];
}

export type SourceView = z.output<typeof SourceViewSchema>;
export type SourceWithSecretView = z.output<typeof SourceWithSecretSchema>;
export type InvocationView = z.output<typeof InvocationSchema>;
