import type { FastifyInstance } from 'fastify';
import { IncomingEventSchema, type WebhookEvent } from '../../domain/event.js';
import type { RouteIndex } from '../../domain/routing.js';
import { toDeliveryTarget, type DeliveryDefaults } from '../../domain/target.js';
import { createEventId } from '../event-id.js';
import { sendProblem } from '../problem.js';
import type { EventPublisher } from '../publisher.js';
import type { RoutableEndpoint } from '../../runtime/endpoint-registry.js';
import { isJsonContentType, toProblemDetails } from '../validation.js';

export interface EventRoutesDeps {
  readonly publisher: EventPublisher;
  /** The endpoints events are routed to, as of now. */
  readonly routes: () => RouteIndex<RoutableEndpoint>;
  readonly deliveryDefaults: DeliveryDefaults;
  readonly now?: () => Date;
}

/** `POST /v1/events`: accept an event once it is durably in Temporal. */
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
    // A disabled subscriber stays in the record, as skipped: the event's history says who did not get it, and why.
    const targets = deps
      .routes()
      .route(event.type)
      .map((endpoint) => {
        const routed = toDeliveryTarget(endpoint, deps.deliveryDefaults);
        const target = endpoint.statusVersion === undefined ? routed : { ...routed, statusVersion: endpoint.statusVersion };
        const reason = endpoint.statusReason ?? 'no reason given';
        if (endpoint.status === 'disabled') return { ...target, skipReason: `skipped: endpoint disabled (${reason})` };
        if (endpoint.status === 'paused') return { ...target, holdReason: reason };
        return target;
      });
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
}
