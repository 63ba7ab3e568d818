import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eventWorkflowId } from '../domain/workflow-ids.js';
import { deliveriesQuery, type deliverEvent } from '../workflows/index.js';
import { createDeliveryHistory } from '../gateway/delivery-history.js';
import { createEndpointAdmin } from '../gateway/endpoint-admin.js';
import { createRedelivery } from '../gateway/redelivery.js';
import { createTestSend } from '../gateway/test-send.js';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { deliveryDefaultsFrom, endpointSettingsFrom, type Config } from '../config/schema.js';
import { buildApp } from './app.js';
import { createTemporalPublisher } from '../gateway/delivery-starter.js';
import { createTemporalRegistry, type EndpointRegistry } from '../gateway/endpoint-registry.js';
import { createKeyring } from './auth.js';
import { createCatalogue } from '../gateway/catalogue.js';
import { createIngest } from '../gateway/ingest.js';
import { createRateLimits } from './rate-limits.js';
import { createSourceDirectory } from './sources.js';
import packageJson from '../package.json' with { type: 'json' };

const READY_TIMEOUT_MS = 2_000;
// A query waits for a worker; without one, the caller should hear so in seconds, not after the SDK's 30.
const QUERY_TIMEOUT_MS = 5_000;

export interface AppFromConfigOptions {
  readonly logger?: FastifyBaseLogger;
  readonly startTimeoutMs?: number;
  /** Where endpoints come from; by default the endpoint entities of the config's task queue, polled. */
  readonly registry?: EndpointRegistry;
  /** Where API keys and source secrets are read, once, at build; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The API as the config describes it, publishing through `client` and routing by the endpoint registry. A key or
 * source secret missing from the environment fails here, with a ConfigError, before anything listens.
 */
export function buildAppFromConfig(config: Config, client: Client, options: AppFromConfigOptions = {}): FastifyInstance {
  // Secrets first: a missing one must stop the API before it starts polling Temporal.
  const env = options.env ?? process.env;
  const keyring = createKeyring(config.api.keys, env);
  const directory = createSourceDirectory(config.sources, env, config.api.invocation_log_size);
  const registry =
    options.registry ??
    createTemporalRegistry({
      client,
      taskQueue: config.temporal.task_queue,
      configEndpoints: config.endpoints,
      onError: (error) => options.logger?.warn({ err: error }, 'could not read the endpoint entities; routing by what was last read'),
    });
  const publisher = createTemporalPublisher({
    client,
    taskQueue: config.temporal.task_queue,
    maxConcurrentDeliveries: config.delivery.max_concurrent_per_event,
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  });
  const deliveryDefaults = deliveryDefaultsFrom(config);

  const admin = createEndpointAdmin(client, config.temporal.task_queue, endpointSettingsFrom(config));
  const history = createDeliveryHistory(client);
  const redelivery = createRedelivery({ client, publisher, admin, registry, history, deliveryDefaults });
  const limits = createRateLimits(config.api.rate_limits);
  const ingest = createIngest({
    sourceIds: config.sources.map((source) => source.id),
    publisher,
    routes: () => registry.routes(),
    deliveryDefaults,
    catalogue: createCatalogue(config.event_types),
  });
  const app = buildApp({
    ...(options.logger ? { logger: options.logger } : {}),
    version: packageJson.version,
    bodyLimitBytes: config.api.body_limit_bytes,
    trustProxy: config.api.trust_proxy,
    keyring,
    limits,
    events: {
      ingest,
      batchMax: config.api.batch_max,
      limits,
      redelivery,
      readReport: async (eventId) => {
        const handle = client.workflow.getHandle<typeof deliverEvent>(eventWorkflowId(eventId));
        try {
          // A finished delivery's report is its result, which needs no worker; a running one answers a query.
          const { status } = await handle.describe();
          if (status.name === 'COMPLETED') return await handle.result();
          return await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(deliveriesQuery));
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) return undefined;
          throw error;
        }
      },
    },
    endpoints: { admin, history, testSend: createTestSend({ client, admin, publisher, deliveryDefaults }), redelivery },
    sources: { directory, ingest, defaultRateLimit: config.api.rate_limits.per_source },
    codec: {
      // The client's own codecs: the Web UI then reads exactly what this API writes, with the keys it was given.
      codecs: client.options.loadedDataConverter.payloadCodecs,
      corsOrigins: config.api.codec.cors_origins,
      access: (config.api.codec.require_key ?? config.api.keys.length > 0) ? 'read' : 'public',
    },
    checkReady: async () => {
      await client.connection.withDeadline(Date.now() + READY_TIMEOUT_MS, async () => {
        await client.connection.workflowService.getSystemInfo({});
        await registry.ready;
      });
    },
  });
  app.addHook('onClose', (_instance, done) => {
    registry.close();
    done();
  });
  return app;
}
