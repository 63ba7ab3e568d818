import { z } from 'zod';
import { DELIVERY_STATUSES } from '../domain/delivery.js';

// The shapes the API answers with. Each is named in the OpenAPI document's components, so clients get one type per
// shape; they are loose where they show stored data, so that a field added later never turns an answer into a 500.

export const ProblemSchema = z
  .strictObject({
    type: z.string().meta({ description: 'URI naming the kind of problem, e.g. …/problems/validation-failed' }),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    errors: z
      .array(z.strictObject({ path: z.string().meta({ description: 'JSON pointer into the request part' }), message: z.string() }))
      .optional()
      .meta({ description: 'each validation failure and where it is' }),
    event_ids: z.array(z.string()).optional().meta({
      description:
        'on a 503 for events that came without an id: the id of each event, in order, as the gateway named it. Send them again with these ids, and none is delivered twice.',
    }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details, the shape of every error' });

// Errors are sent as application/problem+json, and the document says so.
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

/** The error answers every route may give, for the OpenAPI document. */
export const PROBLEM_RESPONSES = {
  400: problem('malformed or invalid request; errors[] locates each problem'),
  401: problem('no API key, a wrong one, or a source call without its secret or signature'),
  403: problem('the key lacks the scope, or the source is disabled'),
  404: problem('no such route or resource'),
  409: problem('an event id already used for other content, or an operation the state does not allow'),
  413: problem('body over api.body_limit_bytes'),
  415: problem('not JSON'),
  422: problem('an event type the catalogue does not list, or an Idempotency-Key reused for another event'),
  429: problem('over a rate limit; Retry-After says when to try again'),
  503: problem('Temporal (or a worker) did not answer, or the API is stopping; Retry-After says when to try again'),
} as const;

export const EventAcceptedSchema = z
  .strictObject({
    id: z.string().meta({ description: 'the event id, yours or generated' }),
    workflow_id: z.string().meta({ description: 'the Temporal workflow delivering it' }),
  })
  .meta({ id: 'EventAccepted' });

export const BatchItemResultSchema = z
  .strictObject({
    index: z.int(),
    status: z.enum(['accepted', 'replayed', 'conflict', 'failed']),
    id: z.string(),
    workflow_id: z.string().optional(),
    problem: ProblemSchema.optional(),
  })
  .meta({ id: 'BatchItemResult' });

export const BatchAcceptedSchema = z
  .strictObject({
    accepted: z.int().meta({ description: 'events now durably in Temporal, first time or repeated' }),
    conflicts: z.int().meta({ description: 'events whose id was already used for other content; never accepted' }),
    failed: z.int().meta({ description: 'events Temporal did not confirm; send them again' }),
    data: z.array(BatchItemResultSchema),
  })
  .meta({ id: 'BatchAccepted' });

const StatusSchema = z.enum(DELIVERY_STATUSES);

export const DeliveryReportSchema = z
  .looseObject({
    event_id: z.string(),
    event_type: z.string(),
    status: StatusSchema,
    deliveries: z.array(
      z.looseObject({
        endpoint_id: z.string(),
        status: StatusSchema,
        attempts: z.array(z.looseObject({ attempt: z.int(), verdict: z.string(), started_at: z.string() })),
        next_attempt_at: z.string().optional(),
        reason: z.string().optional(),
      }),
    ),
    parts: z.array(z.looseObject({ workflow_id: z.string(), endpoints: z.int(), status: StatusSchema })).optional(),
    unrouted: z
      .array(z.strictObject({ endpoint_id: z.string(), reason: z.string() }))
      .optional()
      .meta({ description: 'endpoints subscribed to the type whose filter the event failed (the first 100), and why' }),
  })
  .meta({ id: 'DeliveryReport', description: 'every endpoint’s delivery of one event, with each attempt' });

/**
 * The report of `GET /v1/events/{id}` as its readers (the CLI, the console) use it. The schema above declares attempts
 * loosely, since an attempt's fields vary with its outcome; this spells out the fields they read, in one place.
 */
export interface DeliveryReportView {
  readonly event_id: string;
  readonly event_type: string;
  readonly status: string;
  readonly deliveries: readonly EndpointDeliveryView[];
  readonly parts?: readonly { readonly workflow_id: string; readonly endpoints: number; readonly status: string }[];
  readonly unrouted?: readonly { readonly endpoint_id: string; readonly reason: string }[];
}

/** One endpoint's delivery in a {@link DeliveryReportView}. */
export interface EndpointDeliveryView {
  readonly endpoint_id: string;
  readonly status: string;
  readonly attempts: readonly AttemptView[];
  readonly next_attempt_at?: string;
  readonly reason?: string;
}

/** One attempt in an {@link EndpointDeliveryView}. */
export interface AttemptView {
  readonly attempt: number;
  readonly verdict: string;
  readonly started_at: string;
  readonly duration_ms?: number;
  readonly status_code?: number;
  readonly error_class?: string;
  readonly error_message?: string;
  readonly response_body_excerpt?: string;
  readonly endpoint_status?: string;
}

export const RedeliveryAcceptedSchema = z
  .strictObject({
    event_id: z.string(),
    workflow_id: z.string(),
    endpoints: z.int().meta({ description: 'how many endpoints it goes to' }),
  })
  .meta({ id: 'RedeliveryAccepted' });

export const EndpointViewSchema = z
  .looseObject({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    status: z.enum(['active', 'paused', 'disabled']),
    status_reason: z.string().optional(),
    status_changed_at: z.string().optional(),
    source: z.enum(['config', 'api']),
    revision: z.int(),
    held_deliveries: z.int().optional(),
  })
  .meta({ id: 'Endpoint', description: 'an endpoint’s definition as written, and its status' });

export const EndpointWithSecretSchema = EndpointViewSchema.extend({
  signing_secret: z.string().optional().meta({ description: 'a signing secret the gateway generated: shown in this answer only' }),
}).meta({ id: 'EndpointWithSecret' });

const WindowHealthSchema = z.strictObject({
  attempts: z.int(),
  delivered: z.int(),
  failed: z.int(),
  success_rate: z.number().nullable().meta({ description: 'delivered / attempts; null when no attempt was made' }),
});

export const EndpointHealthSchema = z
  .strictObject({
    id: z.string(),
    name: z.string().optional(),
    status: z.enum(['active', 'paused', 'disabled']),
    status_reason: z.string().optional(),
    windows: z
      .strictObject({ '5m': WindowHealthSchema, '1h': WindowHealthSchema, '24h': WindowHealthSchema })
      .meta({ description: 'attempts over the last 5 minutes and hour (by the minute) and 24 hours (by the hour)' }),
    last_success_at: z.string().optional(),
    last_failure_at: z.string().optional(),
    last_failure_reason: z.string().optional().meta({ description: 'HTTP status, or transport error class (timeout, connection_refused)' }),
    consecutive_failures: z.int(),
    failing_since: z.string().optional().meta({ description: 'first failure after the last success: the auto-disable clock' }),
    auto_disable_at: z.string().optional().meta({ description: 'when it is disabled unless an attempt succeeds first' }),
    retrying: z.int().meta({ description: 'running deliveries that wait to retry it' }),
    held: z.int().meta({ description: 'deliveries held until it is resumed' }),
  })
  .meta({ id: 'EndpointHealth', description: 'an endpoint’s health, from its entity’s best-effort counters' });

export const EventTypeViewSchema = z
  .strictObject({
    type: z.string(),
    description: z.string().optional(),
    schema: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'EventType' });

/** The path parameter of every route on one resource. */
export const IdParamsSchema = z.strictObject({ id: z.string() });

export const HealthSchema = z.strictObject({ status: z.string() });
