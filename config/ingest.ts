import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { z } from 'zod';
import { DurationSchema } from '../domain/duration-schema.js';
import { formatDurationMs } from '../domain/duration.js';
import type { SourceDefinition } from '../domain/source-book.js';
import { EventTypeSchema } from '../domain/pattern.js';

// Settings of the front door: who may call the API, how often, which event types it knows, and the inbound sources.

/** What an API key may do. `manage` includes `read`. */
export const API_SCOPES = ['ingest', 'read', 'manage'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable');
const IdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must start with a letter or digit and use only letters, digits, _ and -');

export const ApiKeySchema = z
  .strictObject({
    id: IdSchema.meta({ description: 'name of the key, shown in logs and used to scope idempotency keys' }),
    key_env: EnvNameSchema.optional().meta({ description: 'environment variable holding the key; the API keeps only its hash' }),
    key_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be the lowercase hex SHA-256 of the key')
      .optional()
      .meta({ description: 'the hex SHA-256 of the key, so that the key itself is stored nowhere on the server' }),
    scopes: z
      .array(z.enum(API_SCOPES))
      .min(1)
      .default(['ingest'])
      .meta({ description: 'ingest (send events), read (GET anything), manage (change endpoints, redeliver; includes read)' }),
  })
  .refine((key) => (key.key_env === undefined) !== (key.key_sha256 === undefined), {
    message: 'give exactly one of key_env and key_sha256',
  });
export type ApiKeyConfig = z.infer<typeof ApiKeySchema>;

export const RateLimitSchema = z.strictObject({
  limit: z.int().min(1).max(10_000_000).meta({ description: 'requests allowed per window' }),
  window: DurationSchema.refine((ms) => ms >= 1_000, 'a window is at least 1s').meta({ description: 'length of the window, e.g. 1m' }),
});
export type RateLimitConfig = z.infer<typeof RateLimitSchema>;

export const RateLimitsSchema = z.strictObject({
  global: RateLimitSchema.nullable()
    .prefault({ limit: 1_000, window: '1m' })
    .meta({ description: 'requests per window to /v1 across all callers who proved who they are; null for none' }),
  per_key: RateLimitSchema.nullable()
    .prefault({ limit: 600, window: '1m' })
    .meta({ description: 'requests per window per API key, or per client address without keys; a batch counts its events; null for none' }),
  per_source: RateLimitSchema.nullable()
    .prefault({ limit: 100, window: '1m' })
    .meta({ description: 'proven calls per window to each inbound source without a limit of its own; null for none' }),
  auth_failures: RateLimitSchema.nullable()
    .prefault({ limit: 30, window: '1m' })
    .meta({ description: 'failed key or source-secret checks per window per client address, then 429; null for none' }),
});

/** How an inbound source's calls prove where they come from. */
export const SOURCE_AUTH_MODES = ['secret', 'hmac-sha256', 'standard-webhooks'] as const;

/** The header a `secret` or `hmac-sha256` source reads unless told another. */
export const DEFAULT_SOURCE_HEADERS = { secret: 'x-webhook-secret', 'hmac-sha256': 'x-hub-signature-256' } as const;
/** How old a Standard Webhooks timestamp may be unless told otherwise. */
export const DEFAULT_SOURCE_TOLERANCE_MS = 5 * 60_000;

/** The header a source's secret or signature comes in. */
export function sourceAuthHeader(auth: {
  readonly mode: (typeof SOURCE_AUTH_MODES)[number];
  readonly header?: string | undefined;
}): string {
  return auth.header ?? (auth.mode === 'standard-webhooks' ? 'webhook-signature' : DEFAULT_SOURCE_HEADERS[auth.mode]);
}

/**
 * A source's auth. In the config file the secret is always an environment variable's; a source made through the API
 * may leave `secret_env` out, and the gateway generates its secret.
 */
function sourceAuthSchema<Secret extends z.ZodType>(secretEnv: Secret) {
  return z.discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('secret'),
      secret_env: secretEnv,
      header: z.string().min(1).default(DEFAULT_SOURCE_HEADERS.secret),
    }),
    z.strictObject({
      mode: z.literal('hmac-sha256'),
      secret_env: secretEnv,
      header: z.string().min(1).default(DEFAULT_SOURCE_HEADERS['hmac-sha256']),
    }),
    z.strictObject({
      mode: z.literal('standard-webhooks'),
      secret_env: secretEnv,
      tolerance: DurationSchema.refine((ms) => ms >= 1_000, 'a tolerance is at least 1s').prefault('5m'),
    }),
  ]);
}

const SourceAuthSchema = sourceAuthSchema(EnvNameSchema);
export type SourceAuthConfig = z.infer<typeof SourceAuthSchema>;

function sourceSchema<Auth extends z.ZodType>(auth: Auth) {
  return z.strictObject({
    id: IdSchema.meta({ description: 'the source is called at /v1/sources/<id>' }),
    name: z.string().max(200).optional(),
    event_type: EventTypeSchema.meta({ description: 'type of the events the source’s calls become' }),
    enabled: z.boolean().default(true).meta({ description: 'a disabled source keeps its URL but answers 403' }),
    auth: auth.meta({
      description: 'secret (a shared secret in a header), hmac-sha256 (sha256=<hex> of the body) or standard-webhooks',
    }),
    id_header: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'request header whose value becomes the event id, so a sender’s retry is not delivered twice' }),
    rate_limit: RateLimitSchema.optional().meta({ description: 'this source’s own limit instead of api.rate_limits.per_source' }),
  });
}

/** What a source made through the API may name as its secret's variable. */
export const RUNTIME_SOURCE_SECRET_PREFIX = 'WEBHOOKS_SOURCE_';
// Only variables meant for it: a manage key must not tie a public URL to one of the process's other secrets (the
// Temporal API key, another API key, the secret key), which would make that URL an oracle for the value.
const RuntimeSecretEnvSchema = EnvNameSchema.refine(
  (name) => name.startsWith(RUNTIME_SOURCE_SECRET_PREFIX),
  `a source made through the API may only name a variable starting with ${RUNTIME_SOURCE_SECRET_PREFIX}`,
);

export const SourceSchema = sourceSchema(SourceAuthSchema);
/** A source sent to the API: the same, except that leaving `auth.secret_env` out asks the gateway for a secret. */
export const RuntimeSourceSchema = sourceSchema(sourceAuthSchema(RuntimeSecretEnvSchema.optional()));
export type RuntimeSourceInput = z.input<typeof RuntimeSourceSchema>;
export type SourceConfig = z.infer<typeof SourceSchema>;

/** A JSON Schema 2020-12 compiler with the standard formats; the same one checks schemas at load and data per event. */
export function createSchemaCompiler(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats is CommonJS with a default export; under NodeNext the plugin is its `default`.
  formats.default(ajv);
  return ajv;
}

export const EventTypeEntrySchema = z.strictObject({
  type: EventTypeSchema,
  description: z.string().max(1_000).optional(),
  schema: z
    .record(z.string(), z.unknown())
    .optional()
    .superRefine((schema, ctx) => {
      if (schema === undefined) return;
      try {
        // A compiler of its own each time: Ajv remembers schemas by $id and would refuse the same one twice.
        createSchemaCompiler().compile(schema);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not a usable JSON Schema: ${(error as Error).message}` });
      }
    })
    .meta({ description: 'JSON Schema (2020-12) the event’s data must match' }),
});
export type EventTypeEntry = z.infer<typeof EventTypeEntrySchema>;

/** Adds an issue for every value of `field` used twice in a list, so that mistakes are caught at load, not per request. */
export function uniqueField<K extends string>(field: K) {
  return (items: readonly Record<K, string>[], ctx: z.RefinementCtx): void => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const value = item[field];
      if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [index, field], message: `duplicate ${field} "${value}"` });
      seen.add(value);
    });
  };
}

/** A source's definition in the form it is written (durations as text), so that parsing it again gives it back. */
export function toSourceInput(definition: SourceDefinition): RuntimeSourceInput {
  const { auth, rate_limit: rateLimit, ...rest } = definition;
  const { tolerance, ...authRest } = auth;
  return {
    ...rest,
    auth: { ...authRest, ...(tolerance === undefined ? {} : { tolerance: formatDurationMs(tolerance) }) },
    ...(rateLimit === undefined ? {} : { rate_limit: { limit: rateLimit.limit, window: formatDurationMs(rateLimit.window) } }),
  };
}
