import type { Tracer } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { transformLimitsFrom, type Config } from '../config/schema.js';
import { createTransformer } from '../transform/index.js';
import { createGateway, type EndpointRegistry, type Gateway } from '../gateway/index.js';
import { metricsFromConfig, type GatewayMetrics } from '../metrics/index.js';
import packageJson from '../package.json' with { type: 'json' };
import { buildApp } from './app.js';
import { createKeyring } from './auth.js';
import { createProcessInvocationLog } from './invocation-log.js';
import { createProcessWindows, createRateLimits } from './rate-limits.js';
import { openSharedState } from './shared-state/open-shared-state.js';
import { redisPasswordFrom } from './shared-state/redis-connection.js';
import { createSourceDirectory } from './sources.js';
import { followSources } from '../gateway/index.js';

const READY_TIMEOUT_MS = 2_000;

export interface AppFromConfigOptions {
  readonly logger?: FastifyBaseLogger;
  readonly startTimeoutMs?: number;
  /** Where endpoints come from; by default the endpoint entities of the config's task queue, polled. */
  readonly registry?: EndpointRegistry;
  /**
   * The gateway to serve, when the process built one already (a gateway node shares it with its worker); it is then
   * its builder's to close. By default the API builds its own on `client`.
   */
  readonly gateway?: Gateway;
  /** Where API keys and source secrets are read, once, at build; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The process's metrics, served at `/metrics` (a gateway node shares them with its worker). By default the API
   * makes its own when `metrics.enabled`; it then observes its own gateway too.
   */
  readonly metrics?: GatewayMetrics;
  /** The process's tracer, when tracing is on (`tracingFromEnv`); its client carries the tracing plugin, for its spans. */
  readonly tracer?: Tracer;
}

/**
 * The API as the config describes it, over the gateway's services on `client`. A key or source secret missing from
 * the environment fails here, with a ConfigError, before anything listens.
 */
export function buildAppFromConfig(config: Config, client: Client, options: AppFromConfigOptions = {}): FastifyInstance {
  // Secrets first: a missing one must stop the API before it starts reading Temporal.
  const env = options.env ?? process.env;
  const keyring = createKeyring(config.api.keys, env);
  const secretKey = env[config.secret_key_env];
  const directory = createSourceDirectory(config.sources, env, {
    secretKey,
    taskQueue: options.gateway?.taskQueue ?? config.temporal.task_queue,
  });
  const redisPassword = redisPasswordFrom(config.api.redis_password_env, env);
  const metrics = options.metrics ?? (config.metrics.enabled ? metricsFromConfig(config) : undefined);
  const gateway =
    options.gateway ??
    createGateway(config, client, {
      ...(metrics ? { metrics } : {}),
      secretKey,
      ...(options.registry ? { endpoints: options.registry } : {}),
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      onEndpointsError: (error, retryInMs) =>
        options.logger?.warn({ err: error, retryInMs }, 'could not read the endpoint entities; routing by what was last read'),
    });
  // This process's windows and log: all there is without api.redis_url, and the fallback while Redis is away.
  const local = {
    windows: createProcessWindows(),
    log: createProcessInvocationLog(config.api.invocation_log_size),
  };
  const shared = config.api.redis_url
    ? openSharedState({
        redis: {
          url: config.api.redis_url,
          keyPrefix: config.api.redis_key_prefix,
          ...(redisPassword === undefined ? {} : { password: redisPassword }),
        },
        logSize: config.api.invocation_log_size,
        local,
        ...(options.logger ? { log: options.logger } : {}),
      })
    : undefined;
  const limits = createRateLimits(config.api.rate_limits, (shared ?? local).windows);
  // For previews only: started on the first one.
  const transformer = createTransformer(transformLimitsFrom(config));
  // The API has the health view: the gauges of deliveries retrying and held per endpoint come from it.
  if (metrics) watchWaiting(metrics, gateway);
  const app = buildApp({
    ...(options.logger ? { logger: options.logger } : {}),
    version: packageJson.version,
    ...(metrics ? { metrics } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
    bodyLimitBytes: config.api.body_limit_bytes,
    trustProxy: config.api.trust_proxy,
    keyring,
    limits,
    events: { ingest: gateway.ingest, batchMax: config.api.batch_max, limits, reports: gateway.reports, redelivery: gateway.redelivery },
    endpoints: {
      admin: gateway.admin,
      history: gateway.history,
      testSend: gateway.testSend,
      redelivery: gateway.redelivery,
      health: gateway.health,
      secretKey,
      secretKeyEnv: config.secret_key_env,
      transformer,
    },
    sources: { directory, log: (shared ?? local).log, ingest: gateway.ingest, defaultRateLimit: config.api.rate_limits.per_source },
    sourceAdmin: {
      directory,
      store: gateway.sources,
      log: (shared ?? local).log,
      defaultRateLimit: config.api.rate_limits.per_source,
      knowsEventType: (type) => gateway.catalogue.entries.length === 0 || gateway.catalogue.entries.some((entry) => entry.type === type),
      secretKeyEnv: config.secret_key_env,
      ingest: gateway.ingest,
    },
    codec: {
      // The client's own codecs: the Web UI then reads exactly what this API writes, with the keys it was given.
      codecs: client.options.loadedDataConverter.payloadCodecs,
      corsOrigins: config.api.codec.cors_origins,
      access: (config.api.codec.require_key ?? config.api.keys.length > 0) ? 'read' : 'public',
    },
    console: { workflowUrl: workflowLinks(config) },
    checkReady: async () => {
      await client.connection.withDeadline(Date.now() + READY_TIMEOUT_MS, async () => {
        await client.connection.workflowService.getSystemInfo({});
        await gateway.endpoints.ready;
      });
    },
  });
  if (shared) {
    // Connects when the API starts, and holds the start until Redis answers (a second at most), so that the first
    // requests are counted in Redis rather than in this process.
    app.addHook('onReady', () => shared.ready());
    app.addHook('onClose', () => shared.close());
  }
  // The config file's sources are served from the start; the book (and every source made at runtime) once read.
  const sources = followSources({
    store: gateway.sources,
    client,
    configSources: config.sources,
    onBook: (book) => directory.replace(book),
    onError: (error, retryInMs) =>
      options.logger?.warn({ err: error, retryInMs }, 'could not read the inbound sources from Temporal; serving what was last read'),
  });
  // Settles once the API's background requests are over, so that whoever closes the API may close its connection
  // next; each part is closed whatever another's close does.
  app.addHook('onClose', async () => {
    const closing = [sources.close(), options.gateway ? Promise.resolve() : gateway.close(), transformer.close()];
    for (const outcome of await Promise.allSettled(closing)) {
      if (outcome.status === 'rejected') options.logger?.warn({ err: outcome.reason }, 'could not close part of the API');
    }
  });
  return app;
}

/** Where the Temporal Web UI shows a workflow: `api.temporal_ui_url`, or the embedded server's UI. */
function workflowLinks(config: Config): ((workflowId: string) => string) | undefined {
  const base =
    config.api.temporal_ui_url ?? (config.temporal.address === undefined ? `http://127.0.0.1:${config.embedded.ui_port}` : undefined);
  if (!base) return undefined;
  const namespace = encodeURIComponent(config.temporal.namespace);
  return (workflowId) => `${base.replace(/\/+$/, '')}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Feeds the metrics the health view's counts of deliveries retrying and held per endpoint. */
function watchWaiting(metrics: GatewayMetrics, gateway: Pick<Gateway, 'health'>): void {
  metrics.watchWaitingDeliveries(async () =>
    (await gateway.health.read()).map(({ endpointId, retrying, held }) => ({ endpointId, retrying, held })),
  );
}
