import { z } from 'zod';
import { EndpointIdSchema, TransformSchema } from '../../domain/endpoint.js';
import { IncomingEventSchema } from '../../domain/event.js';
import type { EndpointAdmin } from '../../gateway/index.js';
import type { Transformer } from '../../transform/index.js';
import type { Api } from '../api.js';
import { notFound, sendProblem } from '../problem.js';
import { IdParamsSchema, PROBLEM_RESPONSES } from '../schemas.js';

export interface TransformPreviewDeps {
  readonly admin: Pick<EndpointAdmin, 'get'>;
  /** The same runner, with the same limits, as workers use: a preview that passes here passes there. */
  readonly transformer: Pick<Transformer, 'render'>;
}

const PreviewBodySchema = z.strictObject({
  event: IncomingEventSchema.meta({ description: 'a sample event, as POST /v1/events takes it' }),
  transform: TransformSchema.optional().meta({ description: 'an expression to try instead of the endpoint’s own, before saving it' }),
});

const PreviewSchema = z
  .strictObject({
    body: z.json().meta({ description: 'the body a delivery of this event would carry' }),
    bytes: z.int().meta({ description: 'its size as sent' }),
  })
  .meta({ id: 'TransformPreview' });

/** `POST /v1/endpoints/{id}/transform/preview`: what an endpoint's transform makes of a sample event. */
export function registerTransformPreviewRoute(app: Api, deps: TransformPreviewDeps): void {
  app.post(
    '/v1/endpoints/:id/transform/preview',
    {
      schema: {
        tags: ['endpoints'],
        summary: 'Preview an endpoint’s transform',
        description:
          'Runs the endpoint’s transform (or `transform`, to try one before saving it) on a sample event, within the limits deliveries run it with, and shows the body a delivery would carry. Nothing is sent.',
        security: [{ apiKey: [] }],
        params: IdParamsSchema,
        body: PreviewBodySchema,
        response: { 200: PreviewSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const id = EndpointIdSchema.safeParse(request.params.id);
      if (!id.success) return sendProblem(reply, notFound('No endpoint has that id.'));
      const { endpoint } = await deps.admin.get(id.data);
      const expression = request.body.transform ?? endpoint.transform;
      if (expression === undefined) {
        return sendProblem(reply, {
          status: 409,
          type: 'no-transform',
          title: 'Conflict',
          detail: `Endpoint ${endpoint.id} has no transform: give one in the body to try it.`,
        });
      }
      const sample = request.body.event;
      const event = {
        id: sample.id ?? 'evt_preview',
        type: sample.type,
        timestamp: sample.timestamp ?? new Date().toISOString(),
        data: sample.data ?? {},
      };
      const outcome = await deps.transformer.render(expression, event);
      if ('error' in outcome) {
        return sendProblem(reply, { status: 422, type: 'transform-failed', title: 'Unprocessable Entity', detail: outcome.error });
      }
      return { body: JSON.parse(outcome.body) as z.output<typeof PreviewSchema>['body'], bytes: Buffer.byteLength(outcome.body) };
    },
  );
}
