import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { EndpointIdSchema, EndpointSchema, toEndpointInput } from '../../domain/endpoint.js';
import type { AttemptRecord, DeliveryReport } from '../../domain/delivery.js';
import type { EndpointState, PublishedEndpointState } from '../../domain/endpoint-state.js';
import type { DeliveryHistory } from '../delivery-history.js';
import type { Redelivery } from '../redelivery.js';
import type { EndpointAction, EndpointAdmin } from '../endpoint-admin.js';
import { sendProblem } from '../problem.js';
import { isJsonContentType, toProblemDetails } from '../validation.js';

const ACTIONS: readonly EndpointAction[] = ['pause', 'resume', 'disable', 'enable'];
const ActionBodySchema = z.strictObject({ reason: z.string().min(1).max(500).optional() }).optional();
// Everything of a definition may change but its id, which names the entity.
const EndpointPatchSchema = z.record(z.string(), z.unknown()).refine((patch) => !('id' in patch), 'the id of an endpoint cannot change');

/** An endpoint as the API shows it: its definition as written, and its status. */
export function endpointView(state: PublishedEndpointState & Partial<Pick<EndpointState, 'heldDeliveries'>>) {
  return {
    ...toEndpointInput(state.endpoint),
    status: state.status,
    ...(state.statusReason ? { status_reason: state.statusReason } : {}),
    status_changed_at: state.statusChangedAt,
    source: state.source,
    revision: state.revision,
    ...(state.heldDeliveries ? { held_deliveries: state.heldDeliveries.length } : {}),
  };
}

const DeliveriesQuerySchema = z.strictObject({
  status: z.enum(['pending', 'delivering', 'retrying', 'held', 'succeeded', 'failed', 'cancelled']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
  page_token: z.string().max(2_000).optional(),
});

const RecoverQuerySchema = z.strictObject({ since: z.iso.datetime({ offset: true }) });

export interface EndpointRoutesDeps {
  readonly admin: EndpointAdmin;
  readonly history: DeliveryHistory;
  /** Sends a sample event to one endpoint through the normal pipeline, once, and reports how it went. */
  readonly testSend: (endpointId: string) => Promise<DeliveryReport>;
  readonly redelivery: Redelivery;
}

/** `/v1/endpoints`: create, read, change, delete, pause/resume/disable/enable, list deliveries, send a test. */
export function registerEndpointRoutes(app: FastifyInstance, { admin, history, testSend, redelivery }: EndpointRoutesDeps): void {
  const invalid = (reply: FastifyReply, error: z.ZodError, title: string): FastifyReply =>
    sendProblem(reply, {
      status: 400,
      type: 'validation-failed',
      title,
      detail: 'See errors for each problem and where it is.',
      errors: toProblemDetails(error),
    });
  const notJson = (reply: FastifyReply): FastifyReply =>
    sendProblem(reply, {
      status: 415,
      type: 'unsupported-media-type',
      title: 'Unsupported Media Type',
      detail: 'Send JSON with Content-Type: application/json.',
    });
  const idOf = (params: unknown): string | undefined => {
    const parsed = EndpointIdSchema.safeParse((params as { id?: unknown }).id);
    return parsed.success ? parsed.data : undefined;
  };
  const noSuchId = (reply: FastifyReply): FastifyReply =>
    sendProblem(reply, { status: 404, type: 'not-found', title: 'Not Found', detail: 'No endpoint has that id.' });

  app.post('/v1/endpoints', async (request, reply) => {
    if (!isJsonContentType(request.headers['content-type'])) return notJson(reply);
    const parsed = EndpointSchema.safeParse(request.body);
    if (!parsed.success) return invalid(reply, parsed.error, 'The endpoint is not valid');
    return reply.code(201).send(endpointView(await admin.create(parsed.data)));
  });

  app.get('/v1/endpoints', async () => ({ data: (await admin.list()).map(endpointView) }));

  app.get('/v1/endpoints/:id', async (request, reply) => {
    const id = idOf(request.params);
    if (!id) return noSuchId(reply);
    return endpointView(await admin.get(id));
  });

  app.patch('/v1/endpoints/:id', async (request, reply) => {
    const id = idOf(request.params);
    if (!id) return noSuchId(reply);
    if (!isJsonContentType(request.headers['content-type'])) return notJson(reply);
    const patch = EndpointPatchSchema.safeParse(request.body);
    if (!patch.success) return invalid(reply, patch.error, 'The change is not valid');
    const current = await admin.get(id);
    const merged = EndpointSchema.safeParse({ ...toEndpointInput(current.endpoint), ...patch.data });
    if (!merged.success) return invalid(reply, merged.error, 'The changed endpoint is not valid');
    return endpointView(await admin.replace(merged.data));
  });

  app.delete('/v1/endpoints/:id', async (request, reply) => {
    const id = idOf(request.params);
    if (!id) return noSuchId(reply);
    return endpointView(await admin.remove(id));
  });

  for (const action of ACTIONS) {
    app.post(`/v1/endpoints/:id/${action}`, async (request, reply) => {
      const id = idOf(request.params);
      if (!id) return noSuchId(reply);
      const body = ActionBodySchema.safeParse(request.body ?? undefined);
      if (!body.success) return invalid(reply, body.error, 'The request is not valid');
      return endpointView(await admin.act(id, action, body.data?.reason));
    });
  }

  app.get('/v1/endpoints/:id/deliveries', async (request, reply) => {
    const id = idOf(request.params);
    if (!id) return noSuchId(reply);
    const query = DeliveriesQuerySchema.safeParse(request.query);
    if (!query.success) return invalid(reply, query.error, 'The query is not valid');
    const { status, since, page_size: pageSize, page_token: pageToken } = query.data;
    const page = await history.list(id, {
      pageSize,
      ...(status ? { status } : {}),
      ...(since ? { since: new Date(since) } : {}),
      ...(pageToken ? { pageToken } : {}),
    });
    return {
      data: page.entries.map((entry) => ({
        event_id: entry.eventId,
        workflow_id: entry.workflowId,
        ...(entry.eventType ? { event_type: entry.eventType } : {}),
        ...(entry.status ? { status: entry.status } : {}),
        ...(entry.startedAt ? { started_at: entry.startedAt } : {}),
      })),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  });

  app.post('/v1/endpoints/:id/recover', async (request, reply) => {
    const id = idOf(request.params);
    if (!id) return noSuchId(reply);
    const query = RecoverQuerySchema.safeParse(request.query);
    if (!query.success) return invalid(reply, query.error, 'The query is not valid');
    const results = await redelivery.recover(id, new Date(query.data.since));
    return reply.code(202).send({ recovered: results.map((result) => ({ event_id: result.eventId, workflow_id: result.workflowId })) });
  });

  app.post('/v1/endpoints/:id/test', async (request, reply) => {
    const id = idOf(request.params);
    if (!id) return noSuchId(reply);
    const report = await testSend(id);
    const delivery = report.deliveries[0];
    return {
      event_id: report.eventId,
      status: delivery?.status ?? report.status,
      ...(delivery?.reason ? { reason: delivery.reason } : {}),
      attempt: delivery?.attempts[0] ? attemptView(delivery.attempts[0]) : null,
    };
  });
}

function attemptView(attempt: AttemptRecord) {
  return {
    started_at: attempt.startedAt,
    duration_ms: attempt.durationMs,
    verdict: attempt.verdict,
    ...(attempt.statusCode === undefined ? {} : { status_code: attempt.statusCode }),
    ...(attempt.responseBodyExcerpt ? { response_body_excerpt: attempt.responseBodyExcerpt } : {}),
    ...(attempt.errorClass ? { error_class: attempt.errorClass } : {}),
    ...(attempt.errorMessage ? { error_message: attempt.errorMessage } : {}),
  };
}
