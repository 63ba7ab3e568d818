import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { GRPC_STATUS } from '../../domain/grpc-status.js';
import { parseDurationMs } from '../../domain/duration.js';
import { TemporalCliError } from '../../errors.js';
import { ensureSearchAttributes } from '../../temporal/namespace-setup.js';
import { grpcCodeOf, retryUntilDone } from '../../temporal/startup-retry.js';
import { runCommand } from '../run-command.js';
import { createSupervisor, spawnService, type RunningService, type ServiceSpec } from '../supervisor.js';
import { ensureTemporalServerTools, type TemporalServerTools } from '../temporal-server-tools.js';
import { haproxyConfig } from './load-balancer.js';
import { setUpSchemas } from './schema-setup.js';
import {
  API_SECRETS,
  apiEnv,
  WORKER_SECRETS,
  type GatewaySecret,
  loadBalancerEnv,
  schemaToolEnv,
  temporalServerEnv,
  uiServerEnv,
  workerEnv,
  type ClusterTopology,
} from './topology.js';

/** How {@link startCluster} runs a topology on this machine. */
export interface ClusterOptions {
  readonly topology: ClusterTopology;
  /** Where generated files (the load balancer's config) are written. */
  readonly runDir: string;
  /** The values of {@link API_SECRETS}, handed to the gateway processes that need them, in their environment only. */
  readonly secrets: Readonly<Record<GatewaySecret, string>>;
  /** The search attributes the namespace needs before deliveries start. */
  readonly searchAttributes: Parameters<typeof ensureSearchAttributes>[2];
  /** Each line a process prints, and progress of the start-up. */
  readonly log: (component: string, line: string) => void;
  /** Extra environment for the gateway processes (a test's receiver secrets, say). */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  readonly stopGraceMs?: number;
  /** Aborts a start in progress (Ctrl-C while it builds or waits): what had started is stopped. */
  readonly signal?: AbortSignal;
}

/** A running cluster. */
export interface RunningCluster {
  readonly temporalAddress: string;
  /** The load balancer in front of the API replicas. */
  readonly apiUrl: string;
  readonly uiUrl: string;
  /** The names of the gateway's processes, as {@link process} takes them: `api-1`…, `worker-1`…. */
  readonly apiNames: readonly string[];
  readonly workerNames: readonly string[];
  /** The current process of one service (restarted by the supervisor when it dies). */
  process(name: string): RunningService | undefined;
  /** Stops everything in reverse order of start: the load balancer, API replicas, workers, Web UI, Temporal. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 180_000;

/**
 * Brings the topology up in order: schemas, the Temporal server, its namespace and search attributes, the Web UI,
 * the workers, the API replicas and the load balancer in front of them. Resolves once the load balancer answers
 * ready. On failure, what had started is stopped before the error is thrown.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const { topology, log } = options;
  const tools = await ensureTemporalServerTools({ log: (message) => log('cluster', message) });
  const haproxy = await ensureHaproxy((message) => log('cluster', message));
  await mkdir(options.runDir, { recursive: true });
  // A stopping worker waits for its attempts in flight up to delivery.timeout (15 s by default): a little more than that.
  const supervisor = createSupervisor({ log, stopGraceMs: options.stopGraceMs ?? 20_000 });
  const add = async (spec: ServiceSpec): Promise<void> => {
    options.signal?.throwIfAborted();
    await supervisor.add(spec);
  };
  try {
    await setUpSchemas({
      sqlTool: tools.sqlTool,
      postgresSchema: tools.postgresSchema,
      env: schemaToolEnv(topology),
      databases: topology.databases,
      log: (message) => log('schema', message),
    });
    const temporalAddress = `${topology.hosts.temporal}:${topology.temporalPorts.frontend}`;
    await add(temporalService(tools, topology, log));
    await prepareNamespace(temporalAddress, topology, options.searchAttributes, log);
    await add(programService('ui', tools.uiServer, ['--root', tools.uiRoot, '--env', 'docker', 'start'], uiServerEnv(topology), log));

    const secretsOf = (names: readonly GatewaySecret[]) => ({
      ...Object.fromEntries(names.map((name) => [name, options.secrets[name]])),
      ...options.gatewayEnv,
    });
    const workerNames = Array.from({ length: topology.workerProcesses }, (_, index) => `worker-${index + 1}`);
    for (const [index, name] of workerNames.entries())
      await add(gatewayService(name, 'worker', { ...workerEnv(topology, index), ...secretsOf(WORKER_SECRETS) }, log));
    const apiNames = Array.from({ length: topology.apiProcesses }, (_, index) => `api-${index + 1}`);
    for (const [index, name] of apiNames.entries()) {
      await add(gatewayService(name, 'api', { ...apiEnv(topology, index), ...secretsOf(API_SECRETS) }, log));
    }
    const haproxyFile = join(options.runDir, 'haproxy.cfg');
    await writeFile(haproxyFile, haproxyConfig(topology.apiProcesses));
    await add(programService('haproxy', haproxy, ['-db', '-f', haproxyFile], loadBalancerEnv(topology), log));

    const apiUrl = `http://127.0.0.1:${topology.apiPort}`;
    // Every replica, then the load balancer: callers may use either.
    const replicas = apiNames.map((_, index) => `http://127.0.0.1:${topology.apiReplicaPort(index)}`);
    for (const url of [...replicas, apiUrl]) await waitForReady(`${url}/readyz`, READY_TIMEOUT_MS, options.signal);
    return {
      temporalAddress,
      apiUrl,
      uiUrl: `http://127.0.0.1:${topology.uiPort}`,
      apiNames,
      workerNames,
      process: (name) => supervisor.current(name),
      stop: () => supervisor.stop(),
    };
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
}

function temporalService(tools: TemporalServerTools, topology: ClusterTopology, log: ClusterOptions['log']): ServiceSpec {
  const env = {
    ...temporalServerEnv(topology),
    DYNAMIC_CONFIG_FILE_PATH: join(tools.serverRoot, 'config', 'dynamicconfig', 'docker.yaml'),
  };
  const args = ['--root', tools.serverRoot, '--config', 'config', '--env', 'docker', '--allow-no-auth', 'start'];
  const address = `${topology.hosts.temporal}:${topology.temporalPorts.frontend}`;
  return {
    name: 'temporal',
    async start() {
      const service = spawnService(tools.server, args, {
        env: { ...inheritedEnv(), ...env },
        detached: true,
        onLine: (line) => log('temporal', line),
      });
      await waitForFrontend(address, service);
      log(
        'temporal',
        `frontend ready on ${address} (${topology.historyShards} history shards, databases ${topology.databases.temporal} and ${topology.databases.visibility})`,
      );
      return service;
    },
  };
}

function programService(
  name: string,
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  log: ClusterOptions['log'],
): ServiceSpec {
  return {
    name,
    start: () => spawnService(command, args, { env: { ...inheritedEnv(), ...env }, detached: true, onLine: (line) => log(name, line) }),
  };
}

// The gateway's processes run from the same tree as this module: its TypeScript source through tsx (whatever loaded
// this module: tsx, or vitest), or the compiled dist/ under plain node.
function gatewayService(name: string, role: 'api' | 'worker', env: Record<string, string>, log: ClusterOptions['log']): ServiceSpec {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`../../bin/${role}${fromSource ? '.ts' : '.js'}`, import.meta.url));
  const args = fromSource ? ['--import', 'tsx', script] : [script];
  return {
    name,
    start: () =>
      spawnService(process.execPath, args, { env: { ...inheritedEnv(), ...env }, detached: true, onLine: (line) => log(name, line) }),
  };
}

async function waitForFrontend(address: string, service: RunningService): Promise<void> {
  let exited: number | string | undefined;
  void service.exited.then((code) => (exited = code));
  const deadline = AbortSignal.timeout(READY_TIMEOUT_MS);
  try {
    await retryUntilDone(
      async () => {
        if (exited !== undefined) throw new Error(`the Temporal server exited (${exited}) before it was ready`);
        const connection = await Connection.connect({ address, connectTimeout: 2_000 });
        try {
          await connection.workflowService.getSystemInfo({});
        } finally {
          await connection.close();
        }
      },
      { signal: deadline, isPermanent: () => exited !== undefined, maxDelayMs: 1_000, onRetry: () => undefined },
    );
  } catch (error) {
    await service.stop(2_000);
    throw error;
  }
}

/** Registers the namespace when missing, then the search attributes, retrying until the new namespace takes them. */
async function prepareNamespace(
  address: string,
  topology: ClusterTopology,
  searchAttributes: ClusterOptions['searchAttributes'],
  log: ClusterOptions['log'],
): Promise<void> {
  const connection = await Connection.connect({ address });
  const onRetry = ({ error, attempt }: { error: unknown; attempt: number }): void =>
    log('cluster', `namespace ${topology.namespace} not ready yet (attempt ${attempt}): ${String(error)}`);
  try {
    const namespace = topology.namespace;
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (error) {
      if (grpcCodeOf(error) !== GRPC_STATUS.NOT_FOUND) throw error;
      const retentionMs = parseDurationMs(topology.retention) ?? 7 * 24 * 3_600_000;
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(retentionMs) });
      log('cluster', `registered namespace ${namespace} (retention ${topology.retention})`);
    }
    // A namespace registered a moment ago is unknown to the frontend until its namespace cache refreshes.
    const added = await retryUntilDone(() => ensureSearchAttributes(connection, namespace, searchAttributes), {
      signal: AbortSignal.timeout(READY_TIMEOUT_MS),
      onRetry,
    });
    if (added.length > 0) log('cluster', `registered search attributes ${added.join(', ')}`);
  } finally {
    await connection.close();
  }
}

/** Resolves once `url` answers 2xx, asking again with a growing pause; rejects after `timeoutMs` or on `abort`. */
export async function waitForReady(url: string, timeoutMs: number, abort?: AbortSignal): Promise<void> {
  const signal = abort ? AbortSignal.any([abort, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  await retryUntilDone(
    async () => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    },
    { signal, maxDelayMs: 1_000, onRetry: () => undefined },
  );
}

// What the cluster's processes inherit of this one's environment: enough to run, and nothing else. An operator's
// shell may hold API keys, a Temporal API key or WEBHOOKS_* settings that are not the cluster's to pass on.
const INHERITED_VARIABLES = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'XDG_CACHE_HOME', 'NODE_EXTRA_CA_CERTS'];

function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(INHERITED_VARIABLES.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

/**
 * Finds HAProxy, installing Debian's package when this process may (root, with apt-get), as CI installs Chromium.
 * Throws {@link TemporalCliError} saying how to install it otherwise.
 */
async function ensureHaproxy(log: (message: string) => void): Promise<string> {
  if (await succeeds('haproxy', ['-v'])) return 'haproxy';
  if (process.getuid?.() === 0 && (await succeeds('apt-get', ['--version']))) {
    log('installing HAProxy from Debian’s packages (apt-get install haproxy)…');
    if (await succeeds('apt-get', ['install', '-y', '-qq', 'haproxy'], { DEBIAN_FRONTEND: 'noninteractive' })) return 'haproxy';
  }
  throw new TemporalCliError(
    'The cluster needs HAProxy in front of its API replicas: install it (apt-get install haproxy) and run this again.',
  );
}

function succeeds(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<boolean> {
  return runCommand(command, args, { ...process.env, ...env }).then(
    ({ code }) => code === 0,
    () => false,
  );
}
