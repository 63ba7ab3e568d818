// The package's public API for Node code. Workflow code imports `temporal-webhooks/workflow` instead (`sendEvent`),
// which is safe in the workflow sandbox; this module is not.

// Adds webhook delivery to your own Temporal worker and client.
export { WebhooksPlugin, type WebhooksPluginOptions } from './worker/plugin.js';
// A worker that runs only the gateway (what `npm start` and `npm run worker` run).
export { createWebhookWorker, WORKER_TUNING, WORKFLOWS_PATH, type WebhookWorker, type WebhookWorkerOptions } from './worker/worker.js';
// Configuration: one zod schema, read from a file or given as an object.
export { defineConfig, loadConfig, parseConfig } from './config/load.js';
export { ConfigSchema, type Config, type ConfigInput } from './config/schema.js';
// The codecs every client and worker of a gateway must share (compression, and encryption when keys are set).
export { dataConverterFrom, encryptionKeysFrom, webhookDataConverter } from './temporal/data-converter.js';
export { createEncryptionCodec, parseEncryptionKey, type EncryptionKey } from './temporal/encryption-codec.js';
// Prometheus metrics for a worker of your own (the plugin's `metrics` option), served on a port of its own.
export {
  createGatewayMetrics,
  metricsFromConfig,
  serveMetrics,
  temporalSdkMetrics,
  METRIC_NAMES,
  type GatewayMetrics,
  type MetricsServer,
  type MetricsSettings,
  type TemporalSdkMetrics,
} from './metrics/index.js';
// The HTTP API, for embedding it in a process of your own.
export { buildAppFromConfig, closeGracefully, type AppFromConfigOptions } from './server/index.js';
// Workflow types and messages, for starting, signalling and querying from a client with type checks.
export {
  deliverEvent,
  deliveriesQuery,
  disableSignal,
  enableSignal,
  pauseSignal,
  resumeSignal,
  stateQuery,
  webhookEndpoint,
  type DeliverEventInput,
} from './workflows/index.js';
export {
  SEARCH_ATTRIBUTE_KEYS,
  deliveryStatusKey,
  endpointIdsKey,
  eventTypeKey,
  endpointStatusKey,
} from './workflows/search-attributes.js';
export type { DeliveryReport, DeliveryStatus, DeliveryTarget, EndpointDelivery, AttemptRecord } from './domain/delivery.js';
export type { EndpointState, EndpointStatus } from './domain/endpoint-state.js';
export type { WebhookEvent } from './domain/event.js';
export { eventWorkflowId } from './domain/workflow-ids.js';
export { endpointWorkflowId } from './domain/workflow-ids.js';
export { ConfigError, DevServerError, EndpointOperationError, TemporalCliError, type ConfigProblem } from './errors.js';
