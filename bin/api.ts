import { configPathFrom, loadConfig } from '../config/load.js';
import { connectClient } from '../temporal/connection.js';
import { createLogger } from '../host/logger.js';
import { runMain } from '../host/run-main.js';
import { buildAppFromConfig, closeGracefully } from '../server/index.js';

runMain(async () => {
  const configPath = configPathFrom(process.argv, process.env);
  const config = await loadConfig(configPath);
  const log = createLogger('api', config.log_level);
  const client = await connectClient(config);
  const app = buildAppFromConfig(config, client, { logger: log });

  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    log.info({ signal, graceMs: config.api.shutdown_grace }, 'shutting down: finishing in-flight requests');
    const { forced } = await closeGracefully(app, config.api.shutdown_grace);
    if (forced) log.warn('requests still open when the grace period ended were cut off');
    await client.connection.close();
    process.exit(0);
  };
  const onSignal = (signal: string) => () =>
    shutdown(signal).catch((error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));

  await app.listen({ host: config.api.host, port: config.api.port });
  log.info({ endpoints: config.endpoints.length, config: configPath }, `API listening on http://${config.api.host}:${config.api.port}`);
});
