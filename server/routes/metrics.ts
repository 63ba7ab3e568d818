import type { IngestAnswer } from '../../domain/observations.js';
import type { Api } from '../api.js';
import { problemTypeOf } from '../problem.js';

/** What the API needs of the process's metrics (`GatewayMetrics` is one). */
export interface MetricsRoutesDeps {
  readonly contentType: string;
  render(): Promise<string>;
  ingestAnswered(answer: IngestAnswer): void;
}

/**
 * `GET /metrics`: the process's metrics in Prometheus's text format (its API's, its worker's when it runs one, and the
 * Temporal SDK's). It asks for a `read` key when the API has keys: Prometheus sends one as a bearer token. Every
 * answer of an ingest route is counted, refused ones by their problem type.
 */
export function registerMetricsRoutes(app: Api, deps: MetricsRoutesDeps): void {
  app.addHook('onResponse', (request, reply, done) => {
    const access = request.routeOptions.config.access;
    if (access === 'ingest' || access === 'source') {
      const problem = problemTypeOf(reply);
      deps.ingestAnswered({
        route: request.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
        ...(problem ? { problem } : {}),
        durationMs: reply.elapsedTime,
      });
    }
    done();
  });
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Metrics for Prometheus',
        description:
          'Events in, delivery attempts out by outcome, latencies, endpoint status, and the Temporal SDK’s own metrics, in Prometheus’s text format. See docs/observability.md.',
        security: [{ apiKey: [] }],
      },
      config: { access: 'read' },
    },
    async (_request, reply) => reply.type(deps.contentType).send(await deps.render()),
  );
}
