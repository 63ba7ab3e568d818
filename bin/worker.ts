import { Runtime } from '@temporalio/worker';
import { configPathFrom, readConfigFile } from '../config/load.js';
import { connectWorker } from '../temporal/connection.js';
import { isRefusal, retryUntilDone, waitForNamespace } from '../temporal/startup-retry.js';
import { createLogger, logConfigMapping, startupRetryLogger, toTemporalLogger } from '../host/logger.js';
import { processMetrics, serveWorkerMetrics } from '../metrics/process-metrics.js';
import { runMain } from '../host/run-main.js';
import { tracingFromEnv } from '../tracing/index.js';
import { createWebhookWorker } from '../worker/worker.js';

runMain(async () => {
  const configPath = configPathFrom(process.argv, process.env);
  const loaded = await readConfigFile(configPath);
  const { config } = loaded;
  const log = createLogger('worker', config.log_level);
  logConfigMapping(log, configPath, loaded);
  // The plugin reports search-attribute setup and endpoint reconciliation through the runtime's logger.
  const { metrics, telemetryOptions } = await processMetrics(config);
  Runtime.install({ logger: toTemporalLogger(log), ...(telemetryOptions ? { telemetryOptions } : {}) });
  const metricsServer = metrics ? await serveWorkerMetrics(metrics, config.metrics, log) : undefined;
  const tracing = tracingFromEnv(process.env, 'worker');

  // A cluster's server and namespace may come up after the gateway: wait for both, saying so.
  const onRetry = startupRetryLogger(log, config.temporal);
  const connection = await retryUntilDone(() => connectWorker(config), { onRetry, isPermanent: isRefusal });
  await waitForNamespace(connection, config.temporal.namespace, { onRetry });
  // The same WebhooksPlugin a user's worker adds, here on a worker of its own; it also registers the search
  // attributes and reconciles the config file's endpoints once the worker polls.
  const { run } = await createWebhookWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.task_queue,
    config,
    reconcileEndpoints: true,
    ...(metrics ? { metrics } : {}),
    ...(tracing ? { plugins: [tracing.plugin] } : {}),
  });
  log.info({ taskQueue: config.temporal.task_queue, namespace: config.temporal.namespace, config: configPath }, 'worker started');
  await run();
  await connection.close();
  await metricsServer?.close();
  await tracing?.shutdown();
  log.info('worker stopped');
});
