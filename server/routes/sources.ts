import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseJson } from 'secure-json-parse';
import { z } from 'zod';
import { JsonValueSchema, type IncomingEvent } from '../../domain/event.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../../domain/json-depth.js';
import { SOURCE_AUTH_MODES, type RateLimitConfig } from '../../config/ingest.js';
import type { Api } from '../api.js';
import type { Ingest } from '../../gateway/index.js';
import { idempotencyConflict, refusalProblem } from '../ingest-problems.js';
import { notFound, sendProblem, type Problem } from '../problem.js';
import { refuseRepeatedFailures } from '../guard.js';
import { answerRateLimit, type RateLimits } from '../rate-limits.js';
import { EventAcceptedSchema, IdParamsSchema, PROBLEM_RESPONSES } from '../schemas.js';
import { INVOCATION_RESULTS, type InvocationLog, type InvocationResult } from '../invocation-log.js';
import { excerptOf, isAuthentic, sourceEventId, type InboundSource, type SourceDirectory } from '../sources.js';

export interface SourceRoutesDeps {
  readonly directory: SourceDirectory;
  readonly log: InvocationLog;
  readonly ingest: Pick<Ingest, 'accept'>;
  /** `api.rate_limits.per_source`: the limit of a source without one of its own. */
  readonly defaultRateLimit: RateLimitConfig | null;
  readonly now?: () => number;
}

const SourceViewSchema = z
  .strictObject({
    id: z.string(),
    name: z.string().optional(),
    url: z.string().meta({ description: 'the path to give the sender' }),
    event_type: z.string(),
    enabled: z.boolean(),
    auth: z.strictObject({ mode: z.enum(SOURCE_AUTH_MODES), header: z.string().optional() }),
    id_header: z.string().optional(),
    rate_limit: z.strictObject({ limit: z.int(), window_ms: z.int() }).nullable(),
  })
  .meta({ id: 'Source', description: 'an inbound webhook source; its secret is never shown' });

const InvocationSchema = z
  .strictObject({
    at: z.string(),
    source_ip: z.string(),
    status: z.int(),
    result: z.enum(INVOCATION_RESULTS),
    event_id: z.string().optional(),
    payload_excerpt: z.string().meta({ description: 'the first 256 characters of the body' }),
  })
  .meta({ id: 'Invocation' });

const NO_SUCH_SOURCE = notFound('No source has that id.');

/** Says whose calls an invocation log read shows, without changing the body's shape. */
const SCOPE_HEADER = 'invocation-log-scope';

// What a sender may call with: JSON under any of its names, or no type at all, as some monitoring tools send.
const JSON_LIKE = /^(?:application\/(?:[\w.+-]+\+)?json|text\/plain)$/;

/**
 * `/v1/sources/{id}`: other systems call it with any JSON body, proving themselves with the source's secret or
 * signature, and each call becomes an event of the source's type. Registered in a scope of its own, because the
 * signature is over the raw bytes: this scope keeps bodies as they came.
 */
export function registerSourceRoutes(app: Api, deps: SourceRoutesDeps, limits: RateLimits): void {
  const now = deps.now ?? Date.now;
  const { directory, ingest, log: invocationLog } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const limitOf = (source: InboundSource) => source.config.rate_limit ?? deps.defaultRateLimit;
  const view = (source: InboundSource): z.output<typeof SourceViewSchema> => {
    const { config } = source;
    const rule = limitOf(source);
    return {
      id: config.id,
      ...(config.name ? { name: config.name } : {}),
      url: `/v1/sources/${config.id}`,
      event_type: config.event_type,
      enabled: config.enabled,
      auth: { mode: config.auth.mode, ...('header' in config.auth ? { header: config.auth.header } : {}) },
      ...(config.id_header ? { id_header: config.id_header } : {}),
      rate_limit: rule ? { limit: rule.limit, window_ms: rule.window } : null,
    };
  };

  app.post(
    '/v1/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Call an inbound source',
        description:
          'Any JSON body becomes the data of an event of the source’s type. Prove the call with the source’s secret (X-Webhook-Secret), a sha256=<hex> HMAC of the raw body, or a Standard Webhooks signature, as the source is configured. A disabled source answers 403; an unknown one 404.',
        params: IdParamsSchema,
        body: JsonValueSchema,
        response: { 202: EventAcceptedSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'source' },
      // The body stays bytes until the call is proven; the schema above is for the document.
      validatorCompiler: () => (value: unknown) => ({ value }),
    },
    async (request, reply) => {
      const source = directory.get(request.params.id);
      if (!source) return sendProblem(reply, NO_SUCH_SOURCE);
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const log = (status: number, result: InvocationResult, eventId?: string): void =>
        invocationLog.record(source.config.id, {
          at: new Date(now()).toISOString(),
          sourceIp: request.ip,
          status,
          result,
          ...(eventId ? { eventId } : {}),
          payloadExcerpt: excerptOf(rawBody),
        });
      const refuse = (problem: Problem, result: InvocationResult): FastifyReply => {
        log(problem.status, result);
        return sendProblem(reply, problem);
      };

      const rateLimited = (answer: FastifyReply): FastifyReply => {
        log(429, 'rate_limited');
        return answer;
      };

      if (!source.config.enabled) {
        return refuse({ status: 403, type: 'source-disabled', title: 'Forbidden', detail: 'This source is disabled.' }, 'disabled');
      }
      // Unproven calls count only against their own address, so a flood of them cannot use up the sender's limit.
      const blocked = await refuseRepeatedFailures(reply, limits, request.ip);
      if (blocked) return rateLimited(blocked);
      if (!isAuthentic(source, rawBody, request.headers, now())) {
        await limits.recordAuthFailure(request.ip);
        return refuse({ status: 401, type: 'unauthorized', title: 'Unauthorized', detail: authHint(source) }, 'unauthorized');
      }
      const limited = answerRateLimit(reply, await limits.admitSource(source.config.id, source.config.rate_limit));
      if (limited) return rateLimited(limited);
      const data = parseJsonBody(request, rawBody);
      if ('problem' in data) return refuse(data.problem, 'invalid');

      const id = sourceEventId(source, request.headers);
      try {
        const result = await ingest.accept({ type: source.config.event_type, data: data.value }, id ? { fallbackId: id } : {});
        if (result.kind === 'refused') return refuse(refusalProblem(result), 'invalid');
        request.log.info({ source: source.config.id, eventId: result.id, outcome: result.kind }, 'source call');
        if (result.kind === 'conflict') return refuse(idempotencyConflict(result.id, false), 'conflict');
        log(202, result.kind, result.id);
        if (result.kind === 'replayed') reply.header('idempotent-replayed', 'true');
        return reply.code(202).send({ id: result.id, workflow_id: result.workflowId });
      } catch (error) {
        log(503, 'unavailable');
        throw error;
      }
    },
  );

  const readSchema = { tags: ['sources'], security: [{ apiKey: [] }] };
  app.get(
    '/v1/sources',
    {
      schema: {
        ...readSchema,
        summary: 'List the inbound sources',
        response: { 200: z.strictObject({ data: z.array(SourceViewSchema) }), ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    () => ({ data: directory.list().map(view) }),
  );
  app.get(
    '/v1/sources/:id',
    {
      schema: {
        ...readSchema,
        summary: 'Read an inbound source',
        params: IdParamsSchema,
        response: { 200: SourceViewSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async (request, reply) => {
      const source = directory.get(request.params.id);
      return source ? view(source) : sendProblem(reply, NO_SUCH_SOURCE);
    },
  );
  app.get(
    '/v1/sources/:id/invocations',
    {
      schema: {
        ...readSchema,
        summary: 'Recent calls to a source, newest first',
        description:
          'The last api.invocation_log_size calls, whatever their result. With api.redis_url they are every API replica’s, kept in Redis; else, or while Redis is unreachable, those this API process served. The invocation-log-scope header says which: shared or process.',
        params: IdParamsSchema,
        response: { 200: z.strictObject({ data: z.array(InvocationSchema) }), ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async (request, reply) => {
      if (!directory.get(request.params.id)) {
        return sendProblem(reply, NO_SUCH_SOURCE);
      }
      const { invocations, scope } = await invocationLog.read(request.params.id);
      reply.header(SCOPE_HEADER, scope);
      return {
        data: invocations.map((entry) => ({
          at: entry.at,
          source_ip: entry.sourceIp,
          status: entry.status,
          result: entry.result,
          ...(entry.eventId ? { event_id: entry.eventId } : {}),
          payload_excerpt: entry.payloadExcerpt,
        })),
      };
    },
  );
}

function authHint(source: InboundSource): string {
  switch (source.config.auth.mode) {
    case 'secret':
      return `Send the source's secret in ${source.config.auth.header}.`;
    case 'hmac-sha256':
      return `Send sha256=<hex HMAC-SHA256 of the body> in ${source.config.auth.header}.`;
    case 'standard-webhooks':
      return 'Sign the call with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).';
  }
}

function parseJsonBody(request: FastifyRequest, rawBody: Buffer): { value: IncomingEvent['data'] } | { problem: Problem } {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== '' && !JSON_LIKE.test(mediaType)) {
    return { problem: { status: 415, type: 'unsupported-media-type', title: 'Unsupported Media Type', detail: 'Send a JSON body.' } };
  }
  let value: IncomingEvent['data'];
  try {
    // Fastify's parser for every other body refuses prototype keys; so does this one.
    value = parseJson(rawBody.toString('utf8'), { protoAction: 'error', constructorAction: 'error' }) as IncomingEvent['data'];
  } catch {
    return { problem: { status: 400, type: 'malformed-json', title: 'Bad Request', detail: 'The body is not valid JSON.' } };
  }
  if (exceedsJsonDepth(value)) {
    return {
      problem: {
        status: 400,
        type: 'too-deeply-nested',
        title: 'Bad Request',
        detail: `The JSON nests deeper than ${MAX_JSON_DEPTH} levels.`,
      },
    };
  }
  return { value };
}
