import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configPathFrom, loadConfig } from '../config/load.js';
import { deliveryShutdownGraceMs } from '../config/schema.js';
import { embeddedTemporalService } from '../host/embedded-temporal.js';
import { formatLogLine } from '../host/log-format.js';
import { runMain } from '../host/run-main.js';
import { localSecretKey } from '../host/secret-key.js';
import { createSupervisor, spawnService, type ServiceSpec } from '../host/supervisor.js';
import { ensureTemporalCli } from '../host/temporal-cli.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';

// The embedded default: a Temporal dev server and a gateway node (the API and a worker), supervised as one process tree.

const STOP_MARGIN_MS = 5_000;
const SAME_SIGNAL_MS = 1_000;

const print = (component: string, line: string): void => {
  process.stdout.write(`${formatLogLine(component, line)}\n`);
};

// A closed terminal (SIGHUP) takes stdout with it: the stop it asks for must not end on a failed write.
process.stdout.on('error', () => undefined);

runMain(async () => {
  const configPath = resolve(configPathFrom(process.argv, process.env));
  const config = await loadConfig(configPath);
  const supervisor = createSupervisor({
    log: (component, message) => print(component, message),
    // The API may take its whole shutdown grace to finish requests, then the worker its own for the attempts in flight.
    stopGraceMs: config.api.shutdown_grace + deliveryShutdownGraceMs(config) + STOP_MARGIN_MS,
  });

  // The children run in process groups of their own, so a terminal's Ctrl-C reaches only this process: the node
  // finishes what it is doing while Temporal, which it reports to, still runs; Temporal stops last. A second signal
  // is for an operator who will not wait: everything is killed, and what was in flight is done again at the next start.
  let stopping: 'no' | 'in order' | 'at once' = 'no';
  let firstSignalAt = 0;
  const shutdown = (signal: string): void => {
    if (stopping === 'at once') return;
    // One Ctrl-C can arrive more than once: npm passes on to this process what the terminal sent it too.
    if (stopping === 'in order' && Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
    if (stopping === 'in order') {
      stopping = 'at once';
      print('start', `${signal} again: killing api, worker and temporal now`);
      void supervisor.kill().then(() => {
        print('start', 'killed');
        process.exit(130);
      });
      return;
    }
    stopping = 'in order';
    firstSignalAt = Date.now();
    print(
      'start',
      `${signal}: stopping api and worker, letting requests and deliveries in flight finish, then temporal… (again to kill now)`,
    );
    void supervisor.stop().then(() => {
      // Killed meanwhile: that path reports and exits.
      if (stopping !== 'in order') return;
      print('start', 'stopped');
      process.exit(0);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));

  let temporalAddress = config.temporal.address;
  let uiUrl: string | undefined;
  if (temporalAddress === undefined) {
    const cliPath = await ensureTemporalCli({ log: (message) => print('start', message) });
    const temporal = embeddedTemporalService({
      cliPath,
      config,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      detached: true,
      log: (line) => print('temporal', line),
    });
    await supervisor.add(temporal);
    // Stopped while it started: the shutdown exits; nothing more is started.
    if (stopping !== 'no') return;
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
    start: (killed) =>
      spawnService(process.execPath, [...process.execArgv, fileURLToPath(new URL(`./${name}${extension}`, import.meta.url))], {
        env: childEnv,
        detached: true,
        killed,
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
