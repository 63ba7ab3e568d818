import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { startCluster, type RunningCluster } from '../host/cluster/cluster.js';
import { API_SECRETS, DEFAULT_LOCAL_CLUSTER, localTopology, type GatewaySecret } from '../host/cluster/topology.js';
import { formatLogLine } from '../host/log-format.js';
import { runMain } from '../host/run-main.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';

// `npm run cluster`: Temporal on PostgreSQL with its Web UI, API replicas behind HAProxy sharing one Redis, and
// workers, all on this machine, as docker-compose.yml declares them for containers.

const USAGE = `Usage: npm run cluster -- [options]
  --api <n>          API processes behind the load balancer (default ${DEFAULT_LOCAL_CLUSTER.apiProcesses})
  --workers <n>      worker processes (default ${DEFAULT_LOCAL_CLUSTER.workerProcesses})
  --shards <n>       history shards of a NEW cluster; fixed for its life (default ${DEFAULT_LOCAL_CLUSTER.historyShards})
  --database <name>  PostgreSQL database (and <name>_visibility) (default ${DEFAULT_LOCAL_CLUSTER.database})
  --config <file>    the gateway's config file (default ${DEFAULT_LOCAL_CLUSTER.gatewayConfig})
PostgreSQL is reached as PGHOST/PGPORT/PGUSER/PGPASSWORD say (default 127.0.0.1:5432, postgres), Redis at
WEBHOOKS_REDIS_URL (default ${DEFAULT_LOCAL_CLUSTER.redisUrl}).`;

const print = (component: string, line: string): void => {
  process.stdout.write(`${formatLogLine(component, line)}\n`);
};

runMain(async () => {
  const { values } = parseArgs({
    options: {
      api: { type: 'string' },
      workers: { type: 'string' },
      shards: { type: 'string' },
      database: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = process.env;
  const settings = {
    ...DEFAULT_LOCAL_CLUSTER,
    apiProcesses: count(values.api, DEFAULT_LOCAL_CLUSTER.apiProcesses, '--api'),
    workerProcesses: count(values.workers, DEFAULT_LOCAL_CLUSTER.workerProcesses, '--workers'),
    historyShards: count(values.shards, DEFAULT_LOCAL_CLUSTER.historyShards, '--shards'),
    database: values.database ?? DEFAULT_LOCAL_CLUSTER.database,
    gatewayConfig: resolve(values.config ?? DEFAULT_LOCAL_CLUSTER.gatewayConfig),
    postgres: {
      host: env['PGHOST'] || DEFAULT_LOCAL_CLUSTER.postgres.host,
      port: Number(env['PGPORT'] || DEFAULT_LOCAL_CLUSTER.postgres.port),
      user: env['PGUSER'] || DEFAULT_LOCAL_CLUSTER.postgres.user,
      password: env['PGPASSWORD'] ?? DEFAULT_LOCAL_CLUSTER.postgres.password,
    },
    redisUrl: env['WEBHOOKS_REDIS_URL'] || DEFAULT_LOCAL_CLUSTER.redisUrl,
  };
  const runDir = resolve('.data', 'cluster', settings.database);
  const secrets = await loadSecrets(join(runDir, 'secrets.env'), env);

  // Installed before the start, which can take minutes: a Ctrl-C then stops what has started, in order.
  const starting = new AbortController();
  const started: { cluster?: RunningCluster } = {};
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const { cluster } = started;
    if (!cluster) {
      print('cluster', `${signal}: stopping what has started…`);
      starting.abort();
      return;
    }
    print('cluster', `${signal}: stopping the load balancer, API, workers, Web UI and Temporal…`);
    cluster.stop().then(
      () => {
        print('cluster', 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        print('cluster', `could not stop everything: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const cluster = (started.cluster = await startCluster({
    topology: localTopology(settings),
    runDir,
    secrets: secrets.values,
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    log: print,
    signal: starting.signal,
  }));
  print(
    'cluster',
    `ready: API ${cluster.apiUrl} (${settings.apiProcesses} replicas behind HAProxy) · ${settings.workerProcesses} workers · ` +
      `Temporal ${cluster.temporalAddress} · Web UI ${cluster.uiUrl} · generated keys in ${secrets.file} · Ctrl-C stops everything`,
  );
});

function count(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new ConfigError('the command line', [{ path: flag, message: `a whole number from 1 to 64, not ${text}` }]);
  }
  return value;
}

/**
 * The gateway's keys: from the environment when set, else from this cluster's secrets file, else new ones. Only keys
 * this script generated are kept in the file (mode 0600), across restarts: payloads stored under one encryption key
 * need it to be read. Keys from the environment stay there.
 */
async function loadSecrets(file: string, env: NodeJS.ProcessEnv): Promise<{ file: string; values: Record<GatewaySecret, string> }> {
  const stored = new Map<string, string>();
  try {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match?.[1] && match[2] !== undefined) stored.set(match[1], match[2]);
    }
  } catch {
    // first start of this cluster
  }
  const values = {} as Record<GatewaySecret, string>;
  const generated: string[] = [];
  for (const name of API_SECRETS) {
    const value = env[name] || stored.get(name) || randomBytes(32).toString('hex');
    values[name] = value;
    if (!env[name]) generated.push(`${name}=${value}`);
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${generated.join('\n')}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { file, values };
}
