import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configPathFrom, loadConfig } from '../config/load.js';
import { embeddedTemporalService } from '../host/embedded-temporal.js';
import { formatLogLine } from '../host/log-format.js';
import { runMain } from '../host/run-main.js';
import { localSecretKey } from '../host/secret-key.js';
import { createSupervisor, spawnService, type ServiceSpec } from '../host/supervisor.js';
import { ensureTemporalCli } from '../host/temporal-cli.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';

// The embedded default: a Temporal dev server and a gateway node (the API and a worker), supervised as one process tree.

const STOP_MARGIN_MS = 5_000;

const print = (component: string, line: string): void => {
  process.stdout.write(`${formatLogLine(component, line)}\n`);
};

runMain(async () => {
  const configPath = resolve(configPathFrom(process.argv, process.env));
  const config = await loadConfig(configPath);
  const supervisor = createSupervisor({
    log: (component, message) => print(component, message),
    // The API may take its whole shutdown grace to finish requests; the worker its activities' share of it.
    stopGraceMs: config.api.shutdown_grace + STOP_MARGIN_MS,
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    print('start', `${signal}: stopping api, worker and temporal…`);
    void supervisor.stop().then(() => {
      print('start', 'stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  let temporalAddress = config.temporal.address;
  let uiUrl: string | undefined;
  if (temporalAddress === undefined) {
    const cliPath = await ensureTemporalCli({ log: (message) => print('start', message) });
    const temporal = embeddedTemporalService({
      cliPath,
      config,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      log: (line) => print('temporal', line),
    });
    await supervisor.add(temporal);
    ({ address: temporalAddress, uiUrl } = temporal.started());
  } else {
    print('start', `using the Temporal server at ${temporalAddress} (TEMPORAL_ADDRESS); no embedded server started`);
  }

  // The children run the same way this process runs: under tsx from source, or under plain node from dist.
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: temporalAddress, WEBHOOKS_CONFIG: configPath };
  // Sources and endpoints made through the API get generated secrets; on the embedded server, a key kept beside its
  // data will do.
  const secretKeyEnv = config.secret_key_env;
  if (config.temporal.address === undefined && !process.env[secretKeyEnv]) {
    const { key, path, created } = await localSecretKey(resolve(config.embedded.data_dir));
    childEnv[secretKeyEnv] = key;
    if (created)
      print(
        'start',
        `made a key for the secrets the gateway generates (sources', endpoints' signing): ${path} (set ${secretKeyEnv} in production)`,
      );
  }
  const nodeService = (name: string): ServiceSpec => ({
    name,
    start: () =>
      spawnService(process.execPath, [...process.execArgv, fileURLToPath(new URL(`./${name}${extension}`, import.meta.url))], {
        env: childEnv,
        onLine: (line) => print(name, line),
      }),
  });
  // One gateway node, API and worker in one process: its deliveries start eagerly on its own worker.
  await supervisor.add(nodeService('node'));

  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  if (await waitForHealth(`${apiUrl}/healthz`, 60_000)) {
    print('start', `ready: API ${apiUrl} · Temporal ${temporalAddress}${uiUrl ? ` · Web UI ${uiUrl}` : ''} · Ctrl-C stops everything`);
  }
});

async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
