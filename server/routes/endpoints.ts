import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { EndpointIdSchema, EndpointSchema, toEndpointInput, type Endpoint } from '../../domain/endpoint.js';
import { DELIVERY_STATUSES, type AttemptRecord, type DeliveryReport } from '../../domain/delivery.js';
import {
  ENDPOINT_ACTION_EFFECTS,
  ENDPOINT_ACTIONS,
  endpointActionTitle,
  type EndpointState,
  type ListedEndpointState,
} from '../../domain/endpoint-state.js';
import type { DeliveryHistory, EndpointAdmin, EndpointHealthRow, HealthView, Redelivery } from '../../gateway/index.js';
import type { Api } from '../api.js';
import { notFound, sendProblem, validationFailed } from '../problem.js';
import { EndpointHealthSchema, EndpointViewSchema, EndpointWithSecretSchema, IdParamsSchema, PROBLEM_RESPONSES } from '../schemas.js';
import { mergePatch, toProblemDetails } from '../validation.js';
import { deriveSecret } from '../../signing/derive.js';
import { registerTransformPreviewRoute, type TransformPreviewDeps } from './transform-preview.js';

// A POST without a body has a null one.
const ActionBodySchema = z.strictObject({ reason: z.string().min(1).max(500).optional() }).nullish();
// Everything of a definition may change but its id, which names the entity.
const EndpointPatchSchema = z.record(z.string(), z.unknown()).refine((patch) => !('id' in patch), 'the id of an endpoint cannot change');

/** An endpoint as the API shows it: its definition as written, and its status. */
export function endpointView(state: ListedEndpointState & Partial<Pick<EndpointState, 'heldDeliveries'>>) {
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
  status: z.enum(DELIVERY_STATUSES).optional(),
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
  readonly health: HealthView;
  /** The gateway's secret key (`secret_key_env`), which generated signing secrets are derived from, if this API has it. */
  readonly secretKey?: string | undefined;
  /** `secret_key_env`, named when a secret cannot be generated. */
  readonly secretKeyEnv: string;
  /** Runs transforms for `POST /v1/endpoints/{id}/transform/preview`. */
  readonly transformer: TransformPreviewDeps['transformer'];
}

/**
 * What an endpoint made through the API may name as a variable (in `headers`, `auth`, `signing`): only variables meant
 * for it. A worker sends what the variable holds to the endpoint's URL, so a manage key that could name any variable
 * could have the worker send away any secret of its process: an API key, the Temporal API key, the secret key, or a
 * config endpoint's token.
 */
export const API_ENDPOINT_SECRET_PREFIX = 'WEBHOOKS_ENDPOINT_';

/** Every variable an endpoint's definition names, with where (as a JSON pointer into the definition). */
function variablesOf(endpoint: Endpoint): { path: string; name: string }[] {
  const named: { path: string; name: string }[] = [];
  for (const [header, value] of Object.entries(endpoint.headers)) {
    if (typeof value !== 'string') named.push({ path: `/headers/${header}/env`, name: value.env });
  }
  if (endpoint.auth?.type === 'bearer') named.push({ path: '/auth/token_env', name: endpoint.auth.token_env });
  if (endpoint.auth?.type === 'basic') named.push({ path: '/auth/password_env', name: endpoint.auth.password_env });
  if (endpoint.auth?.type === 'oauth2') named.push({ path: '/auth/client_secret_env', name: endpoint.auth.client_secret_env });
  (endpoint.signing?.secret_env ?? []).forEach((name, index) => named.push({ path: `/signing/secret_env/${index}`, name }));
  for (const field of ['client_cert_env', 'client_key_env', 'ca_env'] as const) {
    const name = endpoint.tls?.[field];
    if (name !== undefined) named.push({ path: `/tls/${field}`, name });
  }
  return named;
}

/** Whether an endpoint signs with a secret the gateway generates (it names no `secret_env`). */
const signsWithGeneratedSecret = (endpoint: Endpoint): boolean =>
  endpoint.signing !== undefined && endpoint.signing.secret_env === undefined;

// Fields of a definition that a PATCH may remove with null: the optional ones with no default to fall back on silently.
const REMOVABLE_FIELDS = [
  'name',
  'filter',
  'ordering',
  'fifo_on_failure',
  'rate_limit',
  'auth',
  'signing',
  'tls',
  'format',
  'data_key',
  'transform',
  'retry',
  'timeout',
];

/** An endpoint's health as the API shows it. */
function healthView(row: EndpointHealthRow): z.output<typeof EndpointHealthSchema> {
  const window = ({ attempts, delivered, failed, successRate }: EndpointHealthRow['windows']['5m']) => ({
    attempts,
    delivered,
    failed,
    success_rate: successRate,
  });
  return {
    id: row.endpointId,
    ...(row.name ? { name: row.name } : {}),
    status: row.status,
    ...(row.statusReason ? { status_reason: row.statusReason } : {}),
    windows: { '5m': window(row.windows['5m']), '1h': window(row.windows['1h']), '24h': window(row.windows['24h']) },
    ...(row.lastSuccessAt ? { last_success_at: row.lastSuccessAt } : {}),
    ...(row.lastFailureAt ? { last_failure_at: row.lastFailureAt } : {}),
    ...(row.lastFailureReason ? { last_failure_reason: row.lastFailureReason } : {}),
    consecutive_failures: row.consecutiveFailures,
    ...(row.failingSince ? { failing_since: row.failingSince } : {}),
    ...(row.autoDisableAt ? { auto_disable_at: row.autoDisableAt } : {}),
    retrying: row.retrying,
    held: row.held,
  };
}

/** A page of `GET /v1/endpoints/{id}/deliveries`. */
export const DeliveriesPageSchema = z.strictObject({
  data: z.array(
    z.strictObject({
      event_id: z.string(),
      workflow_id: z.string(),
      event_type: z.string().optional(),
      status: z.string().optional(),
      started_at: z.string().optional(),
    }),
  ),
  next_page_token: z.string().optional(),
});

const TestResultSchema = z.strictObject({
  event_id: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  attempt: z.looseObject({ started_at: z.string(), duration_ms: z.number(), verdict: z.string() }).nullable(),
});

type EndpointView = z.output<typeof EndpointViewSchema>;

/** `/v1/endpoints`: create, read, change, delete, pause/resume/disable/enable, list deliveries, send a test. */
export function registerEndpointRoutes(app: Api, deps: EndpointRoutesDeps): void {
  const { admin, history, testSend, redelivery, health } = deps;
  registerTransformPreviewRoute(app, { admin, transformer: deps.transformer });
  const view = (state: Parameters<typeof endpointView>[0]): EndpointView => endpointView(state) as EndpointView;
  // A generated signing secret is shown in the answer that made it, and never again: GET shows its id only.
  const withSigningSecret = (state: Parameters<typeof endpointView>[0], secretIsNew: boolean) => {
    const { signing, id } = state.endpoint;
    const secret =
      secretIsNew && deps.secretKey && signing?.secret_id !== undefined
        ? deriveSecret(deps.secretKey, 'signing', [id, signing.secret_id])
        : undefined;
    return { ...view(state), ...(secret ? { signing_secret: secret } : {}) };
  };
  // The gateway picks each generated secret's id, at random: a secret is never made twice, whatever clients send, and
  // an endpoint deleted and made again, or a gateway sharing the key, never gets one back.
  const withSecretId = (endpoint: Endpoint, secretId: string | undefined): Endpoint =>
    endpoint.signing && signsWithGeneratedSecret(endpoint)
      ? { ...endpoint, signing: { ...endpoint.signing, secret_id: secretId ?? randomBytes(8).toString('hex') } }
      : endpoint;
  const clientSetSecretId = (body: Readonly<Record<string, unknown>>): boolean =>
    typeof body['signing'] === 'object' && body['signing'] !== null && 'secret_id' in body['signing'];
  const secretIdRefused = (reply: FastifyReply): FastifyReply =>
    sendProblem(reply, validationFailed([{ path: '/signing/secret_id', message: 'the gateway picks the id of a generated secret' }]));
  const reservedProblem = (endpoint: Endpoint) => {
    const errors = variablesOf(endpoint)
      .filter(({ name }) => !name.startsWith(API_ENDPOINT_SECRET_PREFIX))
      .map(({ path, name }) => ({
        path,
        message: `an endpoint made through the API may only name a variable starting with ${API_ENDPOINT_SECRET_PREFIX}, not ${name}`,
      }));
    return errors.length > 0 ? validationFailed(errors, 'The endpoint names a variable it may not read') : undefined;
  };
  const noSecretKey = (reply: FastifyReply): FastifyReply =>
    sendProblem(reply, {
      status: 409,
      type: 'secret-key-missing',
      title: 'Conflict',
      detail: `This API cannot generate a signing secret: set ${deps.secretKeyEnv} on every process, or name a secret_env.`,
    });
  const idOf = (params: { id: string }): string | undefined => {
    const parsed = EndpointIdSchema.safeParse(params.id);
    return parsed.success ? parsed.data : undefined;
  };
  const noSuchId = (reply: FastifyReply): FastifyReply => sendProblem(reply, notFound('No endpoint has that id.'));
  const common = { tags: ['endpoints'], security: [{ apiKey: [] }] };

  app.post(
    '/v1/endpoints',
    {
      schema: {
        ...common,
        summary: 'Create an endpoint',
        body: EndpointSchema,
        response: { 201: EndpointWithSecretSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      if (clientSetSecretId(request.body)) return secretIdRefused(reply);
      const reserved = reservedProblem(request.body);
      if (reserved) return sendProblem(reply, reserved);
      if (signsWithGeneratedSecret(request.body) && !deps.secretKey) return noSecretKey(reply);
      return reply.code(201).send(withSigningSecret(await admin.create(withSecretId(request.body, undefined)), true));
    },
  );

  app.get(
    '/v1/endpoints',
    {
      schema: {
        ...common,
        summary: 'List the endpoints',
        response: { 200: z.strictObject({ data: z.array(EndpointViewSchema) }), ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async () => ({ data: (await admin.list()).map(view) }),
  );

  app.get(
    '/v1/endpoints/health',
    {
      schema: {
        ...common,
        summary: 'Endpoint health',
        description:
          'Every endpoint at a glance: status, success rate and attempts over the last 5 minutes, hour and day, last success and failure, failing since, and deliveries retrying and held now. Counters are best effort: failures arrive within seconds, successes within about a minute.',
        response: { 200: z.strictObject({ generated_at: z.string(), data: z.array(EndpointHealthSchema) }), ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async () => ({ generated_at: new Date().toISOString(), data: (await health.read()).map(healthView) }),
  );

  app.get(
    '/v1/endpoints/:id',
    {
      schema: {
        ...common,
        summary: 'Read an endpoint',
        params: IdParamsSchema,
        response: { 200: EndpointViewSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async (request, reply) => {
      const id = idOf(request.params);
      return id ? view(await admin.get(id)) : noSuchId(reply);
    },
  );

  app.patch(
    '/v1/endpoints/:id',
    {
      schema: {
        ...common,
        summary: 'Change an endpoint',
        description:
          'The fields given replace the current ones, and null removes one (JSON Merge Patch, at the top level); the result must be a valid endpoint.',
        params: IdParamsSchema,
        body: EndpointPatchSchema,
        response: { 200: EndpointWithSecretSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const id = idOf(request.params);
      if (!id) return noSuchId(reply);
      const current = await admin.get(id);
      const merged = EndpointSchema.safeParse(mergePatch(toEndpointInput(current.endpoint), request.body, REMOVABLE_FIELDS));
      if (!merged.success) {
        return sendProblem(reply, validationFailed(toProblemDetails(merged.error), 'The changed endpoint is not valid'));
      }
      if (clientSetSecretId(request.body)) return secretIdRefused(reply);
      const reserved = reservedProblem(merged.data);
      if (reserved) return sendProblem(reply, reserved);
      // A secret is new when the endpoint starts signing with a generated one; changing anything else keeps the
      // secret it had, and shows nothing.
      const kept = signsWithGeneratedSecret(current.endpoint) ? current.endpoint.signing?.secret_id : undefined;
      const secretIsNew = signsWithGeneratedSecret(merged.data) && kept === undefined;
      if (secretIsNew && !deps.secretKey) return noSecretKey(reply);
      return withSigningSecret(await admin.replace(withSecretId(merged.data, kept)), secretIsNew);
    },
  );

  app.post(
    '/v1/endpoints/:id/rotate-signing-secret',
    {
      schema: {
        ...common,
        summary: 'Give an endpoint a new generated signing secret',
        description:
          'For an endpoint that signs with a secret the gateway generated: the next one signs from now on, and is shown in this answer only. Deliveries already routed keep the secret they were routed with.',
        params: IdParamsSchema,
        response: { 200: EndpointWithSecretSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const id = idOf(request.params);
      if (!id) return noSuchId(reply);
      const { endpoint } = await admin.get(id);
      if (!endpoint.signing || !signsWithGeneratedSecret(endpoint)) {
        return sendProblem(reply, {
          status: 409,
          type: 'conflict',
          title: 'Conflict',
          detail: `Endpoint ${id} does not sign with a generated secret: rotate the secret its variables hold.`,
        });
      }
      if (!deps.secretKey) return noSecretKey(reply);
      return withSigningSecret(await admin.replace(withSecretId(endpoint, undefined)), true);
    },
  );

  app.delete(
    '/v1/endpoints/:id',
    {
      schema: {
        ...common,
        summary: 'Delete an endpoint',
        params: IdParamsSchema,
        response: { 200: EndpointViewSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const id = idOf(request.params);
      return id ? view(await admin.remove(id)) : noSuchId(reply);
    },
  );

  for (const action of ENDPOINT_ACTIONS) {
    app.post(
      `/v1/endpoints/:id/${action}`,
      {
        schema: {
          ...common,
          summary: endpointActionTitle(action),
          description: ENDPOINT_ACTION_EFFECTS[action],
          params: IdParamsSchema,
          body: ActionBodySchema,
          response: { 200: EndpointViewSchema, ...PROBLEM_RESPONSES },
        },
        config: { access: 'manage' },
      },
      async (request, reply) => {
        const id = idOf(request.params);
        return id ? view(await admin.act(id, action, request.body?.reason)) : noSuchId(reply);
      },
    );
  }

  app.get(
    '/v1/endpoints/:id/deliveries',
    {
      schema: {
        ...common,
        summary: 'The events routed to an endpoint, newest first',
        params: IdParamsSchema,
        querystring: DeliveriesQuerySchema,
        response: { 200: DeliveriesPageSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'read' },
    },
    async (request, reply) => {
      const id = idOf(request.params);
      if (!id) return noSuchId(reply);
      const { status, since, page_size: pageSize, page_token: pageToken } = request.query;
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
    },
  );

  app.post(
    '/v1/endpoints/:id/recover',
    {
      schema: {
        ...common,
        summary: 'Redeliver every failed delivery since a time',
        params: IdParamsSchema,
        querystring: RecoverQuerySchema,
        response: {
          202: z.strictObject({
            recovered: z.array(z.strictObject({ event_id: z.string(), workflow_id: z.string() })),
            unread: z.array(z.string()).meta({
              description:
                'failed events Temporal could not read back just now: redeliver each later (POST /v1/events/{id}/redeliver with this endpoint_id)',
            }),
          }),
          ...PROBLEM_RESPONSES,
        },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
      const id = idOf(request.params);
      if (!id) return noSuchId(reply);
      const { recovered, unread } = await redelivery.recover(id, new Date(request.query.since));
      return reply.code(202).send({
        recovered: recovered.map((result) => ({ event_id: result.eventId, workflow_id: result.workflowId })),
        unread,
      });
    },
  );

  app.post(
    '/v1/endpoints/:id/test',
    {
      schema: {
        ...common,
        summary: 'Send a test event to an endpoint and wait for the outcome',
        params: IdParamsSchema,
        response: { 200: TestResultSchema, ...PROBLEM_RESPONSES },
      },
      config: { access: 'manage' },
    },
    async (request, reply) => {
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
    },
  );
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
