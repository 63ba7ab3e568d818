import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyBodyParser,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  type HTTPMethods,
} from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { CLOUDEVENT_BATCH_MEDIA_TYPE, CLOUDEVENT_MEDIA_TYPE } from '../domain/cloudevents.js';
import { GRPC_STATUS } from '../domain/grpc-status.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../domain/json-depth.js';
import { EndpointOperationError, EventNotAcceptedError, InvalidPageTokenError, SourceOperationError } from '../errors.js';
import type { Api } from './api.js';
import type { Keyring } from './auth.js';
import type { Tracer } from '@opentelemetry/api';
import { registerGuard } from './guard.js';
import { registerTracing } from './tracing.js';
import { DOCS_PREFIX, registerOpenApi } from './openapi.js';
import { notFound, sendProblem, validationFailed } from './problem.js';
import { notAcceptedWithIds } from './ingest-problems.js';
import type { RateLimits } from './rate-limits.js';
import { registerConsole } from './console/index.js';
import { registerCodecRoutes, type CodecRoutesDeps } from './routes/codec.js';
import { registerEndpointRoutes, type EndpointRoutesDeps } from './routes/endpoints.js';
import { registerEventRoutes, type EventRoutesDeps } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoutes, type MetricsRoutesDeps } from './routes/metrics.js';
import { registerSourceAdminRoutes, type SourceAdminDeps } from './routes/source-admin.js';
import { registerSourceRoutes, type SourceRoutesDeps } from './routes/sources.js';
import { RequestValidationError, zodValidatorCompiler } from './validation.js';

export interface AppDeps {
  readonly events: EventRoutesDeps;
  readonly endpoints: EndpointRoutesDeps;
  readonly sources: SourceRoutesDeps;
  readonly sourceAdmin: SourceAdminDeps;
  readonly codec: CodecRoutesDeps;
  readonly keyring: Keyring;
  readonly limits: RateLimits;
  readonly bodyLimitBytes: number;
  /** Whether to take client addresses from X-Forwarded-For. */
  readonly trustProxy?: boolean;
  /** Resolves when Temporal answers; `/readyz` reports its failure as 503. */
  readonly checkReady: () => Promise<void>;
  readonly logger?: FastifyBaseLogger;
  /** The version the OpenAPI document states. */
  readonly version?: string;
  /** The process's metrics, served at `/metrics`; without them there is no such route. */
  readonly metrics?: MetricsRoutesDeps;
  /** Traces requests (W3C `traceparent` in, server spans out) when the process has tracing on. */
  readonly tracer?: Tracer;
  /** The web console at `/console`; where it links workflows in the Temporal Web UI, when known. */
  readonly console?: { readonly workflowUrl?: ((workflowId: string) => string) | undefined };
}

/** One log line per request, when it completes, instead of Fastify's two; never headers or bodies. */
class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      ...(request.principal ? { key: request.principal.keyId } : {}),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request');
    // A load balancer probes every replica every second or two: only a failing probe is news.
    else if (PROBE_PATHS.has(line.url ?? '') && reply.statusCode < 400) reply.log.debug(line, 'request');
    else reply.log.info(line, 'request');
  }
}

const PROBE_PATHS = new Set(['/healthz', '/readyz']);

const JSON_TOO_DEEP = 'JSON_TOO_DEEP';
const ROUTABLE_METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Builds the HTTP API without listening, so tests can `inject()` requests or listen on port 0. */
export function buildApp(deps: AppDeps): Api {
  const app = Fastify({
    bodyLimit: deps.bodyLimitBytes,
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Answered below instead, in the one error shape.
    return503OnClosing: false,
    trustProxy: deps.trustProxy ?? false,
    // The event id is chosen by the producer; a request id from the client would let it forge log correlation.
    requestIdHeader: false,
    logController: new OneLineRequestLog(),
    // Event ids run to 200 characters, and they are path parameters.
    routerOptions: { maxParamLength: 256 },
    // A URL Fastify cannot route (bad percent-encoding, an overlong parameter) gets the one error shape too.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void sendProblem(reply, {
        status: error.statusCode ?? 400,
        type: tooLong ? 'uri-too-long' : 'bad-url',
        title: tooLong ? 'URI Too Long' : 'Bad Request',
        detail: error.message,
      });
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Every body is JSON, CloudEvents in structured mode under their own media types. A text body would otherwise reach
  // routes as a string.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser(
    ['application/json', CLOUDEVENT_MEDIA_TYPE, CLOUDEVENT_BATCH_MEDIA_TYPE],
    { parseAs: 'string' },
    jsonParser(app),
  );

  const methodsByUrl = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    // The interactive docs are the one plugin with routes, all public; any other route that forgot to say who may
    // call it would be open to anyone, so the app refuses to start instead.
    if (route.config?.access === undefined) {
      if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) return;
      throw new Error(`route ${String(route.method)} ${route.url} declares no access`);
    }
    const methods = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByUrl.set(route.url, methods);
  });
  // From the start of a close, requests still arriving on open connections are told to go elsewhere, and /readyz
  // fails, so that a load balancer stops sending any.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', async (_request, reply) =>
    closing
      ? sendProblem(reply.header('retry-after', '1').header('connection', 'close'), {
          status: 503,
          type: 'shutting-down',
          title: 'Service Unavailable',
          detail: 'This API process is stopping; send the request again.',
        })
      : undefined,
  );
  if (deps.tracer) registerTracing(app, deps.tracer);
  registerGuard(app, deps.keyring, deps.limits);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Routes let these errors pass: answering them here keeps every route free of the same try/catch.
    if (error instanceof RequestValidationError) {
      return sendProblem(reply, {
        ...validationFailed(error.details),
        detail: `See errors for each problem in the ${partName(error.validationContext)} and where it is.`,
      });
    }
    if (error instanceof InvalidPageTokenError) {
      return sendProblem(reply, {
        ...validationFailed([{ path: '/page_token', message: error.message }]),
        detail: 'See errors for each problem in the query and where it is.',
      });
    }
    if (error instanceof EndpointOperationError || error instanceof SourceOperationError) {
      if (error.reason === 'not-found') return sendProblem(reply, notFound(error.message));
      if (error instanceof EndpointOperationError && error.retryAfterSeconds !== undefined) {
        reply.header('retry-after', String(error.retryAfterSeconds));
      }
      return sendProblem(reply, { status: 409, type: 'conflict', title: 'Conflict', detail: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      if (!temporalUnavailable(error)) {
        return sendProblem(reply, { status: 500, type: 'internal-error', title: 'Internal Server Error', detail: 'The error was logged.' });
      }
      // An event sent to /v1/events without an id was named here: its sender can only retry it safely with that name.
      // (A source's caller cannot choose an id; a batch says so in its own answer.)
      if (error instanceof EventNotAcceptedError && error.idGenerated && request.routeOptions.url === '/v1/events') {
        return sendProblem(reply.header('retry-after', '5'), notAcceptedWithIds([error.eventId]));
      }
      return sendProblem(reply.header('retry-after', '5'), {
        status: 503,
        type: 'temporal-unavailable',
        title: 'Service Unavailable',
        detail: acceptsEvents(request)
          ? 'Temporal did not confirm the event, so it was not accepted. Retrying with the same id never delivers twice.'
          : 'Temporal, or a worker to answer a query, did not answer in time. Try again.',
      });
    }
    return sendProblem(reply, { status, type: problemTypeFor(error), title: titleFor(status), detail: error.message });
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, notFound(`No route ${request.method} ${request.url.split('?')[0]}.`)));

  void app.register(async (api) => {
    await registerOpenApi(api, deps.version ?? '0.0.0');
    registerHealthRoutes(api, async () => {
      if (closing) throw new Error('shutting down');
      await deps.checkReady();
    });
    registerEventRoutes(api, deps.events);
    registerEndpointRoutes(api, deps.endpoints);
    registerSourceAdminRoutes(api, deps.sourceAdmin);
    registerCodecRoutes(api, deps.codec);
    if (deps.metrics) registerMetricsRoutes(api, deps.metrics);
    registerConsole(api, {
      keyring: deps.keyring,
      limits: deps.limits,
      ...(deps.console?.workflowUrl ? { workflowUrl: deps.console.workflowUrl } : {}),
    });
    // Sources keep raw bodies for their signatures, so they get a scope with parsers of their own.
    await api.register((scope, _options, done) => {
      registerSourceRoutes(scope, deps.sources, deps.limits);
      done();
    });
  });

  // A known path asked with the wrong method is a 405 with an Allow header, not a misleading 404.
  app.after(() => {
    for (const [url, methods] of methodsByUrl) {
      const others = ROUTABLE_METHODS.filter((method) => !methods.has(method));
      if (others.length === 0) continue;
      const allow = [...methods].join(', ');
      app.route({
        method: others,
        url,
        schema: { hide: true },
        config: { access: 'public' },
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

/** Fastify's JSON parser (which refuses `__proto__` and `constructor.prototype`), refusing absurd nesting as well. */
function jsonParser(app: Api): FastifyBodyParser<string> {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) =>
    parse(request, body, (error, value) => {
      if (error) return done(error);
      if (exceedsJsonDepth(value)) {
        return done(
          Object.assign(new Error(`The JSON nests deeper than ${MAX_JSON_DEPTH} levels.`), { statusCode: 400, code: JSON_TOO_DEEP }),
        );
      }
      done(null, value);
    });
}

// Whether a request hands events to Temporal, so that a 503 can say that none was accepted.
function acceptsEvents(request: FastifyRequest): boolean {
  return request.method === 'POST' && /^\/v1\/(?:events(?:\/batch)?|sources\/[^/]+)$/.test(request.url.split('?')[0] ?? '');
}

function partName(context: string | undefined): string {
  return context === 'querystring' ? 'query' : (context ?? 'request');
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
    case JSON_TOO_DEEP:
      return 'too-deeply-nested';
    default:
      return 'bad-request';
  }
}

function titleFor(status: number): string {
  const titles: Record<number, string> = { 400: 'Bad Request', 413: 'Payload Too Large', 415: 'Unsupported Media Type' };
  return titles[status] ?? 'Client Error';
}

// gRPC statuses that mean "Temporal could not do it now":
// Down or overloaded (unavailable, deadline exceeded, cancelled), a shard moving or closed (aborted), its store
// failing (internal, unknown: SQLite's "database or disk is full" arrives so), rate limited (resource exhausted). The
// event was not confirmed: it may not be stored (or, after a deadline, it may), and sending it again with the same
// id is safe either way, so the answer is 503, not 500.
const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([
  GRPC_STATUS.CANCELLED,
  GRPC_STATUS.UNKNOWN,
  GRPC_STATUS.DEADLINE_EXCEEDED,
  GRPC_STATUS.RESOURCE_EXHAUSTED,
  GRPC_STATUS.ABORTED,
  GRPC_STATUS.INTERNAL,
  GRPC_STATUS.UNAVAILABLE,
]);
// RESOURCE_EXHAUSTED also says a message was too large for the channel, which no retry mends.
const TOO_LARGE = /larger than max/i;

/** Whether an error is Temporal (or the way to it) failing for now, as opposed to a request it would always refuse. */
export function temporalUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number' && TRANSIENT_GRPC_CODES.has(code))
      return !(code === GRPC_STATUS.RESOURCE_EXHAUSTED && TOO_LARGE.test(current.message));
  }
  return false;
}
