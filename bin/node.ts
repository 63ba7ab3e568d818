import { Runtime } from '@temporalio/worker';
import { configPathFrom, readConfigFile } from '../config/load.js';
import { createLogger, logConfigMapping, toTemporalLogger } from '../host/logger.js';
import { processMetrics } from '../metrics/process-metrics.js';
import { runMain } from '../host/run-main.js';
import { onShutdownSignals } from '../host/shutdown-signals.js';
import { startGatewayNode } from '../node/gateway-node.js';
import { tracingFromEnv } from '../tracing/index.js';

// A gateway node, what `npm start` runs: the API and a worker in one process, on one connection to Temporal.

runMain(async () => {
  const configPath = configPathFrom(process.argv, process.env);
  const loaded = await readConfigFile(configPath);
  const { config } = loaded;
  const log = createLogger('api', config.log_level);
  logConfigMapping(log, configPath, loaded);
  // The worker's records (search-attribute setup, reconciliation, the SDK's own) carry their own component. Signals
  // are this process's to handle: the API must stop taking events before the worker stops running them.
  const { metrics, telemetryOptions } = await processMetrics(config);
  Runtime.install({
    logger: toTemporalLogger(createLogger('worker', config.log_level)),
    shutdownSignals: [],
    ...(telemetryOptions ? { telemetryOptions } : {}),
  });
  const tracing = tracingFromEnv(process.env, 'node');
  const node = await startGatewayNode(config, { logger: log, ...(metrics ? { metrics } : {}), ...(tracing ? { tracing } : {}) });

  onShutdownSignals(log, async (signal) => {
    log.info({ signal, graceMs: config.api.shutdown_grace }, 'shutting down: finishing in-flight requests, then the worker');
    const { forced } = await node.close();
    if (forced) log.warn('requests still open when the grace period ended were cut off');
    await tracing?.shutdown();
  });
  log.info(
    { taskQueue: config.temporal.task_queue, namespace: config.temporal.namespace, endpoints: config.endpoints.length, config: configPath },
    `gateway node: API listening on ${node.url}, worker polling`,
  );
});
