import { configPathFrom, loadConfig } from '../config/load.js';
import { createRouteIndex } from '../domain/routing.js';
import { connectClient } from '../runtime/connection.js';
import { createLogger } from '../runtime/logger.js';
import { runMain } from '../runtime/main.js';
import { buildApp, createTemporalPublisher } from '../server/index.js';

runMain(async () => {
  const configPath = configPathFrom(process.argv, process.env);
  const config = await loadConfig(configPath);
  const log = createLogger('api', config.log_level);
  const client = await connectClient(config);
  const routes = createRouteIndex(config.endpoints);

  const app = buildApp({
    logger: log,
    bodyLimitBytes: config.api.body_limit_bytes,
    publisher: createTemporalPublisher({
      client,
      taskQueue: config.temporal.task_queue,
      maxConcurrentDeliveries: config.delivery.max_concurrent_per_event,
    }),
    routes: () => routes,
    deliveryDefaults: { timeoutMs: config.delivery.timeout, retryScheduleMs: config.delivery.retry_schedule },
    checkReady: async () => {
      await client.connection.workflowService.getSystemInfo({});
    },
  });

  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    await client.connection.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.api.host, port: config.api.port });
  log.info({ endpoints: routes.size, config: configPath }, `API listening on http://${config.api.host}:${config.api.port}`);
});
