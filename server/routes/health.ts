import type { Api } from '../api.js';
import { sendProblem } from '../problem.js';
import { HealthSchema, PROBLEM_RESPONSES } from '../schemas.js';

/** `/healthz`: the process answers. `/readyz`: it can also reach Temporal, so it can accept events. */
export function registerHealthRoutes(app: Api, checkReady: () => Promise<void>): void {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is alive', response: { 200: HealthSchema } }, config: { access: 'public' } },
    () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: { tags: ['health'], summary: 'Temporal is reachable', response: { 200: HealthSchema, 503: PROBLEM_RESPONSES[503] } },
      config: { access: 'public' },
    },
    async (request, reply) => {
      try {
        await checkReady();
        return { status: 'ready' };
      } catch (error) {
        request.log.warn({ err: error }, 'not ready');
        return sendProblem(reply, { status: 503, type: 'not-ready', title: 'Service Unavailable', detail: 'Temporal is not reachable.' });
      }
    },
  );
}
