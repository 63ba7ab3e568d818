import { cpus, totalmem } from 'node:os';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { ConfigSchema } from '../config/schema.js';
import { webhookDataConverter } from '../temporal/data-converter.js';
import { startDevServer } from '../host/dev-server.js';
import { runMain } from '../host/run-main.js';
import { startReceiver, type Receiver } from '../host/receiver.js';
import { ensureTemporalCli } from '../host/temporal-cli.js';
import { createWebhookWorker, WORKFLOWS_PATH } from '../worker/worker.js';
import { buildAppFromConfig } from '../server/index.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import { findFreePort } from '../test/support/ports.js';

// `npm run bench`: throughput and latency from POST /v1/events to receipt at a local receiver, on the embedded
// Temporal server, next to a baseline measured in the same run: a direct POST from this process to the same receiver.
// Every loop is bounded in count and in time.

const CONCURRENCY = 8;
const WARMUP_EVENTS = 20;
const SCENARIO_TIME_LIMIT_MS = 120_000;
const SCENARIOS = [
  { name: 'direct POST (baseline, not durable)', endpoints: 1, events: 400, direct: true },
  { name: 'gateway, 1 endpoint per event', endpoints: 1, events: 200, direct: false },
  { name: 'gateway, 10 endpoints per event', endpoints: 10, events: 60, direct: false },
] as const;

interface Result {
  readonly name: string;
  readonly events: number;
  readonly deliveries: number;
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
}

/** Runs `count` tasks with at most CONCURRENCY at once; gives up when the time limit passes. */
async function runBounded(count: number, task: (index: number) => Promise<void>): Promise<void> {
  const deadline = Date.now() + SCENARIO_TIME_LIMIT_MS;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        if (Date.now() > deadline) throw new Error(`benchmark scenario passed its ${SCENARIO_TIME_LIMIT_MS} ms limit`);
        await task(next++);
      }
    }),
  );
}

runMain(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cliPath = await ensureTemporalCli();
  console.log('starting the embedded Temporal server, worker and API…');
  const server = await startDevServer({ cliPath, port: await findFreePort(), searchAttributes: SEARCH_ATTRIBUTE_KEYS });
  const receiver: Receiver = await startReceiver();
  const taskQueue = 'bench';
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const { worker, run } = await createWebhookWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
    config: ConfigSchema.parse({ delivery: { allow_destinations: ['loopback'] } }),
  });
  const running = run();
  const client = new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: webhookDataConverter() });
  const config = ConfigSchema.parse({
    temporal: { task_queue: taskQueue },
    delivery: { allow_destinations: ['loopback'] },
    endpoints: Array.from({ length: 10 }, (_, index) => ({
      id: `ep-${index}`,
      url: receiver.url,
      events: index === 0 ? ['bench.one', 'bench.ten'] : ['bench.ten'],
    })),
  });
  const app = buildAppFromConfig(config, client);
  const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  // webhook-id → when each delivery arrived; the test receiver keeps every request.
  const arrivals = (id: string): number[] => receiver.requests.filter((r) => r.headers['webhook-id'] === id).map((r) => r.receivedAt);
  const waitFor = async (id: string, count: number): Promise<number[]> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const times = arrivals(id);
      if (times.length >= count) return times;
      if (Date.now() > deadline) throw new Error(`${id}: ${times.length} of ${count} deliveries arrived within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };

  const results: Result[] = [];
  for (const scenario of SCENARIOS) {
    const latencies: number[] = [];
    const send = async (id: string): Promise<void> => {
      const sentAt = Date.now();
      if (scenario.direct) {
        await fetch(receiver.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': id },
          body: '{"type":"bench.direct"}',
        });
      } else {
        const response = await fetch(`${apiUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, type: scenario.endpoints === 1 ? 'bench.one' : 'bench.ten', data: { n: id } }),
        });
        if (response.status !== 202) throw new Error(`POST answered ${response.status}`);
      }
      for (const arrivedAt of await waitFor(id, scenario.endpoints)) latencies.push(arrivedAt - sentAt);
    };
    const prefix = `${scenario.direct ? 'direct' : `gw${scenario.endpoints}`}-${Date.now()}`;
    await runBounded(WARMUP_EVENTS, (index) => send(`${prefix}-warmup-${index}`));
    latencies.length = 0;
    const started = Date.now();
    await runBounded(scenario.events, (index) => send(`${prefix}-${index}`));
    const elapsedSeconds = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    results.push({
      name: scenario.name,
      events: scenario.events,
      deliveries: scenario.events * scenario.endpoints,
      eventsPerSecond: scenario.events / elapsedSeconds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    });
    console.log(`  done: ${scenario.name}`);
  }

  const [baseline] = results as [Result, ...Result[]];
  console.log(
    `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  console.log(`concurrency ${CONCURRENCY} producers; latency = POST sent → request received by the receiver\n`);
  console.log('| scenario | events | deliveries | events/s | × baseline | p50 ms | p99 ms | p50 × baseline |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.events} | ${r.deliveries} | ${r.eventsPerSecond.toFixed(1)} | ${(r.eventsPerSecond / baseline.eventsPerSecond).toFixed(3)} | ${r.p50Ms} | ${r.p99Ms} | ${(r.p50Ms / Math.max(1, baseline.p50Ms)).toFixed(1)} |`,
    );
  }

  await app.close();
  worker.shutdown();
  await running;
  await workerConnection.close();
  await client.connection.close();
  await receiver.close();
  await server.stop(5_000);
});
