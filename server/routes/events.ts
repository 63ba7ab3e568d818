import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { DeliveryReport } from '../../domain/delivery.js';
import { EventIdSchema, IncomingEventSchema, type WebhookEvent } from '../../domain/event.js';
import type { RouteIndex } from '../../domain/routing.js';
import { toRoutedTarget, type DeliveryDefaults } from '../../domain/target.js';
import { createEventId } from '../event-id.js';
import { sendProblem } from '../problem.js';
import type { EventPublisher } from '../../runtime/publisher.js';
import type { Redelivery } from '../redelivery.js';
import type { RoutableEndpoint } from '../../runtime/endpoint-registry.js';
import { isJsonContentType, toProblemDetails } from '../validation.js';

export interface EventRoutesDeps {
  readonly publisher: EventPublisher;
  /** The endpoints events are routed to, as of now. */
  readonly routes: () => RouteIndex<RoutableEndpoint>;
  readonly deliveryDefaults: DeliveryDefaults;
  /** The delivery report of an event, from its workflow; `undefined` when there is no such event (any more). */
  readonly readReport: (eventId: string) => Promise<DeliveryReport | undefined>;
  readonly redelivery: Redelivery;
  readonly now?: () => Date;
}

/** Turns the report's camelCase keys into the API's snake_case ones, leaving header names as they are. */
function snakeCase(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => snakeCase(item));
  if (value === null || typeof value !== 'object' || key === 'responseHeaders') return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, inner]) => [name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), snakeCase(inner, name)]),
  );
}

/** `POST /v1/events` accepts an event once it is durably in Temporal; `GET /v1/events/{id}` shows its deliveries. */
export function registerEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): void {
  const now = deps.now ?? (() => new Date());

  app.post('/v1/events', async (request, reply) => {
    if (!isJsonContentType(request.headers['content-type'])) {
      return sendProblem(reply, {
        status: 415,
        type: 'unsupported-media-type',
        title: 'Unsupported Media Type',
        detail: 'Send the event as JSON with Content-Type: application/json.',
      });
    }
    const parsed = IncomingEventSchema.safeParse(request.body);
    if (!parsed.success) {
      return sendProblem(reply, {
        status: 400,
        type: 'validation-failed',
        title: 'The event is not valid',
        detail: 'See errors for each problem and where it is.',
        errors: toProblemDetails(parsed.error),
      });
    }

    const acceptedAt = now();
    const event: WebhookEvent = {
      id: parsed.data.id ?? createEventId(acceptedAt),
      type: parsed.data.type,
      timestamp: parsed.data.timestamp ?? acceptedAt.toISOString(),
      data: parsed.data.data ?? {},
    };
    const targets = deps
      .routes()
      .route(event.type)
      .map((endpoint) => toRoutedTarget(endpoint, deps.deliveryDefaults));
    const result = await deps.publisher.publish(event, targets);
    request.log.info(
      { eventId: event.id, eventType: event.type, endpoints: targets.length, duplicate: result.duplicate },
      'event accepted',
    );
    // A repeat answers like the first time, so a producer retrying after a lost response sees success;
    // the header tells the curious that nothing new was started.
    if (result.duplicate) reply.header('idempotent-replayed', 'true');
    return reply.code(202).send({ id: event.id, workflow_id: result.workflowId });
  });

  app.get('/v1/events/:id', async (request, reply) => {
    const id = EventIdSchema.safeParse((request.params as { id?: unknown }).id);
    const report = id.success ? await deps.readReport(id.data) : undefined;
    if (!report) return noSuchEvent(reply);
    return snakeCase(report);
  });

  app.post('/v1/events/:id/redeliver', async (request, reply) => {
    const id = EventIdSchema.safeParse((request.params as { id?: unknown }).id);
    const body = RedeliverBodySchema.safeParse(request.body ?? undefined);
    if (!body.success) {
      return sendProblem(reply, {
        status: 400,
        type: 'validation-failed',
        title: 'The request is not valid',
        errors: toProblemDetails(body.error),
      });
    }
    const result = id.success ? await deps.redelivery.redeliver(id.data, body.data?.endpoint_id) : undefined;
    if (!result) return noSuchEvent(reply);
    return reply.code(202).send({ event_id: result.eventId, workflow_id: result.workflowId, endpoints: result.endpoints });
  });
}

function noSuchEvent(reply: FastifyReply): FastifyReply {
  return sendProblem(reply, {
    status: 404,
    type: 'not-found',
    title: 'Not Found',
    detail: 'No event has that id (or its retention has passed).',
  });
}

const RedeliverBodySchema = z.strictObject({ endpoint_id: z.string().min(1).max(100).optional() }).optional();
