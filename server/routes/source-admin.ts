import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RuntimeSourceSchema, SOURCE_AUTH_MODES, toSourceInput, type RateLimitConfig } from '../../config/ingest.js';
import { formatDurationMs } from '../../domain/duration.js';
import {
  changeProblem,
  createProblem,
  deleteProblem,
  rotateProblem,
  type SourceBook,
  type SourceBookProblem,
  type SourceDefinition,
  type StoredSource,
} from '../../domain/source-book.js';
import type { SourceStore } from '../../gateway/index.js';
import type { Api } from '../api.js';
import { INVOCATION_RESULTS, type InvocationLog } from '../invocation-log.js';
import { SourceOperationError } from '../../errors.js';
import { sendProblem, validationFailed, type Problem } from '../problem.js';
import { mergePatch, toProblemDetails } from '../validation.js';
import { EventAcceptedSchema, IdParamsSchema, PROBLEM_RESPONSES } from '../schemas.js';
import { refusalProblem } from '../ingest-problems.js';
import { JsonValueSchema } from '../../domain/event.js';
import type { Ingest } from '../../gateway/index.js';
import { callRecorder, missingSource, type InboundSource, type SourceDirectory } from '../sources.js';

export interface SourceAdminDeps {
  readonly directory: SourceDirectory;
  readonly store: Pick<SourceStore, 'create' | 'change' | 'delete' | 'rotateSecret'>;
  readonly log: InvocationLog;
  /** `api.rate_limits.per_source`: the limit of a source without one of its own. */
  readonly defaultRateLimit: RateLimitConfig | null;
  /** Whether an event type may be sent: with a catalogue, only its types. */
  readonly knowsEventType: (type: string) => boolean;
  /** `secret_key_env`, named when a secret cannot be generated. */
  readonly secretKeyEnv: string;
  /** Where a test call's event goes: the one way events go to Temporal. */
  readonly ingest: Pick<Ingest, 'accept'>;
}

const TestCallSchema = z.strictObject({
  data: JsonValueSchema.optional().meta({ description: 'the payload a sender would POST (default {"message": "test"})' }),
});

export const SourceViewSchema = z
  .strictObject({
    id: z.string(),
    name: z.string().optional(),
    url: z.string().meta({ description: 'the path to give the sender' }),
    event_type: z.string(),
    enabled: z.boolean().meta({ description: 'false: the URL stays, and calls are answered 403' }),
    status_reason: z.string().optional(),
    auth: z.strictObject({
      mode: z.enum(SOURCE_AUTH_MODES),
      header: z.string().optional(),
      tolerance: z.string().optional(),
      secret_env: z.string().optional().meta({ description: 'the variable holding the secret' }),
      generated_secret: z.boolean().meta({ description: 'the gateway generated the secret (shown once, when made)' }),
    }),
    id_header: z.string().optional(),
    rate_limit: z.strictObject({ limit: z.int(), window_ms: z.int() }).nullable(),
    origin: z.enum(['config', 'api']).meta({ description: 'who owns the definition: the config file or the API' }),
    revision: z.int(),
    created_at: z.string().optional(),
    changed_at: z.string().optional(),
    last_triggered_at: z.string().optional().meta({ description: 'the last call, whatever its answer' }),
  })
  .meta({ id: 'Source', description: 'an inbound webhook source; its secret is never shown again after it was made' });
type SourceView = z.output<typeof SourceViewSchema>;

export const SourceWithSecretSchema = SourceViewSchema.extend({
  secret: z.string().optional().meta({ description: 'the generated secret: shown in this answer only' }),
}).meta({ id: 'SourceWithSecret' });

export const InvocationSchema = z
  .strictObject({
    at: z.string(),
    source_ip: z.string(),
    status: z.int(),
    result: z.enum(INVOCATION_RESULTS),
    event_id: z.string().optional(),
    payload_excerpt: z.string().meta({ description: 'the first 256 characters of the body' }),
  })
  .meta({ id: 'Invocation' });

// An id is optional when a source is made: the gateway then picks one, as a URL to copy is all a sender needs.
const CreateSourceSchema = RuntimeSourceSchema.extend({ id: RuntimeSourceSchema.shape.id.optional() });
const SourcePatchSchema = z.record(z.string(), z.unknown()).refine((patch) => !('id' in patch), 'the id of a source cannot change');

/** Says whose calls an invocation log read shows, without changing the body's shape. */
const SCOPE_HEADER = 'invocation-log-scope';

/** `/v1/sources` for operators: list, read, make, change, delete, rotate a generated secret, and the invocation log. */
export function registerSourceAdminRoutes(app: Api, deps: SourceAdminDeps): void {
  const { directory, store, log } = deps;
  const common = { tags: ['sources'], security: [{ apiKey: [] }] };

  const view = async (source: InboundSource): Promise<SourceView> => {
    const { definition, stored } = source;
    const { auth } = definition;
    const rule = definition.rate_limit ?? deps.defaultRateLimit;
    const [last] = (await log.read(definition.id)).invocations;
    return {
      id: definition.id,
      ...(definition.name ? { name: definition.name } : {}),
      url: `/v1/sources/${definition.id}`,
      event_type: definition.event_type,
      enabled: source.enabled,
      ...(stored.removedFromConfig ? { status_reason: 'removed from the config file' } : {}),
      auth: {
        mode: auth.mode,
        ...(auth.header ? { header: auth.header } : {}),
        ...(auth.tolerance === undefined ? {} : { tolerance: formatDurationMs(auth.tolerance) }),
        ...(auth.secret_env ? { secret_env: auth.secret_env } : {}),
        generated_secret: auth.secret_env === undefined,
      },
      ...(definition.id_header ? { id_header: definition.id_header } : {}),
      rate_limit: rule ? { limit: rule.limit, window_ms: rule.window } : null,
      origin: stored.origin,
      revision: stored.revision,
      ...(stored.createdAt ? { created_at: stored.createdAt, changed_at: stored.changedAt } : {}),
      ...(last ? { last_triggered_at: last.at } : {}),
    };
  };
  const found = (id: string): InboundSource | Problem => directory.get(id) ?? missingSource(directory, id);
  // What the book would refuse is refused here at once, without a round trip (or a wait for a worker) to learn it;
  // the error handler answers it as it answers the book's own refusals.
  const refuseAsTheBookWould = (problem: SourceBookProblem | undefined): void => {
    if (problem) throw new SourceOperationError(problem.reason, problem.message);
  };

  // The book a change answered with is served at once by this process; the others hear of it from its history.
  const served = (book: SourceBook, id: string): InboundSource => {
    directory.replace(book);
    // A later book this process already serves may have changed it again (or deleted it): answer with what this
    // change made.
    const made = book.sources.find((source) => source.definition.id === id);
    return directory.get(id) ?? directory.inbound(made as StoredSource);
  };
  // A new secret is shown in the one answer that made it, and never again.
  const withSecret = async (source: InboundSource, reply: FastifyReply, status: number, secretIsNew: boolean) => {
    const secret = secretIsNew ? directory.generatedSecret(source.stored) : undefined;
    return reply.code(status).send({ ...(await view(source)), ...(secret ? { secret } : {}) });
  };
  const refuseDefinition = (definition: SourceDefinition): Problem | undefined => {
    if (!deps.knowsEventType(definition.event_type)) {
      return validationFailed([{ path: '/event_type', message: `"${definition.event_type}" is not in the event types catalogue` }]);
    }
    return definition.auth.secret_env === undefined && !directory.canGenerateSecrets ? noSourceKey : undefined;
  };
  const noSourceKey: Problem = {
    status: 409,
    type: 'secret-key-missing',
    title: 'Conflict',
    detail: `This API cannot generate secrets: set ${deps.secretKeyEnv} on every API process, or name a secret_env.`,
  };

  app.get(
    '/v1/sources',
    {
      schema: {
        ...common,
        summary: 'List the inbound sources',
        response: { 200: z.strictObject({ data: z.array(SourceViewSchema) }), ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async () => ({ data: await Promise.all(directory.list().map(view)) }),
  );

  app.get(
    '/v1/sources/:id',
    {
      schema: {
        ...common,
        summary: 'Read an inbound source',
        params: IdParamsSchema,
        response: { 200: SourceViewSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async (request, reply) => {
      const source = found(request.params.id);
      return 'definition' in source ? view(source) : sendProblem(reply, source);
    },
  );

  app.post(
    '/v1/sources',
    {
      schema: {
        ...common,
        summary: 'Make an inbound source',
        description:
          'Without auth.secret_env the gateway generates the secret and shows it in this answer only. Without id, it picks one. The id of a deleted source is never given out again.',
        body: CreateSourceSchema,
        response: { 201: SourceWithSecretSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const definition: SourceDefinition = { ...request.body, id: request.body.id ?? `src-${randomBytes(6).toString('hex')}` };
      const problem = refuseDefinition(definition);
      if (problem) return sendProblem(reply, problem);
      refuseAsTheBookWould(createProblem(directory.snapshot(), definition));
      return withSecret(served(await store.create(definition), definition.id), reply, 201, true);
    },
  );

  app.patch(
    '/v1/sources/:id',
    {
      schema: {
        ...common,
        summary: 'Change an inbound source',
        description:
          'The fields given replace the current ones, and null removes one (JSON Merge Patch, at the top level); the result must be a valid source. enabled: false keeps the URL and answers calls 403. A source defined in the config file is changed there (409).',
        params: IdParamsSchema,
        body: SourcePatchSchema,
        response: { 200: SourceWithSecretSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const current = found(request.params.id);
      if (!('definition' in current)) return sendProblem(reply, current);
      refuseAsTheBookWould(changeProblem(directory.snapshot(), request.params.id));
      const merged = RuntimeSourceSchema.safeParse(
        mergePatch(toSourceInput(current.definition), request.body, ['name', 'id_header', 'rate_limit']),
      );
      if (!merged.success) {
        return sendProblem(reply, validationFailed(toProblemDetails(merged.error), 'The changed source is not valid'));
      }
      const problem = refuseDefinition(merged.data);
      if (problem) return sendProblem(reply, problem);
      const changed = served(await store.change(merged.data), merged.data.id);
      // New only when the source stops naming a variable: comparing generations with a view that may trail another
      // replica's rotation could show the current secret again.
      const secretIsNew = merged.data.auth.secret_env === undefined && current.definition.auth.secret_env !== undefined;
      return withSecret(changed, reply, 200, secretIsNew);
    },
  );

  app.post(
    '/v1/sources/:id/rotate-secret',
    {
      schema: {
        ...common,
        summary: 'Give a source a new generated secret',
        description: 'The old secret stops working at once; the new one is shown in this answer only.',
        params: IdParamsSchema,
        response: { 200: SourceWithSecretSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const current = found(request.params.id);
      if (!('definition' in current)) return sendProblem(reply, current);
      refuseAsTheBookWould(rotateProblem(directory.snapshot(), request.params.id));
      if (!directory.canGenerateSecrets) return sendProblem(reply, noSourceKey);
      return withSecret(served(await store.rotateSecret(request.params.id), request.params.id), reply, 200, true);
    },
  );

  app.post(
    '/v1/sources/:id/test',
    {
      schema: {
        ...common,
        summary: 'Send a test call through a source',
        description:
          'As if its sender had called it with this payload, without its secret (the manage key stands for it): the event is accepted and routed like any other, and the call is in the invocation log. A disabled source answers 403.',
        params: IdParamsSchema,
        body: TestCallSchema,
        response: { 202: EventAcceptedSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const source = found(request.params.id);
      if (!('definition' in source)) return sendProblem(reply, source);
      const data = request.body.data ?? { message: 'test' };
      const logged = callRecorder(log, source.definition.id, request.ip, Buffer.from(JSON.stringify(data)), Date.now);
      if (!source.enabled) {
        logged(403, 'disabled');
        return sendProblem(reply, { status: 403, type: 'source-disabled', title: 'Forbidden', detail: 'This source is disabled.' });
      }
      const result = await deps.ingest.accept({ type: source.definition.event_type, data });
      if (result.kind === 'refused') {
        logged(422, 'invalid');
        return sendProblem(reply, refusalProblem(result));
      }
      logged(202, 'accepted', result.id);
      return reply.code(202).send({ id: result.id, workflow_id: result.workflowId });
    },
  );

  app.delete(
    '/v1/sources/:id',
    {
      schema: {
        ...common,
        summary: 'Delete an inbound source',
        description: 'Its URL answers 404 from now on, and its id is never given out again.',
        params: IdParamsSchema,
        response: { 200: SourceViewSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const current = found(request.params.id);
      if (!('definition' in current)) return sendProblem(reply, current);
      refuseAsTheBookWould(deleteProblem(directory.snapshot(), request.params.id));
      const shown = await view(current);
      directory.replace(await store.delete(request.params.id));
      return reply.send(shown);
    },
  );

  app.get(
    '/v1/sources/:id/invocations',
    {
      schema: {
        ...common,
        summary: 'Recent calls to a source, newest first',
        description:
          'The last api.invocation_log_size calls, whatever their result. With api.redis_url they are every API replica’s, kept in Redis; else, or while Redis is unreachable, those this API process served. The invocation-log-scope header says which: shared or process.',
        params: IdParamsSchema,
        response: { 200: z.strictObject({ data: z.array(InvocationSchema) }), ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async (request, reply) => {
      const source = found(request.params.id);
      if (!('definition' in source)) return sendProblem(reply, source);
      const { invocations, scope } = await log.read(request.params.id);
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
