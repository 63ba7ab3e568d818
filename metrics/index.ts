export {
  createGatewayMetrics,
  metricsFromConfig,
  METRIC_NAMES,
  type EventOutcome,
  type GatewayMetrics,
  type MetricsSettings,
  type WaitingDeliveries,
} from './gateway-metrics.js';
export { serveMetrics, type MetricsServer } from './metrics-server.js';
export { temporalSdkMetrics, type TemporalSdkMetrics } from './temporal-sdk.js';
export { processMetrics, serveWorkerMetrics, type ProcessMetrics } from './process-metrics.js';
