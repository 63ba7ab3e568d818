import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  CLOUDEVENT_BATCH_MEDIA_TYPE,
  CLOUDEVENT_MEDIA_TYPE,
  CloudEventSchema,
  fromCloudEvent,
  type CloudEvent,
} from '../../domain/cloudevents.js';
import { EventIdSchema, IncomingEventSchema, type IncomingEvent } from '../../domain/event.js';
import { EventNotAcceptedError } from '../../errors.js';
import { type DeliveryReports, idempotentEventId, type BatchItem, type Ingest, type Redelivery } from '../../gateway/index.js';
import type { Api } from '../api.js';
import { callerKeyOf } from '../guard.js';
import { batchRefusalProblem, idempotencyConflict, notAcceptedWithIds, refusalProblem } from '../ingest-problems.js';
import { notFound, problemBody, sendProblem, validationFailed, type Problem } from '../problem.js';
import { answerRateLimit, type RateLimits } from '../rate-limits.js';
import {
  BatchAcceptedSchema,
  DeliveryReportSchema,
  EventAcceptedSchema,
  EventTypeViewSchema,
  IdParamsSchema,
  PROBLEM_RESPONSES,
  RedeliveryAcceptedSchema,
} from '../schemas.js';
import { requireListedMediaType } from '../validation.js';

export interface EventRoutesDeps {
  readonly ingest: Ingest;
  readonly reports: Pick<DeliveryReports, 'readEvent'>;
  readonly redelivery: Pick<Redelivery, 'redeliver'>;
  /** Most events one batch may carry. */
  readonly batchMax: number;
  /** To charge a batch for its events beyond the first, which the guard counted. */
  readonly limits: Pick<RateLimits, 'admitCaller'>;
}

const IdempotencyHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .meta({ description: 'names the send: a repeat within retention returns the first answer and delivers nothing new' }),
});

// A POST without a body has a null one.
const RedeliverBodySchema = z.strictObject({ endpoint_id: z.string().min(1).max(100).optional() }).nullish();

/** `/v1/events`: send one event or a batch (JSON or CloudEvents), read an event's deliveries, send it again. */
export function registerEventRoutes(app: Api, deps: EventRoutesDeps): void {
  const { ingest } = deps;
  const BatchBodySchema = z.strictObject({ events: z.array(IncomingEventSchema).min(1).max(deps.batchMax) });

  app.post(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Send an event',
        description:
          'Answers 202 once the event is durably in Temporal. A repeated event id (or Idempotency-Key) answers like the first time, with `idempotent-replayed: true`, and delivers nothing new.',
        security: [{ apiKey: [] }],
        headers: IdempotencyHeadersSchema,
        body: {
          content: {
            'application/json': { schema: IncomingEventSchema },
            [CLOUDEVENT_MEDIA_TYPE]: { schema: CloudEventSchema },
          },
        },
        response: { 202: EventAcceptedSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'ingest' },
      preValidation: requireListedMediaType,
    },
    async (request, reply) => {
      const cloudEvent = request.mediaType === CLOUDEVENT_MEDIA_TYPE ? (request.body as CloudEvent) : undefined;
      const incoming = cloudEvent ? fromCloudEvent(cloudEvent) : (request.body as IncomingEvent);
      if ('error' in incoming) return sendProblem(reply, validationFailed([{ path: '/data_base64', message: incoming.error }]));

      const idempotencyKey = request.headers['idempotency-key'];
      const result = await ingest.accept(incoming, {
        ...(idempotencyKey ? { fallbackId: idempotentEventId(callerKeyOf(request), idempotencyKey) } : {}),
        ...(cloudEvent ? { origin: cloudEvent.source } : {}),
      });
      if (result.kind === 'refused') return sendProblem(reply, refusalProblem(result));
      request.log.info({ eventId: result.id, eventType: incoming.type, endpoints: result.endpoints, outcome: result.kind }, 'event');
      // The Idempotency-Key draft answers a key reused for another request with 422; a reused event id is a 409.
      if (result.kind === 'conflict') return sendProblem(reply, idempotencyConflict(result.id, result.idFrom === 'fallback'));
      // A repeat answers like the first time, so a producer retrying after a lost response sees success;
      // the header tells the curious that nothing new was started.
      if (result.kind === 'replayed') reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ id: result.id, workflow_id: result.workflowId });
    },
  );

  app.post(
    '/v1/events/batch',
    {
      schema: {
        tags: ['events'],
        summary: 'Send several events',
        description: `Up to ${deps.batchMax} events. Every event is checked before any is started: one invalid event refuses the batch. Each event is then accepted on its own; 207 says some were not, and which, so that sending the batch again (same ids) completes it without delivering any twice.`,
        security: [{ apiKey: [] }],
        headers: IdempotencyHeadersSchema,
        body: {
          content: {
            'application/json': { schema: BatchBodySchema },
            [CLOUDEVENT_BATCH_MEDIA_TYPE]: { schema: z.array(CloudEventSchema).min(1).max(deps.batchMax) },
          },
        },
        response: { 202: BatchAcceptedSchema, 207: BatchAcceptedSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'ingest' },
      preValidation: requireListedMediaType,
    },
    async (request, reply) => {
      const cloudEvents = request.mediaType === CLOUDEVENT_BATCH_MEDIA_TYPE ? (request.body as CloudEvent[]) : undefined;
      const events = cloudEvents ? cloudEvents.map(fromCloudEvent) : (request.body as z.infer<typeof BatchBodySchema>).events;
      const idempotencyKey = request.headers['idempotency-key'];
      const items = events.map((event, index): BatchItem => {
        if ('error' in event) return { unreadable: { path: '/data_base64', message: event.error } };
        const origin = cloudEvents?.[index]?.source;
        return origin ? { event, origin } : { event };
      });
      const checked = ingest.checkBatch(items, idempotencyKey ? { idBase: idempotentEventId(callerKeyOf(request), idempotencyKey) } : {});
      if (checked.kind === 'refused') return sendProblem(reply, batchRefusalProblem(checked, cloudEvents ? '' : '/events'));

      // The guard counted the request once; a batch costs one per event, like the events sent one by one.
      const limited = answerRateLimit(reply, await deps.limits.admitCaller(callerKeyOf(request), checked.size - 1));
      if (limited) return limited;

      const outcomes = await checked.accept();
      const results = outcomes.map((outcome) => {
        const { index, id } = outcome;
        switch (outcome.kind) {
          case 'failed':
            request.log.error({ err: outcome.error, index }, 'batch event not accepted');
            return { index, status: 'failed' as const, id, problem: problemBody(UNAVAILABLE) };
          case 'conflict':
            return { index, status: 'conflict' as const, id, problem: problemBody(idempotencyConflict(id, outcome.idFrom === 'fallback')) };
          default:
            return { index, status: outcome.kind, id, workflow_id: outcome.workflowId };
        }
      });
      const count = (...statuses: string[]) => results.filter((result) => statuses.includes(result.status)).length;
      const [accepted, conflicts, failed] = [count('accepted', 'replayed'), count('conflict'), count('failed')];
      request.log.info({ events: results.length, accepted, conflicts, failed }, 'batch');
      if (failed > 0) reply.header('retry-after', '5');
      // Nothing accepted because Temporal is away is the 503 every single event would get, not a 2xx.
      if (accepted === 0 && conflicts === 0) {
        // Events sent without ids were named here: their sender can only retry them safely with those names.
        const named = outcomes.some(
          (outcome) => outcome.kind === 'failed' && outcome.error instanceof EventNotAcceptedError && outcome.error.idGenerated,
        );
        return sendProblem(reply, named ? notAcceptedWithIds(results.map((result) => result.id)) : UNAVAILABLE);
      }
      return reply.code(accepted === results.length ? 202 : 207).send({ accepted, conflicts, failed, data: results });
    },
  );

  app.get(
    '/v1/events/:id',
    {
      schema: {
        tags: ['events'],
        summary: 'Read an event’s deliveries',
        security: [{ apiKey: [] }],
        params: IdParamsSchema,
        response: { 200: DeliveryReportSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async (request, reply) => {
      const id = EventIdSchema.safeParse(request.params.id);
      const report = id.success ? await deps.reports.readEvent(id.data) : undefined;
      if (!report) return noSuchEvent(reply);
      return snakeCase(report) as z.output<typeof DeliveryReportSchema>;
    },
  );

  app.post(
    '/v1/events/:id/redeliver',
    {
      schema: {
        tags: ['events'],
        summary: 'Send an event again',
        description: 'To every endpoint it was routed to, or to `endpoint_id`; receivers see the same webhook-id.',
        security: [{ apiKey: [] }],
        params: IdParamsSchema,
        body: RedeliverBodySchema,
        response: { 202: RedeliveryAcceptedSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const id = EventIdSchema.safeParse(request.params.id);
      const result = id.success ? await deps.redelivery.redeliver(id.data, request.body?.endpoint_id) : undefined;
      if (!result) return noSuchEvent(reply);
      return reply.code(202).send({ event_id: result.eventId, workflow_id: result.workflowId, endpoints: result.endpoints });
    },
  );

  app.get(
    '/v1/event-types',
    {
      schema: {
        tags: ['events'],
        summary: 'The event-type catalogue',
        description: 'Empty when the configuration declares none, and every type is then accepted.',
        security: [{ apiKey: [] }],
        response: { 200: z.strictObject({ data: z.array(EventTypeViewSchema) }), ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    () => ({ data: [...ingest.catalogue.entries] }),
  );
}

const UNAVAILABLE: Problem = {
  status: 503,
  type: 'temporal-unavailable',
  title: 'Service Unavailable',
  detail: 'Temporal did not confirm the event, so it was not accepted. Send it again with the same id.',
};

function noSuchEvent(reply: FastifyReply): FastifyReply {
  return sendProblem(reply, notFound('No event has that id (or its retention has passed).'));
}

/** Turns the report's camelCase keys into the API's snake_case ones, leaving header names as they are. */
function snakeCase(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => snakeCase(item));
  if (value === null || typeof value !== 'object') return value;
  if (key === 'responseHeaders') return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, inner]) => [name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), snakeCase(inner, name)]),
  );
}
