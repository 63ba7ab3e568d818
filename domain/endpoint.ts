import { z } from 'zod';
import { formatDurationMs } from './duration.js';
import { DurationSchema } from './duration-schema.js';
import { HTTP_URL } from './definition-check.js';
import { DATA_KEY_FORM, KEYED_PAYLOAD_FORMATS, PAYLOAD_FORMATS } from './payload.js';
import { filterProblems } from './filter.js';
import { EventPatternSchema } from './pattern.js';
import { MAX_TRANSFORM_LENGTH, transformProblem } from './transform.js';

/** An endpoint id: short, URL-safe, and stable, because workflow ids and search attributes carry it. */
const RESERVED_ENDPOINT_ID = 'health';

export const EndpointIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'endpoint id must be lowercase letters, digits, _ and -, starting with a letter or digit')
  // `GET /v1/endpoints/health` is the health view, so no endpoint may be called that.
  .refine((id) => id !== RESERVED_ENDPOINT_ID, `"${RESERVED_ENDPOINT_ID}" is reserved: GET /v1/endpoints/health is the health view`);

/** The name of an environment variable that holds a secret. Secrets are only ever referenced, never written down. */
export const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable');

/**
 * An http(s) URL the endpoint entity will store (its own check is `HTTP_URL`). Spaces are percent-encoded, as the
 * request would send them anyway, so a config that worked with one still does. Tabs and line breaks are dropped by URL
 * parsing; other whitespace it keeps (a form feed, a no-break space) is refused.
 */
function httpUrlSchema(field: string) {
  return (
    z
      .url({ protocol: /^https?$/, error: `${field} must be an absolute http:// or https:// URL` })
      .transform((url) => url.replaceAll(' ', '%20'))
      // Only of a URL: one that is none at all is told so once.
      .refine((url) => HTTP_URL.test(url), {
        message: `${field} must not contain whitespace other than spaces`,
        when: (payload) => payload.issues.length === 0,
      })
  );
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the gateway on every request; a configured header of the same name would make signatures or bodies lie.
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);

const HeaderNameSchema = z.string().regex(HEADER_NAME, 'not a valid HTTP header name');

/** A header value: literal text (stored in workflow history) or `{ env: NAME }`, read by the worker when it sends. */
const HeaderValueSchema = z.union([z.string().max(4096), z.strictObject({ env: EnvNameSchema })]);

// Checked over the whole map rather than per key, so that each bad name gets its own message and path.
const HeadersSchema = z.record(z.string(), HeaderValueSchema).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'not a valid HTTP header name' });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'this header is set by the gateway and cannot be configured' });
    }
  }
});

/** How the gateway authenticates to the receiver. */
export const AuthSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('bearer'),
    token_env: EnvNameSchema.meta({ description: 'environment variable holding the token' }),
  }),
  z.strictObject({
    type: z.literal('basic'),
    username: z.string().min(1).max(200),
    password_env: EnvNameSchema.meta({ description: 'environment variable holding the password' }),
  }),
  z.strictObject({
    type: z.literal('oauth2'),
    token_url: httpUrlSchema('token_url').meta({ description: 'the authorization server’s token endpoint' }),
    client_id: z.string().min(1).max(500),
    client_secret_env: EnvNameSchema.meta({ description: 'environment variable holding the client secret' }),
    scope: z.string().min(1).max(1_000).optional().meta({ description: 'space-separated scopes to ask for' }),
    audience: z.string().min(1).max(1_000).optional().meta({ description: 'the audience parameter some servers (Auth0) want' }),
    client_auth: z
      .enum(['basic', 'post'])
      .default('basic')
      .meta({ description: 'send the client credentials by HTTP Basic (client_secret_basic) or in the form (client_secret_post)' }),
  }),
]);

/** TLS settings of an endpoint's own: a client certificate for mutual TLS, a CA for a receiver on a private CA. */
export const TlsSchema = z
  .strictObject({
    client_cert_env: EnvNameSchema.optional().meta({ description: 'variable holding the client certificate (PEM), for mutual TLS' }),
    client_key_env: EnvNameSchema.optional().meta({ description: 'variable holding the client certificate’s private key (PEM)' }),
    ca_env: EnvNameSchema.optional().meta({
      description: 'variable holding the CA certificate(s) (PEM) to trust instead of the system’s, for a receiver on a private CA',
    }),
  })
  .refine((tls) => (tls.client_cert_env === undefined) === (tls.client_key_env === undefined), {
    message: 'client_cert_env and client_key_env go together',
  })
  .refine((tls) => Object.keys(tls).length > 0, { message: 'name a client certificate and key, a CA, or both' });

/** The most requests per window a rate limit may allow: each is a grant the endpoint's entity records. */
export const MAX_RATE_LIMIT_REQUESTS = 1_000;

/** At most `requests` deliveries to the endpoint start within any `per`, across every worker. */
export const RateLimitSchema = z.strictObject({
  requests: z.int().min(1).max(MAX_RATE_LIMIT_REQUESTS).meta({ description: 'requests allowed in each window' }),
  per: DurationSchema.refine((ms) => ms >= 100 && ms <= 86_400_000, 'between 100ms and 1d').meta({ description: 'the window, e.g. 1s' }),
});

/** The form of the id of a generated signing secret. */
export const GENERATED_SECRET_ID_FORM = /^[0-9a-f]{16}$/;

/** How deliveries are signed so that receivers can tell they are genuine. */
export const SigningSchema = z
  .strictObject({
    scheme: z
      .enum(['standard-webhooks', 'hmac-sha256'])
      .default('standard-webhooks')
      .meta({ description: 'standard-webhooks (webhook-signature: v1,…) or hmac-sha256 (sha256=<hex> in `header`)' }),
    secret_env: z
      .union([EnvNameSchema, z.array(EnvNameSchema).min(1).max(5)])
      .transform((names) => (typeof names === 'string' ? [names] : names))
      .optional()
      .meta({
        description:
          'variable(s) holding the secret; several sign with each, for rotation. Left out (endpoints made through the API only), the gateway generates the secret and shows it once',
      }),
    secret_id: z
      .string()
      .regex(GENERATED_SECRET_ID_FORM, '16 lowercase hex digits')
      .optional()
      .meta({ description: 'which generated secret signs: an id the gateway picks for each new one (never set by clients)' }),
    header: HeaderNameSchema.optional().meta({ description: 'hmac-sha256 only: the header (default X-Webhook-Signature)' }),
  })
  .refine((signing) => signing.scheme === 'hmac-sha256' || signing.header === undefined, {
    path: ['header'],
    message: 'header applies to the hmac-sha256 scheme only',
  })
  .refine((signing) => signing.secret_env === undefined || signing.secret_id === undefined, {
    path: ['secret_id'],
    message: 'secret_id applies to a generated secret only (no secret_env)',
  });

// The fields an envelope already has: a payload under one of these names would hide them.
const ENVELOPE_FIELDS = new Set(['type', 'event', 'timestamp']);

/**
 * The key the `standard` and `event` formats put the payload under: `data` unless a receiver expects another. The
 * pattern is a copy: zod resets its `lastIndex`, and workflows share payload.ts frozen.
 */
export const DataKeySchema = z
  .string()
  .regex(new RegExp(DATA_KEY_FORM), 'letters, digits, _ and -, starting with a letter or _ (up to 64)')
  .refine((key) => !ENVELOPE_FIELDS.has(key), 'type, event and timestamp are the envelope’s own fields');

/**
 * A payload filter (see `filter.ts`), checked whole so that each mistake is reported at its own path. A `__proto__`
 * key is refused before parsing, which would drop it silently and leave a filter that lets more through than written.
 */
export const PayloadFilterSchema = z.preprocess(
  (filter, ctx) => {
    if (hasProtoKey(filter)) ctx.addIssue({ code: 'custom', message: '__proto__ is not a field a filter may name', input: filter });
    return filter;
  },
  z.record(z.string(), z.unknown()).superRefine((filter, ctx) => {
    for (const problem of filterProblems(filter)) ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
  }),
);

function hasProtoKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  for (let seen = 0; stack.length > 0 && seen < 10_000; seen++) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    if (Object.hasOwn(current, '__proto__')) return true;
    stack.push(...(Object.values(current) as unknown[]));
  }
  return false;
}

/** A JSONata expression that makes the body from the event; compiled when it is defined, so a typo is refused then. */
export const TransformSchema = z
  .string()
  .min(1)
  .max(MAX_TRANSFORM_LENGTH)
  .superRefine((expression, ctx) => {
    const problem = transformProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a JSONata expression: ${problem}` });
  });

/** When and how often failed deliveries are tried again. */
export const RetryPolicySchema = z
  .strictObject({
    schedule: z.array(DurationSchema).max(50).optional().meta({ description: 'delays before each retry, e.g. [1m, 5m, 15m]' }),
    exponential: z
      .strictObject({
        initial_interval: DurationSchema.prefault('5s'),
        backoff_coefficient: z.number().min(1).max(10).default(2),
        maximum_interval: DurationSchema.prefault('1h'),
        maximum_attempts: z.int().min(1).max(100).default(10),
      })
      .optional()
      .meta({ description: 'exponential backoff instead of a schedule' }),
    jitter: z.number().min(0).max(0.5).default(0.1).meta({ description: 'each delay moves by up to this fraction either way' }),
    deadline: DurationSchema.optional().meta({ description: 'no retry starts later than this after the first attempt' }),
    retry_after_max: DurationSchema.prefault('1h').meta({ description: 'longest Retry-After from a receiver that is followed' }),
    retry_on_status: z
      .array(z.int().min(400).max(499))
      .default([])
      .meta({ description: '4xx statuses to retry as well (408, 425 and 429 always are)' }),
  })
  .refine((policy) => !(policy.schedule && policy.exponential), { message: 'give either schedule or exponential, not both' });

/** One receiver of webhooks and the events it subscribes to. */
export const EndpointSchema = z
  .strictObject({
    id: EndpointIdSchema.meta({ description: 'stable id, used in workflow ids and search attributes' }),
    name: z.string().min(1).max(200).optional().meta({ description: 'human-readable name (defaults to the id)' }),
    url: httpUrlSchema('url').meta({ description: 'where deliveries are POSTed' }),
    events: z.array(EventPatternSchema).min(1).default(['*']).meta({ description: 'subscription patterns: *, prefix.*, or exact types' }),
    filter: PayloadFilterSchema.optional().meta({
      description:
        'a JSON match on the event ({"data.total": {"$gt": 100}}); events of a subscribed type that fail it are not routed here, and their report says why',
    }),
    headers: HeadersSchema.default({}).meta({ description: 'extra HTTP headers: a value, or { env: NAME } for a secret' }),
    auth: AuthSchema.optional().meta({
      description:
        '{ type: bearer, token_env }, { type: basic, username, password_env } or { type: oauth2, token_url, client_id, client_secret_env, scope }',
    }),
    signing: SigningSchema.optional().meta({ description: 'signature scheme and secret; defaults to delivery.signing' }),
    ordering: z.enum(['fifo']).optional().meta({
      description: 'fifo: deliveries go one at a time, in the order their events were accepted; each waits for the one before to end',
    }),
    fifo_on_failure: z.enum(['skip', 'block']).optional().meta({
      description:
        'with ordering fifo, after a delivery fails for good: skip (the default) lets the next go; block pauses the endpoint until resumed',
    }),
    rate_limit: RateLimitSchema.optional().meta({
      description:
        '{ requests: 5, per: 1s }: at most this many deliveries start in any window, across all workers; the others wait their turn durably',
    }),
    tls: TlsSchema.optional().meta({
      description: '{ client_cert_env, client_key_env } for mutual TLS, and/or { ca_env } for a private CA',
    }),
    format: z.enum(PAYLOAD_FORMATS).optional().meta({ description: 'body shape; defaults to delivery.format' }),
    data_key: DataKeySchema.optional().meta({
      description: 'the key standard and event bodies put the payload under, e.g. incident; defaults to delivery.data_key',
    }),
    transform: TransformSchema.optional().meta({
      description:
        'a JSONata expression over the event ({id, type, timestamp, data}) whose value is the body sent, instead of format; run with delivery.transform limits',
    }),
    retry: RetryPolicySchema.optional().meta({ description: 'retry policy; defaults to delivery.retry' }),
    timeout: DurationSchema.refine((ms) => ms > 0, 'timeout must be longer than 0')
      .optional()
      .meta({ description: 'time limit of one attempt; defaults to delivery.timeout' }),
    enabled: z.boolean().default(true).meta({ description: 'false routes no events to the endpoint' }),
  })
  .refine(
    (endpoint) => endpoint.data_key === undefined || endpoint.format === undefined || KEYED_PAYLOAD_FORMATS.includes(endpoint.format),
    {
      path: ['data_key'],
      message: `data_key applies to the ${KEYED_PAYLOAD_FORMATS.join(' and ')} formats only`,
    },
  )
  .refine((endpoint) => endpoint.fifo_on_failure === undefined || endpoint.ordering === 'fifo', {
    path: ['fifo_on_failure'],
    message: 'fifo_on_failure applies to ordering: fifo only',
  })
  .refine((endpoint) => endpoint.tls === undefined || endpoint.url.startsWith('https:'), {
    path: ['tls'],
    message: 'tls applies to an https:// url',
  })
  .refine((endpoint) => endpoint.transform === undefined || (endpoint.format === undefined && endpoint.data_key === undefined), {
    path: ['transform'],
    message: 'a transform makes the whole body: leave out format and data_key',
  });
export type Endpoint = z.infer<typeof EndpointSchema>;
export type EndpointInput = z.input<typeof EndpointSchema>;
export type AuthConfig = z.infer<typeof AuthSchema>;
export type SigningConfig = z.infer<typeof SigningSchema>;
export type RetryPolicyConfig = z.infer<typeof RetryPolicySchema>;

/** An endpoint definition in the form it is written (durations as text), so that parsing it again gives it back. */
export function toEndpointInput(endpoint: Endpoint): EndpointInput {
  const { retry, timeout, rate_limit: rateLimit, ...rest } = endpoint;
  return {
    ...rest,
    ...(rateLimit === undefined ? {} : { rate_limit: { requests: rateLimit.requests, per: formatDurationMs(rateLimit.per) } }),
    ...(timeout === undefined ? {} : { timeout: formatDurationMs(timeout) }),
    ...(retry === undefined
      ? {}
      : {
          retry: {
            jitter: retry.jitter,
            retry_after_max: formatDurationMs(retry.retry_after_max),
            retry_on_status: retry.retry_on_status,
            ...(retry.schedule ? { schedule: retry.schedule.map(formatDurationMs) } : {}),
            ...(retry.deadline === undefined ? {} : { deadline: formatDurationMs(retry.deadline) }),
            ...(retry.exponential
              ? {
                  exponential: {
                    initial_interval: formatDurationMs(retry.exponential.initial_interval),
                    backoff_coefficient: retry.exponential.backoff_coefficient,
                    maximum_interval: formatDurationMs(retry.exponential.maximum_interval),
                    maximum_attempts: retry.exponential.maximum_attempts,
                  },
                }
              : {}),
          },
        }),
  };
}
