// The shapes of the API's answers that the CLI shows; the API's OpenAPI document is the full contract.

export interface EventAccepted {
  readonly id: string;
  readonly workflow_id: string;
}

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
}

export interface RedeliveryView {
  readonly event_id: string;
  readonly workflow_id: string;
  readonly endpoints: number;
}

export interface EndpointView {
  readonly id: string;
  readonly name?: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly status: string;
  readonly status_reason?: string;
  readonly status_changed_at?: string;
  readonly source: string;
  readonly revision: number;
  readonly held_deliveries?: number;
}

export interface EndpointDeliveryEntry {
  readonly event_id: string;
  readonly workflow_id: string;
  readonly event_type?: string;
  readonly status?: string;
  readonly started_at?: string;
}

export interface EventTypeView {
  readonly type: string;
  readonly description?: string;
  readonly schema?: unknown;
}
