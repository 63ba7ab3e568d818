import type { TelemetryOptions } from '@temporalio/worker';
import type { Config } from '../config/schema.js';
import { metricsFromConfig, type GatewayMetrics } from './gateway-metrics.js';
import { serveMetrics, type MetricsServer } from './metrics-server.js';
import { temporalSdkMetrics } from './temporal-sdk.js';

/** A process's metrics as its configuration asks, and what its Temporal runtime must be installed with. */
export interface ProcessMetrics {
  /** `undefined` when `metrics.enabled` is false. */
  readonly metrics?: GatewayMetrics;
  /** For `Runtime.install`, when the SDK's metrics are to be added to each scrape. */
  readonly telemetryOptions?: TelemetryOptions;
}

/** The metrics of a process the gateway starts (`npm start`'s nodes, `npm run worker`); call before `Runtime.install`. */
export async function processMetrics(config: Config): Promise<ProcessMetrics> {
  if (!config.metrics.enabled) return {};
  const metrics = metricsFromConfig(config);
  if (!config.metrics.temporal_sdk) return { metrics };
  const sdk = await temporalSdkMetrics();
  metrics.addSource(() => sdk.scrape());
  return { metrics, telemetryOptions: sdk.telemetryOptions };
}

/** Where a worker process says what became of its metrics server. */
interface WarnLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * Serves a worker process's metrics on `metrics.host:metrics.port`. A port already taken (a second worker on the
 * machine with the same config) leaves that worker without a metrics server and says so, rather than failing a
 * worker that would deliver fine: set `metrics.port` per process, or 0 for any free port (logged).
 */
export async function serveWorkerMetrics(
  metrics: GatewayMetrics,
  listen: Pick<Config['metrics'], 'host' | 'port'>,
  log: WarnLog,
): Promise<MetricsServer | undefined> {
  try {
    const server = await serveMetrics(metrics, listen);
    log.info({ url: server.url }, 'serving metrics');
    return server;
  } catch (error) {
    log.warn({ err: error, host: listen.host, port: listen.port }, 'could not serve metrics; this worker runs without a metrics server');
    return undefined;
  }
}
