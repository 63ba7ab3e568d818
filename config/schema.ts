import { z } from 'zod';
import { DurationSchema } from '../domain/duration-schema.js';
import { formatDurationMs } from '../domain/duration.js';
import { ALLOWABLE_ADDRESS_KINDS } from '../domain/address.js';
import { DataKeySchema, EndpointSchema, RetryPolicySchema, SigningSchema } from '../domain/endpoint.js';
import {
  DEFAULT_ASK_AGAIN_AFTER_MS,
  DEFAULT_MAX_HELD_DELIVERIES,
  DEFAULT_MAX_LINE_LENGTH,
  MAX_HELD_AND_LINE,
  type EndpointSettings,
} from '../domain/endpoint-state.js';
import { DEFAULT_DATA_KEY, PAYLOAD_FORMATS } from '../domain/payload.js';
import { DEFAULT_SECRET_KEY_ENV, type DeliveryDefaults } from '../domain/target.js';
import { isLoopbackHost } from '../domain/address.js';
import { ApiKeySchema, EventTypeEntrySchema, RateLimitsSchema, SourceSchema, uniqueField } from './ingest.js';

export const EncryptionConfigSchema = z.strictObject({
  keys: z
    .array(
      z.strictObject({
        id: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (up to 64)')
          .meta({ description: 'stored beside each payload, so that the right key decrypts it' }),
        key_env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
          .meta({ description: 'variable holding the 32-byte key, as 64 hex digits or base64' }),
      }),
    )
    .default([])
    .superRefine(uniqueField('id'))
    .meta({
      description:
        'AES-256-GCM keys; the first encrypts, all decrypt (rotate by adding a new key first). None: payloads are stored as JSON',
    }),
});

// Temporal refuses payloads over 2 MiB and warns from 512 KiB; an event body must fit with room for the envelope.
const MAX_BODY_LIMIT_BYTES = 1_536 * 1024;

const PortSchema = z.int().min(0).max(65_535);

export const TemporalConfigSchema = z.strictObject({
  address: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'address must be host:port')
    .optional()
    .meta({ description: 'host:port of an existing Temporal server; unset, `npm start` runs the embedded dev server' }),
  namespace: z.string().min(1).default('default').meta({ description: 'Temporal namespace' }),
  task_queue: z.string().min(1).default('webhooks').meta({ description: 'task queue the worker polls and the API starts workflows on' }),
  tls: z.boolean().default(false).meta({ description: 'connect to Temporal over TLS (Temporal Cloud and most clusters)' }),
  api_key_env: z
    .string()
    .default('TEMPORAL_API_KEY')
    .meta({ description: 'environment variable holding a Temporal API key, used when set' }),
});

export const ApiConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').meta({ description: 'interface the HTTP API listens on' }),
  port: PortSchema.default(3000).meta({ description: 'port the HTTP API listens on' }),
  body_limit_bytes: z
    .int()
    .min(1024)
    .max(MAX_BODY_LIMIT_BYTES)
    .default(256 * 1024)
    .meta({ description: 'largest request body accepted; kept below Temporal’s payload limit' }),
  batch_max: z.int().min(1).max(1_000).default(100).meta({ description: 'most events one POST /v1/events/batch may carry' }),
  keys: z
    .array(ApiKeySchema)
    .default([])
    .superRefine(uniqueField('id'))
    .meta({ description: 'API keys (Authorization: Bearer); with none, the API asks for no key' }),
  trust_proxy: z
    .boolean()
    .default(false)
    .meta({ description: 'take the client address from X-Forwarded-For (only behind a proxy that sets it)' }),
  allow_anonymous: z
    .boolean()
    .default(false)
    .meta({ description: 'let an API without keys listen on a non-loopback interface (behind your own auth proxy)' }),
  rate_limits: RateLimitsSchema.prefault({}).meta({ description: 'global, per_key and per_source limits, each {limit, window} or null' }),
  invocation_log_size: z
    .int()
    .min(0)
    .max(10_000)
    .default(100)
    .meta({ description: 'recent calls kept per inbound source, for GET /v1/sources/{id}/invocations' }),
  redis_url: z
    .url({ protocol: /^rediss?$/, hostname: /./, error: 'must be a redis:// or rediss:// URL with a host' })
    .refine(
      (url) => !URL.canParse(url) || new URL(url).password === '',
      'holds a password: name its variable in api.redis_password_env instead',
    )
    .optional()
    .meta({
      description:
        'Redis shared by every API replica for rate limits and source invocation logs, e.g. redis://127.0.0.1:6379/0 (rediss:// for TLS); unset, each process counts and logs on its own',
    }),
  redis_password_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
    .optional()
    .meta({ description: 'environment variable holding the Redis password, when it needs one' }),
  redis_key_prefix: z
    .string()
    .min(1)
    .max(100)
    .default('webhooks:')
    .meta({ description: 'prefix of every key the API writes in Redis, so that gateways sharing one Redis keep apart' }),
  codec: z
    .strictObject({
      cors_origins: z
        .array(z.url())
        .default(['http://127.0.0.1:8233', 'http://localhost:8233'])
        .meta({ description: 'Web UI origins allowed to call /codec/encode and /codec/decode from the browser' }),
      require_key: z
        .boolean()
        .optional()
        .meta({ description: 'ask /codec callers for a key with the read scope; by default, when api.keys has any' }),
    })
    .prefault({})
    .meta({ description: 'the codec server the Temporal Web UI decrypts payloads through (with encryption.keys)' }),
  temporal_ui_url: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      description:
        'the Temporal Web UI the console links each event’s workflow to, e.g. https://temporal.example.com; the embedded server’s UI by default',
    }),
  shutdown_grace: DurationSchema.prefault('10s').meta({ description: 'how long a stopping API waits for requests in flight' }),
});

export const EmbeddedConfigSchema = z.strictObject({
  data_dir: z.string().min(1).default('.data').meta({ description: 'folder of the embedded server’s SQLite file' }),
  port: PortSchema.default(7233).meta({ description: 'gRPC port of the embedded Temporal server' }),
  ui_port: PortSchema.default(8233).meta({ description: 'port of the embedded Temporal Web UI' }),
  retention: DurationSchema.prefault('7d').meta({ description: 'how long finished deliveries stay visible in Temporal' }),
});

const MOST_HELD = 80_000;
const LONGEST_LINE = 60_000;

export const DeliveryConfigSchema = z.strictObject({
  timeout: DurationSchema.prefault('15s').meta({ description: 'time limit of one HTTP attempt' }),
  retry: RetryPolicySchema.prefault({}).meta({
    description:
      'default retry policy: schedule or exponential, jitter, deadline, retry_after_max, retry_on_status; without schedule or exponential, the Standard Webhooks schedule (5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h)',
  }),
  format: z
    .enum(PAYLOAD_FORMATS)
    .default('standard')
    .meta({ description: 'default body shape: standard, event, flat, data, slack, discord' }),
  data_key: DataKeySchema.default(DEFAULT_DATA_KEY).meta({
    description: 'the key standard and event bodies put the payload under (OpsKnight receivers expect incident)',
  }),
  signing: SigningSchema.optional().meta({ description: 'default signing of every endpoint without its own' }),
  allow_destinations: z
    .array(z.enum(ALLOWABLE_ADDRESS_KINDS))
    .default([])
    .meta({ description: 'non-public destinations deliveries may reach: loopback, private, link_local' }),
  resume_rate: z
    .int()
    .min(1)
    .max(10_000)
    .default(50)
    .meta({ description: 'held deliveries released per second when a paused endpoint is resumed' }),
  max_held: z
    .int()
    .min(1)
    // Ids of typical length reach Temporal's 2 MB payload limit near 100,000, deflated: room is left for longer ones.
    .max(MOST_HELD)
    .default(DEFAULT_MAX_HELD_DELIVERIES)
    .meta({
      description: 'deliveries a paused endpoint holds at most; those past it wait on timers of their own and ask again',
    }),
  max_line: z
    .int()
    .min(1)
    // 22 bytes each deflated in the entity's next input; with max_held, at most MAX_HELD_AND_LINE (checked below).
    .max(LONGEST_LINE)
    .default(DEFAULT_MAX_LINE_LENGTH)
    .meta({
      description: "deliveries waiting in an ordering: fifo endpoint's line at most; those past it are cancelled, to redeliver",
    }),
  ask_again_after: DurationSchema.prefault(formatDurationMs(DEFAULT_ASK_AGAIN_AFTER_MS))
    // Each ask is two signals and a timer: a wait of nothing would have every delivery past the bound ask nonstop.
    .refine((ms) => ms >= 1_000, 'must be at least 1s')
    .meta({
      description: 'how long a delivery past max_held first waits to ask again (each later wait doubles, to an hour)',
    }),
  auto_disable_after: DurationSchema.prefault('5d').meta({
    description: 'an endpoint failing this long with no success in between is disabled (and endpoint.disabled sent)',
  }),
  max_concurrent_per_event: z
    .int()
    .min(1)
    .max(1_000)
    .default(100)
    .meta({ description: 'HTTP attempts one event runs at once; endpoints waiting to retry hold no slot' }),
  transform: z
    .strictObject({
      timeout: DurationSchema.prefault('1s').meta({ description: 'how long one evaluation may run before it is stopped' }),
      max_body_bytes: z
        .int()
        .min(1024)
        .max(MAX_BODY_LIMIT_BYTES)
        .default(256 * 1024)
        .meta({ description: 'largest body a transform may make' }),
      memory_mb: z.int().min(16).max(4_096).default(64).meta({ description: 'heap each transform process may use' }),
      processes: z.int().min(1).max(16).default(2).meta({
        description: 'transform processes per worker and API process, started on first use; each runs one evaluation at a time',
      }),
    })
    .prefault({})
    .meta({ description: 'limits of endpoints’ JSONata transforms, which run in processes of their own' }),
  fast_path: z.boolean().default(true).meta({
    description:
      'first attempts run inside the workflow task (local activities), and a gateway node starts deliveries eagerly on its own worker; false: every attempt an ordinary activity',
  }),
  shutdown_grace: DurationSchema.optional().meta({
    description:
      'how long a stopping worker lets HTTP attempts in flight finish before it cuts them off (they are then sent again); defaults to delivery.timeout: raise it for endpoints with longer timeouts of their own',
  }),
});

export const MetricsConfigSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .meta({ description: 'serve Prometheus metrics: GET /metrics on the API, and on metrics.port in a worker process' }),
  host: z.string().min(1).default('127.0.0.1').meta({ description: 'interface a worker process serves /metrics on' }),
  port: PortSchema.default(9464).meta({ description: 'port a worker process serves /metrics on (the API serves it on its own port)' }),
  endpoint_label_limit: z.int().min(0).max(10_000).default(100).meta({
    description: 'endpoints that get series of their own (the first seen); the rest are counted under endpoint="other"',
  }),
  temporal_sdk: z.boolean().default(true).meta({
    description: 'add the Temporal SDK’s metrics (task latencies, slots, sticky cache) to each scrape of the processes the gateway starts',
  }),
});

/** The whole configuration: the single source of truth for its shape, defaults and documentation. */
export const ConfigSchema = z
  .strictObject({
    log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info').meta({ description: 'least severe log level printed' }),
    secret_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
      .default(DEFAULT_SECRET_KEY_ENV)
      .meta({
        description:
          'environment variable holding the key that secrets the gateway generates are derived from (inbound sources’ and API endpoints’ signing secrets), the same on every process; unset, such secrets must be named by secret_env',
      }),
    temporal: TemporalConfigSchema.prefault({}),
    api: ApiConfigSchema.prefault({}),
    embedded: EmbeddedConfigSchema.prefault({}),
    delivery: DeliveryConfigSchema.prefault({}),
    endpoints: z
      .array(EndpointSchema)
      .default([])
      .superRefine(uniqueField('id'))
      .meta({ description: 'the endpoints events are delivered to' }),
    event_types: z
      .array(EventTypeEntrySchema)
      .default([])
      .superRefine(uniqueField('type'))
      .meta({ description: 'catalogue of known event types ({type, description, schema}); with one, other types are refused' }),
    encryption: EncryptionConfigSchema.prefault({}).meta({ description: 'payload encryption in Temporal history' }),
    metrics: MetricsConfigSchema.prefault({}).meta({ description: 'Prometheus metrics of the API and the workers' }),
    sources: z
      .array(SourceSchema)
      .default([])
      .superRefine(uniqueField('id'))
      .meta({ description: 'inbound webhook sources, each called at /v1/sources/<id>' }),
  })
  .superRefine((config, ctx) => {
    // A source whose type the catalogue refuses would answer 422 to every call: say so at load instead.
    const catalogued = new Set(config.event_types.map((entry) => entry.type));
    config.sources.forEach((source, index) => {
      if (catalogued.size > 0 && !catalogued.has(source.event_type)) {
        ctx.addIssue({ code: 'custom', path: ['sources', index, 'event_type'], message: `"${source.event_type}" is not in event_types` });
      }
    });
    // Checked once each is within its own bound: past it, its own problem says enough.
    const { max_held: maxHeld, max_line: maxLine } = config.delivery;
    if (maxHeld <= MOST_HELD && maxLine <= LONGEST_LINE && maxHeld + maxLine > MAX_HELD_AND_LINE) {
      ctx.addIssue({
        code: 'custom',
        path: ['delivery', 'max_line'],
        message: `max_held and max_line come to ${MAX_HELD_AND_LINE} at most: both go into a paused endpoint's next run, which Temporal bounds at 2 MB`,
      });
    }
    // A generated signing secret is shown once, in the API's answer that made it: the config file has no such answer.
    const generated = 'a generated secret is for endpoints made through the API (shown once): name the secret with secret_env';
    if (config.delivery.signing && config.delivery.signing.secret_env === undefined) {
      ctx.addIssue({ code: 'custom', path: ['delivery', 'signing', 'secret_env'], message: generated });
    }
    config.endpoints.forEach((endpoint, index) => {
      if (endpoint.signing && endpoint.signing.secret_env === undefined) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', index, 'signing', 'secret_env'], message: generated });
      }
    });
    // Without keys anyone who can reach the API may send and manage; on loopback that is only this machine.
    if (config.api.keys.length === 0 && !config.api.allow_anonymous && !isLoopbackHost(config.api.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'keys'],
        message: `an API listening on ${config.api.host} needs keys (or api.allow_anonymous: true behind your own auth)`,
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** The settings every endpoint entity gets from the configuration. */
export function endpointSettingsFrom(config: Config): EndpointSettings {
  return {
    releasePerSecond: config.delivery.resume_rate,
    autoDisableAfterMs: config.delivery.auto_disable_after,
    maxHeldDeliveries: config.delivery.max_held,
    askAgainAfterMs: config.delivery.ask_again_after,
    maxLineLength: config.delivery.max_line,
  };
}

/** How long a stopping worker waits for attempts in flight: by default an attempt's time limit, unless an endpoint sets its own. */
export function deliveryShutdownGraceMs(config: Config): number {
  return config.delivery.shutdown_grace ?? config.delivery.timeout;
}

/** The limits transforms run within, from the configuration (the shape `createTransformer` takes). */
export function transformLimitsFrom(config: Config): { timeoutMs: number; maxBodyBytes: number; memoryMb: number; processes: number } {
  const { timeout, max_body_bytes, memory_mb, processes } = config.delivery.transform;
  return { timeoutMs: timeout, maxBodyBytes: max_body_bytes, memoryMb: memory_mb, processes };
}

/** The delivery settings endpoints fall back on, from the configuration. */
export function deliveryDefaultsFrom(config: Config): DeliveryDefaults {
  return {
    timeoutMs: config.delivery.timeout,
    retry: config.delivery.retry,
    format: config.delivery.format,
    dataKey: config.delivery.data_key,
    ...(config.delivery.signing ? { signing: config.delivery.signing } : {}),
    secretKeyEnv: config.secret_key_env,
    localFirstAttempts: config.delivery.fast_path,
  };
}
