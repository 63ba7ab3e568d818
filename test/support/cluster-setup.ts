import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stringify } from 'yaml';
import { startCluster } from '../../host/cluster/cluster.js';
import { API_SECRETS, DEFAULT_LOCAL_CLUSTER, localTopology, schemaToolEnv, type GatewaySecret } from '../../host/cluster/topology.js';
import { ensureTemporalCli } from '../../host/temporal-cli.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.js';
import { dropDatabases, startDaemonRedis, stopDaemonRedis, CLUSTER_CONFIG_ENDPOINTS, LIMITED_SOURCE } from './cluster-fixtures.js';
import { findFreePort, findFreeTemporalPorts } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: {
      readonly apiUrl: string;
      readonly replicaUrls: readonly string[];
      /** Where each worker process serves its metrics. */
      readonly workerMetricsUrls: readonly string[];
      readonly temporalAddress: string;
      readonly namespace: string;
      readonly temporalCliPath: string;
      readonly secrets: Readonly<Record<GatewaySecret, string>>;
      readonly sourceSecret: string;
      /** The Standard Webhooks secret workers sign with for endpoints whose `signing.secret_env` is WEBHOOKS_ENDPOINT_CLUSTER_SIGNING. */
      readonly signingSecret: string;
      readonly encryptionKey: string;
      /** Processes by name (`api-1`, `worker-2`, …) as first started. */
      readonly pids: Readonly<Record<string, number>>;
      readonly redis: { readonly port: number; readonly pidFile: string };
      /** How `temporal-sql-tool` reaches the tier's databases (`schemaToolEnv`), and their names. */
      readonly schema: { readonly env: Readonly<Record<string, string>>; readonly databases: { temporal: string; visibility: string } };
    };
  }
}

/**
 * Starts the whole topology of `npm run cluster` for the cluster tier: a fresh pair of PostgreSQL databases, a
 * Redis of its own (so a test may stop it), the Temporal server on free ports, two API replicas behind HAProxy and
 * two workers. Dropped and stopped afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Before anything starts: nothing is left behind when the CLI cannot be found or built.
  const temporalCliPath = await ensureTemporalCli();
  const runDir = await mkdtemp(join(tmpdir(), 'webhooks-cluster-'));
  const database = `twh_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const redis = { port: await findFreePort(), pidFile: join(runDir, 'redis.pid') };
  await startDaemonRedis(redis.port, redis.pidFile);

  const secrets = Object.fromEntries(API_SECRETS.map((name) => [name, randomBytes(32).toString('hex')])) as Record<GatewaySecret, string>;
  const sourceSecret = randomBytes(16).toString('hex');
  const signingSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const configFile = join(runDir, 'webhooks.yaml');
  await writeFile(configFile, stringify(clusterTestConfig()));

  const temporalPorts = await findFreeTemporalPorts();
  const replicaPorts = [await findFreePort(), await findFreePort()];
  const workerMetricsPorts = [await findFreePort(), await findFreePort()];
  const topology = {
    ...localTopology({
      ...DEFAULT_LOCAL_CLUSTER,
      database,
      namespace: 'webhooks-cluster-test',
      redisUrl: `redis://127.0.0.1:${redis.port}/0`,
      temporalPorts,
      uiPort: await findFreePort(),
      apiPort: await findFreePort(),
      gatewayConfig: configFile,
      logLevel: 'warn',
    }),
    apiReplicaPort: (index: number) => replicaPorts[index] ?? 0,
    workerMetricsPort: (index: number) => workerMetricsPorts[index] ?? 0,
  };
  // What a run leaves behind, whether the cluster started or not.
  const cleanUp = async (): Promise<void> => {
    await stopDaemonRedis(redis.pidFile);
    await dropDatabases(topology.databases, topology.postgres, topology.hosts.postgres);
    await rm(runDir, { recursive: true, force: true });
  };
  const lines: string[] = [];
  const cluster = await startCluster({
    topology,
    runDir,
    secrets,
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    gatewayEnv: { CLUSTER_SOURCE_SECRET: sourceSecret, WEBHOOKS_ENDPOINT_CLUSTER_SIGNING: signingSecret },
    stopGraceMs: 10_000,
    // Kept for a failed start's report; a passing run prints nothing of the cluster's own.
    log: (component, line) => {
      lines.push(`${component}: ${line}`);
      if (lines.length > 200) lines.shift();
    },
  }).catch(async (error: unknown) => {
    console.error(lines.join('\n'));
    await cleanUp();
    throw error;
  });

  const pids = Object.fromEntries(
    [...cluster.apiNames, ...cluster.workerNames].flatMap((name) => {
      const pid = cluster.process(name)?.pid;
      return pid === undefined ? [] : [[name, pid]];
    }),
  );
  project.provide('cluster', {
    apiUrl: cluster.apiUrl,
    replicaUrls: replicaPorts.map((port) => `http://127.0.0.1:${port}`),
    workerMetricsUrls: workerMetricsPorts.map((port) => `http://127.0.0.1:${port}/metrics`),
    temporalAddress: cluster.temporalAddress,
    namespace: topology.namespace,
    temporalCliPath,
    secrets,
    sourceSecret,
    signingSecret,
    encryptionKey: secrets.WEBHOOKS_ENCRYPTION_KEY,
    pids,
    redis,
    schema: { env: schemaToolEnv(topology), databases: topology.databases },
  });

  return async () => {
    try {
      await cluster.stop();
    } finally {
      await cleanUp();
    }
  };
}

/** The gateway's config for the tier: keys, encryption, two config endpoints, and a source with a limit of its own. */
function clusterTestConfig(): Record<string, unknown> {
  return {
    api: {
      trust_proxy: true,
      keys: [
        { id: 'producer', key_env: 'WEBHOOKS_PRODUCER_KEY', scopes: ['ingest', 'read'] },
        { id: 'operator', key_env: 'WEBHOOKS_OPERATOR_KEY', scopes: ['ingest', 'read', 'manage'] },
        // Prometheus's, as in examples/compose.yaml: read only.
        { id: 'metrics', key_env: 'WEBHOOKS_METRICS_KEY', scopes: ['read'] },
      ],
      // Limits no test reaches, counted in Redis: every event of the tier goes through the shared admission.
      rate_limits: { global: { limit: 100_000, window: '1m' }, per_key: { limit: 100_000, window: '1m' } },
    },
    encryption: { keys: [{ id: 'cluster-1', key_env: 'WEBHOOKS_ENCRYPTION_KEY' }] },
    delivery: { allow_destinations: ['loopback'] },
    sources: [{ ...LIMITED_SOURCE, auth: { ...LIMITED_SOURCE.auth, secret_env: 'CLUSTER_SOURCE_SECRET' } }],
    endpoints: CLUSTER_CONFIG_ENDPOINTS,
  };
}
