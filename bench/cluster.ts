import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TemporalConfigSchema } from '../config/schema.js';
import { startCluster, type RunningCluster } from '../host/cluster/cluster.js';
import { API_SECRETS, DEFAULT_LOCAL_CLUSTER, localApiPortCount, localTopology, type GatewaySecret } from '../host/cluster/topology.js';
import { startDevServer } from '../host/dev-server.js';
import { EMBEDDED_DYNAMIC_CONFIG } from '../host/embedded-temporal.js';
import { dropDatabases } from '../test/support/cluster-fixtures.js';
import { findFreeLowPortRun, findFreePort, findFreeTemporalPorts } from '../test/support/ports.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import { percentile } from './load.js';
import { measure, sender, type SystemResult } from './measure.js';
import { measureManyEndpoints } from './many-endpoints.js';
import type { ArrivalReceiver } from './receiver.js';
import { endpointUrl, FAN_OUT, startBaseline, startGatewayNode, type SystemUnderTest } from './systems.js';

// `npm run bench -- --cluster`: the topology of `npm run cluster` (Temporal 1.29.1 on PostgreSQL, 4 history shards,
// API replicas behind HAProxy, workers) with 1 and 2 API processes and 1 and 2 worker processes, next to the
// hand-written workflow on the same cluster, and the gateway node and the hand-written workflow on the embedded
// server, all in one run with one receiver.

const SHAPES = [
  { apis: 1, workers: 1 },
  { apis: 1, workers: 2 },
  { apis: 2, workers: 1 },
  { apis: 2, workers: 2 },
] as const;
/** Every system's latency is measured at this rate, the reference load. */
const OPEN_RATE = 10;

async function clusterSettings(receiver: ArrivalReceiver, dir: string) {
  const configPath = join(dir, 'cluster-bench.yaml');
  await writeFile(configPath, benchConfig(receiver.url));
  const temporalPorts = await findFreeTemporalPorts();
  // The load balancer's, then room for the largest shape's replicas and workers' metrics after it.
  const largest = Math.max(...SHAPES.map((shape) => localApiPortCount({ apiProcesses: shape.apis, workerProcesses: shape.workers })));
  return {
    ...DEFAULT_LOCAL_CLUSTER,
    database: `twh_bench_${Date.now().toString(36)}`,
    temporalPorts,
    uiPort: await findFreePort(),
    apiPort: await findFreeLowPortRun(largest, Object.values(temporalPorts)),
    gatewayConfig: configPath,
    logLevel: 'warn',
  };
}

const newSecrets = (): Record<GatewaySecret, string> =>
  Object.fromEntries(API_SECRETS.map((name) => [name, randomBytes(32).toString('hex')])) as Record<GatewaySecret, string>;

/**
 * `npm run bench -- --cluster --endpoints N`: what N idle endpoints cost on the topology of `npm run cluster` (one API
 * and one worker process, Temporal on PostgreSQL), where the server, the API and the worker are processes of their
 * own, measured as the embedded server's `--endpoints` mode measures them.
 */
export async function measureClusterEndpoints(receiver: ArrivalReceiver, dir: string, count: number): Promise<void> {
  const settings = await clusterSettings(receiver, dir);
  const topology = localTopology({ ...settings, apiProcesses: 1, workerProcesses: 1 });
  try {
    const cluster = await startCluster({
      topology,
      runDir: dir,
      secrets: newSecrets(),
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      log: () => {},
    });
    try {
      const client = new Client({ connection: await Connection.connect({ address: cluster.temporalAddress }) });
      const baseline = await startBaseline(cluster.temporalAddress, receiver.url, 'plain').catch(async (error: unknown) => {
        await client.connection.close();
        throw error;
      });
      try {
        const gateway = clusterSystem(cluster, { apis: 1, workers: 1 });
        const pidOf = (name: string): number => {
          const pid = cluster.process(name)?.pid;
          if (pid === undefined) throw new Error(`the cluster has no ${name} process`);
          return pid;
        };
        await measureManyEndpoints({
          client,
          apiUrl: cluster.apiUrl,
          // The bench's config names none: the schema's default.
          taskQueue: TemporalConfigSchema.parse({}).task_queue,
          receiver,
          processes: [
            { name: 'Temporal server', pid: pidOf('temporal') },
            { name: 'API', pid: pidOf('api-1') },
            { name: 'worker', pid: pidOf('worker-1') },
          ],
          count,
          send: (prefix) => sender(gateway, receiver, 1, prefix),
          sendThroughBaseline: (prefix) => sender(baseline, receiver, 1, prefix),
        });
      } finally {
        await baseline.stop();
        await client.connection.close();
      }
    } finally {
      await cluster.stop();
    }
  } finally {
    await dropDatabases(
      { temporal: settings.database, visibility: `${settings.database}_visibility` },
      settings.postgres,
      settings.postgres.host,
    );
  }
}

export async function measureClusterScale(receiver: ArrivalReceiver, dir: string, cliPath: string): Promise<void> {
  const settings = await clusterSettings(receiver, dir);
  const { database } = settings;
  const secrets = newSecrets();
  const results: { label: string; server: 'cluster' | 'embedded'; result: SystemResult }[] = [];
  const openRate = (): number => OPEN_RATE;

  try {
    for (const [index, shape] of SHAPES.entries()) {
      const topology = localTopology({ ...settings, apiProcesses: shape.apis, workerProcesses: shape.workers });
      console.log(`cluster with ${shape.apis} API and ${shape.workers} worker processes…`);
      const cluster = await startCluster({ topology, runDir: dir, secrets, searchAttributes: SEARCH_ATTRIBUTE_KEYS, log: () => {} });
      const client = new Client({ connection: await Connection.connect({ address: cluster.temporalAddress }) });
      try {
        if (index === 0) {
          const baseline = await measure(() => startBaseline(cluster.temporalAddress, receiver.url, 'plain'), receiver, client, openRate);
          results.push({ label: '(a) hand-written workflow + activity', server: 'cluster', result: baseline });
        }
        const gateway = await measure(() => Promise.resolve(clusterSystem(cluster, shape)), receiver, client, openRate);
        results.push({ label: `gateway, ${shape.apis} API + ${shape.workers} worker processes`, server: 'cluster', result: gateway });
      } finally {
        await client.connection.close();
        await cluster.stop();
      }
    }
  } finally {
    await dropDatabases({ temporal: database, visibility: `${database}_visibility` }, settings.postgres, settings.postgres.host);
  }

  console.log('embedded dev server…');
  const server = await startDevServer({
    cliPath,
    port: await findFreePort(),
    dbFile: join(dir, 'temporal.db'),
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    // As `npm start` runs it.
    dynamicConfig: EMBEDDED_DYNAMIC_CONFIG,
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  try {
    const baseline = await measure(() => startBaseline(server.address, receiver.url, 'plain'), receiver, client, openRate);
    results.push({ label: '(a) hand-written workflow + activity', server: 'embedded', result: baseline });
    const node = await measure(() => startGatewayNode(server.address, receiver.url, true, dir), receiver, client, openRate);
    results.push({ label: 'gateway node (API + worker, one process)', server: 'embedded', result: node });
  } finally {
    await client.connection.close();
    await server.stop(5_000);
  }
  printScale(results);
}

/** The cluster's gateway through its load balancer; stopping it is the caller's, with the cluster. */
function clusterSystem(cluster: RunningCluster, shape: (typeof SHAPES)[number]): SystemUnderTest {
  const post = async (body: unknown): Promise<void> => {
    const response = await fetch(`${cluster.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.text();
    if (response.status !== 202) throw new Error(`the cluster answered ${response.status}: ${answer}`);
  };
  return {
    name: `cluster ${shape.apis}+${shape.workers}`,
    pid: cluster.process('api-1')?.pid ?? process.pid,
    workflowIdOf: (id) => `event/${id}`,
    send: (id, fanOut) => post({ id, type: fanOut === 1 ? 'bench.one' : 'bench.ten', data: { n: id } }),
    stop: async () => {},
  };
}

function benchConfig(receiverUrl: string): string {
  const endpoints = Array.from(
    { length: FAN_OUT },
    (_, index) =>
      `  - { id: bench-${index}, url: "${endpointUrl(receiverUrl, index)}", events: [${index === 0 ? 'bench.one, ' : ''}bench.ten] }`,
  );
  // No keys: the replicas listen on loopback. Rate limits off: a benchmark is a flood.
  return [
    'log_level: warn',
    'api: { rate_limits: { global: null, per_key: null } }',
    'delivery: { allow_destinations: [loopback] }',
    'endpoints:',
    ...endpoints,
    '',
  ].join('\n');
}

function printScale(results: readonly { label: string; server: string; result: SystemResult }[]): void {
  const baselineOf = (server: string) => results.find((entry) => entry.server === server && entry.label.startsWith('(a)'))?.result;
  console.log(`\nlatency at ${OPEN_RATE} events/s open loop, POST → receipt; R1 = events/s ÷ (a) on the same server\n`);
  console.log(
    '| server | system | events/s, 8 producers | events/s, 32 producers | 10 endpoints (deliveries/s) | R1 (8 / 32) | p50 ms | p99 ms |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { label, server, result } of results) {
    const baseline = baselineOf(server);
    const r1 = (key: 'closed8' | 'closed32') =>
      baseline ? (result.closed[key].eventsPerSecond / baseline.closed[key].eventsPerSecond).toFixed(2) : '–';
    const latencies = result.open.latenciesMs;
    console.log(
      `| ${server} | ${label} | ${result.closed.closed8.eventsPerSecond.toFixed(1)} | ${result.closed.closed32.eventsPerSecond.toFixed(1)} | ` +
        `${result.closed.fanOut8.eventsPerSecond.toFixed(1)} (${(result.closed.fanOut8.eventsPerSecond * FAN_OUT).toFixed(0)}) | ` +
        `${r1('closed8')} / ${r1('closed32')} | ${percentile(latencies, 0.5).toFixed(0)} | ${percentile(latencies, 0.99).toFixed(0)} |`,
    );
  }
}
