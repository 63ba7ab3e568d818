import { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { configPathFrom, loadConfig } from '../config/load.js';
import { endpointSettingsFrom } from '../config/schema.js';
import { connectWorker } from '../runtime/connection.js';
import { dataConverterFrom } from '../runtime/data-converter.js';
import { createLogger, toTemporalLogger } from '../runtime/logger.js';
import { runMain } from '../runtime/main.js';
import { ensureSearchAttributes } from '../runtime/namespace-setup.js';
import { reconcileEndpoints } from '../runtime/reconcile.js';
import { createWebhookWorker } from '../runtime/worker.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';

runMain(async () => {
  const configPath = configPathFrom(process.argv, process.env);
  const config = await loadConfig(configPath);
  const log = createLogger('worker', config.log_level);
  Runtime.install({ logger: toTemporalLogger(log) });

  const connection = await connectWorker(config);
  // One connection for the process: the worker polls over it, and this client sets up and reconciles over it too.
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFrom(config, process.env) });
  try {
    const added = await ensureSearchAttributes(client.connection, config.temporal.namespace, SEARCH_ATTRIBUTE_KEYS);
    if (added.length > 0) log.info({ added }, 'registered search attributes');
  } catch (error) {
    // Managed clusters (Temporal Cloud) refuse the operator API: their attributes are registered by an admin.
    log.warn({ err: error }, 'could not check search attributes; register them by hand if workflow starts fail');
  }

  const { run } = await createWebhookWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.task_queue,
    config,
  });
  log.info({ taskQueue: config.temporal.task_queue, namespace: config.temporal.namespace, config: configPath }, 'worker started');
  const running = run();
  // After the worker polls: definitions change through updates, which a worker must run.
  try {
    const report = await reconcileEndpoints(client, config.temporal.task_queue, config.endpoints, endpointSettingsFrom(config));
    log.info(report, 'endpoint entities match the config file');
  } catch (error) {
    log.error({ err: error }, 'could not reconcile the endpoint entities with the config file');
  }
  await running;
  await connection.close();
  log.info('worker stopped');
});
