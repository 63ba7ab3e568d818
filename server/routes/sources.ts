import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseJson } from 'secure-json-parse';
import { JsonValueSchema, type IncomingEvent } from '../../domain/event.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../../domain/json-depth.js';
import { sourceAuthHeader, type RateLimitConfig } from '../../config/ingest.js';
import type { Api } from '../api.js';
import type { Ingest } from '../../gateway/index.js';
import { idempotencyConflict, refusalProblem } from '../ingest-problems.js';
import { sendProblem, type Problem } from '../problem.js';
import { refuseRepeatedFailures } from '../guard.js';
import { answerRateLimit, type RateLimits } from '../rate-limits.js';
import { EventAcceptedSchema, IdParamsSchema, PROBLEM_RESPONSES } from '../schemas.js';
import type { InvocationLog, InvocationResult } from '../invocation-log.js';
import { callRecorder, isAuthentic, missingSource, sourceEventId, type InboundSource, type SourceDirectory } from '../sources.js';

export interface SourceRoutesDeps {
  readonly directory: SourceDirectory;
  readonly log: InvocationLog;
  readonly ingest: Pick<Ingest, 'accept'>;
  /** `api.rate_limits.per_source`: the limit of a source without one of its own. */
  readonly defaultRateLimit: RateLimitConfig | null;
  readonly now?: () => number;
}

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

  app.post(
    '/v1/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Call an inbound source',
        description:
          'Any JSON body becomes the data of an event of the source’s type. Prove the call with the source’s secret (X-Webhook-Secret), a sha256=<hex> HMAC of the raw body, or a Standard Webhooks signature, as the source is configured. A disabled source answers 403; an unknown or deleted one 404.',
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
      if (!source) return sendProblem(reply, missingSource(directory, request.params.id));
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const log = callRecorder(invocationLog, source.definition.id, request.ip, rawBody, now);
      const refuse = (problem: Problem, result: InvocationResult): FastifyReply => {
        log(problem.status, result);
        return sendProblem(reply, problem);
      };

      const rateLimited = (answer: FastifyReply): FastifyReply => {
        log(429, 'rate_limited');
        return answer;
      };

      if (!source.enabled) {
        return refuse({ status: 403, type: 'source-disabled', title: 'Forbidden', detail: 'This source is disabled.' }, 'disabled');
      }
      if (source.secret === undefined) {
        // A replica without the source key (or the variable) could only refuse genuine calls as forged: say what it is.
        request.log.warn({ source: source.definition.id }, 'cannot check calls to this source: its secret is not configured here');
        return refuse(
          {
            status: 503,
            type: 'source-secret-unavailable',
            title: 'Service Unavailable',
            detail: 'This API process cannot check calls to this source yet: its secret is not configured here.',
          },
          'unavailable',
        );
      }
      // Unproven calls count only against their own address, so a flood of them cannot use up the sender's limit.
      const blocked = await refuseRepeatedFailures(reply, limits, request.ip);
      if (blocked) return rateLimited(blocked);
      if (!isAuthentic(source, rawBody, request.headers, now())) {
        await limits.recordAuthFailure(request.ip);
        return refuse({ status: 401, type: 'unauthorized', title: 'Unauthorized', detail: authHint(source) }, 'unauthorized');
      }
      const limited = answerRateLimit(reply, await limits.admitSource(source.definition.id, source.definition.rate_limit));
      if (limited) return rateLimited(limited);
      const data = parseJsonBody(request, rawBody);
      if ('problem' in data) return refuse(data.problem, 'invalid');

      const id = sourceEventId(source, request.headers);
      try {
        const result = await ingest.accept({ type: source.definition.event_type, data: data.value }, id ? { fallbackId: id } : {});
        if (result.kind === 'refused') return refuse(refusalProblem(result), 'invalid');
        request.log.info({ source: source.definition.id, eventId: result.id, outcome: result.kind }, 'source call');
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
}

function authHint(source: InboundSource): string {
  switch (source.definition.auth.mode) {
    case 'secret':
      return `Send the source's secret in ${sourceAuthHeader(source.definition.auth)}.`;
    case 'hmac-sha256':
      return `Send sha256=<hex HMAC-SHA256 of the body> in ${sourceAuthHeader(source.definition.auth)}.`;
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
