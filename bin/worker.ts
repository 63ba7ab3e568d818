import { Runtime } from '@temporalio/worker';
import { configPathFrom, loadConfig } from '../config/load.js';
import { connectWorker } from '../temporal/connection.js';
import { createLogger, toTemporalLogger } from '../host/logger.js';
import { runMain } from '../host/run-main.js';
import { createWebhookWorker } from '../worker/worker.js';

runMain(async () => {
  const configPath = configPathFrom(process.argv, process.env);
  const config = await loadConfig(configPath);
  const log = createLogger('worker', config.log_level);
  // The plugin reports search-attribute setup and endpoint reconciliation through the runtime's logger.
  Runtime.install({ logger: toTemporalLogger(log) });

  const connection = await connectWorker(config);
  // The same WebhooksPlugin a user's worker adds, here on a worker of its own; it also registers the search
  // attributes and reconciles the config file's endpoints once the worker polls.
  const { run } = await createWebhookWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.task_queue,
    config,
    reconcileEndpoints: true,
  });
  log.info({ taskQueue: config.temporal.task_queue, namespace: config.temporal.namespace, config: configPath }, 'worker started');
  await run();
  await connection.close();
  log.info('worker stopped');
});
