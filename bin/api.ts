import { configPathFrom, readConfigFile } from '../config/load.js';
import { connectClient } from '../temporal/connection.js';
import { isRefusal, retryUntilDone, waitForNamespace } from '../temporal/startup-retry.js';
import { createLogger, logConfigMapping, startupRetryLogger } from '../host/logger.js';
import { runMain } from '../host/run-main.js';
import { tracingFromEnv } from '../tracing/index.js';
import { onShutdownSignals } from '../host/shutdown-signals.js';
import { buildAppFromConfig, closeGracefully } from '../server/index.js';

runMain(async () => {
  const configPath = configPathFrom(process.argv, process.env);
  const loaded = await readConfigFile(configPath);
  const { config } = loaded;
  const log = createLogger('api', config.log_level);
  logConfigMapping(log, configPath, loaded);
  const onRetry = startupRetryLogger(log, config.temporal);
  const tracing = tracingFromEnv(process.env, 'api');
  const client = await retryUntilDone(() => connectClient(config, process.env, tracing ? [tracing.plugin] : []), {
    onRetry,
    isPermanent: isRefusal,
  });
  await waitForNamespace(client.connection, config.temporal.namespace, { onRetry });
  const app = buildAppFromConfig(config, client, { logger: log, ...(tracing ? { tracer: tracing.tracer } : {}) });

  onShutdownSignals(log, async (signal) => {
    log.info({ signal, graceMs: config.api.shutdown_grace }, 'shutting down: finishing in-flight requests');
    const { forced } = await closeGracefully(app, config.api.shutdown_grace);
    if (forced) log.warn('requests still open when the grace period ended were cut off');
    await client.connection.close();
    await tracing?.shutdown();
  });

  await app.listen({ host: config.api.host, port: config.api.port });
  log.info({ endpoints: config.endpoints.length, config: configPath }, `API listening on http://${config.api.host}:${config.api.port}`);
});
