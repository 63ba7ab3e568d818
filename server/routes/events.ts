import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  CLOUDEVENT_BATCH_MEDIA_TYPE,
  CLOUDEVENT_MEDIA_TYPE,
  CloudEventSchema,
  fromCloudEvent,
  type CloudEvent,
} from '../../domain/cloudevents.js';
import type { DeliveryReport } from '../../domain/delivery.js';
import { EventIdSchema, IncomingEventSchema, type IncomingEvent } from '../../domain/event.js';
import type { Api } from '../app.js';
import { UNKNOWN_TYPE, catalogueRefusal, unknownTypeMessage } from '../../gateway/catalogue.js';
import { idempotencyConflict, idempotentEventId, type Ingest } from '../../gateway/ingest.js';
import { notFound, problemBody, sendProblem, validationFailed, type Problem, type ProblemDetail } from '../problem.js';
import type { Redelivery } from '../../gateway/redelivery.js';
import {
  BatchAcceptedSchema,
  DeliveryReportSchema,
  EventAcceptedSchema,
  EventTypeViewSchema,
  IdParamsSchema,
  PROBLEM_RESPONSES,
  RedeliveryAcceptedSchema,
} from '../schemas.js';
import { createLimiter } from '../../domain/limiter.js';
import { createEventId } from '../../gateway/event-id.js';
import { callerKeyOf } from '../guard.js';
import { answerRateLimit, type RateLimits } from '../rate-limits.js';
import { requireListedMediaType } from '../validation.js';

export interface EventRoutesDeps {
  readonly ingest: Ingest;
  /** The delivery report of an event, from its workflow; `undefined` when there is no such event (any more). */
  readonly readReport: (eventId: string) => Promise<DeliveryReport | undefined>;
  readonly redelivery: Redelivery;
  /** Most events one batch may carry. */
  readonly batchMax: number;
  /** To charge a batch for its events beyond the first, which the guard counted. */
  readonly limits: RateLimits;
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
const BATCH_CONCURRENCY = 16;

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
      if ('error' in incoming) return invalid(reply, [{ path: '/data_base64', message: incoming.error }]);
      const reserved = incoming.id === undefined ? undefined : ingest.reservedId(incoming.id);
      if (reserved) return invalid(reply, [{ path: '/id', message: reserved }]);
      const refusal = catalogueRefusal(ingest.check(incoming), '', incoming.type);
      if (refusal) return sendProblem(reply, refusal);

      const idempotencyKey = request.headers['idempotency-key'];
      const result = await ingest.accept(incoming, {
        ...(idempotencyKey ? { fallbackId: idempotentEventId(callerKeyOf(request), idempotencyKey) } : {}),
        ...(cloudEvent ? { origin: cloudEvent.source } : {}),
      });
      request.log.info({ eventId: result.id, eventType: incoming.type, endpoints: result.endpoints, outcome: result.outcome }, 'event');
      // The Idempotency-Key draft answers a key reused for another request with 422; a reused event id is a 409.
      if (result.outcome === 'conflict')
        return sendProblem(reply, idempotencyConflict(result.id, incoming.id === undefined && idempotencyKey !== undefined));
      // A repeat answers like the first time, so a producer retrying after a lost response sees success;
      // the header tells the curious that nothing new was started.
      if (result.outcome === 'replayed') reply.header('idempotent-replayed', 'true');
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
      const prefix = cloudEvents ? '' : '/events';
      const incoming = cloudEvents ? cloudEvents.map(fromCloudEvent) : (request.body as z.infer<typeof BatchBodySchema>).events;

      const problems: ProblemDetail[] = [];
      const unknown: ProblemDetail[] = [];
      const seen = new Set<string>();
      incoming.forEach((event, index) => {
        const at = `${prefix}/${index}`;
        if ('error' in event) return void problems.push({ path: `${at}/data_base64`, message: event.error });
        if (event.id !== undefined) {
          const reserved = ingest.reservedId(event.id);
          if (reserved) problems.push({ path: `${at}/id`, message: reserved });
          if (seen.has(event.id)) problems.push({ path: `${at}/id`, message: 'this id is used earlier in the batch' });
          seen.add(event.id);
        }
        const verdict = ingest.check(event);
        if (verdict.kind === 'unknown-type') unknown.push({ path: `${at}/type`, message: unknownTypeMessage(event.type) });
        if (verdict.kind === 'invalid-data') problems.push(...verdict.errors.map((error) => ({ ...error, path: `${at}${error.path}` })));
      });
      if (unknown.length > 0) {
        return sendProblem(reply, { ...UNKNOWN_TYPE, detail: 'The catalogue does not list these types.', errors: unknown });
      }
      if (problems.length > 0) return invalid(reply, problems);
      const events = incoming as IncomingEvent[];

      // The guard counted the request once; a batch costs one per event, like the events sent one by one.
      const limited = answerRateLimit(reply, deps.limits.admitCaller(callerKeyOf(request), events.length - 1));
      if (limited) return limited;

      const idempotencyKey = request.headers['idempotency-key'];
      const batchKey = idempotencyKey ? idempotentEventId(callerKeyOf(request), idempotencyKey) : undefined;
      // At most a few starts at once: a batch must not open a hundred calls to Temporal together.
      const limit = createLimiter(BATCH_CONCURRENCY);
      const acceptOne = async (event: IncomingEvent, index: number) => {
        // Named here, not in accept, so that even an event that fails has an id to send again under.
        const id = event.id ?? (batchKey ? `${batchKey}-${index}` : createEventId());
        try {
          const result = await ingest.accept({ ...event, id }, cloudEvents?.[index] ? { origin: cloudEvents[index].source } : {});
          if (result.outcome === 'conflict') {
            return { index, status: 'conflict' as const, id, problem: problemBody(idempotencyConflict(result.id, event.id === undefined)) };
          }
          return { index, status: result.outcome, id, workflow_id: result.workflowId };
        } catch (error) {
          request.log.error({ err: error, index }, 'batch event not accepted');
          return { index, status: 'failed' as const, id, problem: problemBody(UNAVAILABLE) };
        }
      };
      const results = await Promise.all(events.map((event, index) => limit(() => acceptOne(event, index))));
      const count = (...statuses: string[]) => results.filter((result) => statuses.includes(result.status)).length;
      const [accepted, conflicts, failed] = [count('accepted', 'replayed'), count('conflict'), count('failed')];
      request.log.info({ events: events.length, accepted, conflicts, failed }, 'batch');
      if (failed > 0) reply.header('retry-after', '5');
      // Nothing accepted because Temporal is away is the 503 every single event would get, not a 2xx.
      if (accepted === 0 && conflicts === 0) return sendProblem(reply, UNAVAILABLE);
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
      const report = id.success ? await deps.readReport(id.data) : undefined;
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

function invalid(reply: FastifyReply, errors: readonly ProblemDetail[]): FastifyReply {
  return sendProblem(reply, validationFailed(errors));
}

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
