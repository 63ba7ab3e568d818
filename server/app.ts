import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HTTPMethods,
} from 'fastify';
import { registerEndpointRoutes, type EndpointRoutesDeps } from './routes/endpoints.js';
import { registerEventRoutes, type EventRoutesDeps } from './routes/events.js';
import { EndpointOperationError } from '../errors.js';
import { sendProblem } from './problem.js';

export interface AppDeps extends EventRoutesDeps {
  readonly endpoints: EndpointRoutesDeps;
  readonly bodyLimitBytes: number;
  /** Resolves when Temporal answers; `/readyz` reports its failure as 503. */
  readonly checkReady: () => Promise<void>;
  readonly logger?: FastifyBaseLogger;
}

/** One log line per request, when it completes, instead of Fastify's two; never headers or bodies. */
class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) reply.log.error({ ...line, err: error }, 'request');
    else reply.log.info(line, 'request');
  }
}

const ROUTABLE_METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Builds the HTTP API without listening, so tests can `inject()` requests or listen on port 0. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.bodyLimitBytes,
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    return503OnClosing: true,
    // The event id is chosen by the producer; a request id from the client would let it forge log correlation.
    requestIdHeader: false,
    logController: new OneLineRequestLog(),
  });

  const methodsByUrl = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByUrl.set(route.url, methods);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Routes let this error pass: answering it here keeps every route free of the same try/catch.
    if (error instanceof EndpointOperationError) {
      return error.reason === 'not-found'
        ? sendProblem(reply, { status: 404, type: 'not-found', title: 'Not Found', detail: error.message })
        : sendProblem(reply, { status: 409, type: 'conflict', title: 'Conflict', detail: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return temporalUnavailable(error)
        ? sendProblem(reply.header('retry-after', '5'), {
            status: 503,
            type: 'temporal-unavailable',
            title: 'Service Unavailable',
            detail: 'Temporal did not confirm the event, so it was not accepted. Retrying with the same id never delivers twice.',
          })
        : sendProblem(reply, { status: 500, type: 'internal-error', title: 'Internal Server Error', detail: 'The error was logged.' });
    }
    return sendProblem(reply, { status, type: problemTypeFor(error), title: titleFor(status), detail: error.message });
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      status: 404,
      type: 'not-found',
      title: 'Not Found',
      detail: `No route ${request.method} ${request.url.split('?')[0]}.`,
    }),
  );

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await deps.checkReady();
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      return sendProblem(reply, { status: 503, type: 'not-ready', title: 'Service Unavailable', detail: 'Temporal is not reachable.' });
    }
  });
  registerEventRoutes(app, deps);
  registerEndpointRoutes(app, deps.endpoints);

  // A known path asked with the wrong method is a 405 with an Allow header, not a misleading 404.
  app.after(() => {
    for (const [url, methods] of methodsByUrl) {
      const others = ROUTABLE_METHODS.filter((method) => !methods.has(method));
      if (others.length === 0) continue;
      const allow = [...methods].join(', ');
      app.route({
        method: others,
        url,
        handler: async (request, reply) =>
          sendProblem(reply.header('allow', allow), {
            status: 405,
            type: 'method-not-allowed',
            title: 'Method Not Allowed',
            detail: `${request.method} is not allowed here; use ${allow}.`,
          }),
      });
    }
  });
  return app;
}

function problemTypeFor(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'malformed-json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'payload-too-large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported-media-type';
    default:
      return 'bad-request';
  }
}

function titleFor(status: number): string {
  const titles: Record<number, string> = { 400: 'Bad Request', 413: 'Payload Too Large', 415: 'Unsupported Media Type' };
  return titles[status] ?? 'Client Error';
}

// gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4): Temporal is down or overloaded, which the producer should retry.
function temporalUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 14 || code === 4) return true;
  }
  return false;
}
