import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster } from '../host/cluster/cluster.js';
import { API_SECRETS, DEFAULT_LOCAL_CLUSTER, localApiPortCount, localTopology, type GatewaySecret } from '../host/cluster/topology.js';
import { dropDatabases } from '../test/support/cluster-fixtures.js';
import { findFreeLowPortRun, findFreePort, findFreeTemporalPorts } from '../test/support/ports.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import { undoOnInterrupt } from './interrupt.js';
import { createRigFolder, routingProbe, type Rig, type RigOptions } from './rig.js';

/**
 * The topology of `npm run cluster` as a chaos rig: Temporal 1.29.1 on this machine's PostgreSQL (fresh databases,
 * dropped afterwards), two API replicas behind HAProxy and two workers. Processes are killed by their names:
 * `temporal`, `api-1`, `worker-2`, …
 */
export async function startClusterRig(options: Pick<RigOptions, 'config'>): Promise<Rig> {
  const folder = await createRigFolder('webhooks-chaos-cluster-');
  const { dir, logFile, log } = folder;

  const configPath = join(dir, 'webhooks.yaml');
  await writeFile(
    configPath,
    // JSON is YAML. No keys (the replicas listen on loopback), no caller limits: the producers' load is the point.
    JSON.stringify({
      log_level: 'warn',
      api: { rate_limits: { global: null, per_key: null, auth_failures: null } },
      delivery: { allow_destinations: ['loopback'], ...options.config.delivery },
      endpoints: options.config.endpoints ?? [],
    }),
  );
  const database = `twh_chaos_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  const temporalPorts = await findFreeTemporalPorts();
  const settings = {
    ...DEFAULT_LOCAL_CLUSTER,
    database,
    namespace: 'webhooks-chaos',
    temporalPorts,
    uiPort: await findFreePort(),
    // The load balancer's, then the replicas' and the workers' metrics ports after it.
    apiPort: await findFreeLowPortRun(localApiPortCount(DEFAULT_LOCAL_CLUSTER), Object.values(temporalPorts)),
    gatewayConfig: configPath,
    logLevel: 'warn',
  };
  const topology = localTopology(settings);
  const secrets = Object.fromEntries(API_SECRETS.map((name) => [name, randomBytes(32).toString('hex')])) as Record<GatewaySecret, string>;
  const cleanUp = async (keepLog: boolean): Promise<void> => {
    await dropDatabases(topology.databases, topology.postgres, topology.hosts.postgres);
    await folder.close(keepLog);
  };
  const cluster = await startCluster({
    topology,
    runDir: dir,
    secrets,
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    stopGraceMs: 10_000,
    log,
  }).catch(async (error: unknown) => {
    await cleanUp(true);
    throw new Error(`the cluster did not start (log: ${logFile}): ${(error as Error).message}`, { cause: error });
  });
  const probe = routingProbe(cluster.apiUrl);
  const forget = undoOnInterrupt(() => rig.stop());
  const rig: Rig = {
    apiUrl: cluster.apiUrl,
    temporalAddress: cluster.temporalAddress,
    get probes() {
      return probe.sent;
    },
    logFile,
    kill(name, { downForMs } = {}) {
      // The cluster's supervisor restarts at once (after its back-off); it has no way to hold a process down.
      if (downForMs) throw new Error('the cluster rig cannot keep a process down');
      const pid = cluster.process(name)?.pid;
      if (pid === undefined) throw new Error(`${name} is not running`);
      log('rig', `SIGKILL ${name} (pid ${pid})`);
      process.kill(pid, 'SIGKILL');
    },
    pid: (name) => cluster.process(name)?.pid,
    waitUntilReady: (timeoutMs) => probe.ready(timeoutMs),
    waitUntilRouted: (type, endpointIds, timeoutMs) => probe.routed(type, endpointIds, timeoutMs),
    async stop({ keepLog = false } = {}) {
      forget();
      try {
        await cluster.stop();
      } finally {
        await cleanUp(keepLog);
      }
    },
  };
  return rig;
}
