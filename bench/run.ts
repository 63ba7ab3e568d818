import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../host/dev-server.js';
import { EMBEDDED_DYNAMIC_CONFIG } from '../host/embedded-temporal.js';
import { runMain } from '../host/run-main.js';
import { ensureTemporalCli } from '../host/temporal-cli.js';
import { findFreePort } from '../test/support/ports.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import { closedLoop, percentile, type LoadResult, type SendEvent } from './load.js';
import { measure, OPEN_LOOP_MS, sender, TIME_LIMIT_MS, WARMUP_EVENTS, type SystemResult } from './measure.js';
import { measureClusterEndpoints, measureClusterScale } from './cluster.js';
import { measureFanOut } from './fan-out.js';
import { measureManyEndpoints } from './many-endpoints.js';
import { measureControls } from './controls.js';
import { measureObservability, OBSERVABILITY_ROUNDS } from './observability.js';
import { measureProfiles } from './profile.js';
import { measureSideBySide, SIDE_BY_SIDE_ROUNDS } from './side-by-side.js';
import { measureLatencySegments } from './latency.js';
import { measureHeadToHead } from './rounds.js';
import { residentMiB } from './proc.js';
import { startArrivalReceiver, type ArrivalReceiver } from './receiver.js';
import { FAN_OUT, startBaseline, startGatewayNode } from './systems.js';

// `npm run bench`: the gateway against what a team would write instead, on the same embedded Temporal server (a
// SQLite file, as `npm start` keeps one), the same receiver and the same load, one system at a time:
//   - a gateway node (`npm start`'s API + worker process), with the fast path on and off;
//   - (a) a hand-written workflow with one activity that POSTs, started by an ordinary client;
//   - (b) the same with a local activity, started eagerly on the worker's connection;
//   - a direct POST to the receiver, not durable, for scale.
// Each is measured closed loop (8 and 32 producers; one endpoint, and ten) for its most events per second, and open
// loop at half the gateway's most, for latency from POST to receipt. Figures are ratios within this run: these
// machines are noisy. `--long` instead sends 100,000 events through a gateway node and reports its memory;
// `--endpoints N` creates N endpoints and reports what they cost idle, how fast a pause reaches routing, and throughput;
// `--fan-out N` sends one event to N endpoints; `--cluster` measures the topology of `npm run cluster` (bench/cluster.ts),
// and with `--endpoints N` what N endpoints cost there;
// `--observability` measures a gateway node with metrics and tracing off and on (bench/observability.ts; 12 rounds, or
// `--rounds N`; `--workflow-spans` adds tracing with the workflows' own spans; `--side-by-side` measures two nodes at
// once instead, one with and one without, bench/side-by-side.ts, 4 rounds or `--rounds N`); `--controls`
// measures one endpoint plain and with each delivery control (bench/controls.ts); `--profile` profiles a gateway node's
// CPU with tracing off and on (bench/profile.ts); `--rounds N` measures the four systems in the same loops N times over,
// for medians of the ratios (bench/rounds.ts); `--latency` splits the open loop's POST → receipt of the gateway and
// of (b) into segments, from each event's history (bench/latency.ts; 4 rounds, or `--rounds N`).

const { values: flags } = parseArgs({
  options: {
    long: { type: 'boolean', default: false },
    endpoints: { type: 'string' },
    'fan-out': { type: 'string' },
    cluster: { type: 'boolean', default: false },
    observability: { type: 'boolean', default: false },
    controls: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    latency: { type: 'boolean', default: false },
    'workflow-spans': { type: 'boolean', default: false },
    'side-by-side': { type: 'boolean', default: false },
  },
});

/** A count given on the command line: a positive whole number, checked before the run starts anything. */
function countFlag(name: 'endpoints' | 'fan-out' | 'rounds'): number | undefined {
  if (flags[name] === undefined) return undefined;
  const value = Number(flags[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} takes a positive whole number, not ${flags[name]}`);
  return value;
}
const endpointCount = countFlag('endpoints');
const fanOutCount = countFlag('fan-out');
const roundCount = countFlag('rounds');
// Options of one mode only: refused elsewhere rather than silently ignored.
if ((flags['side-by-side'] || flags['workflow-spans']) && !flags.observability) {
  throw new Error('--side-by-side and --workflow-spans go with --observability');
}
if (flags['side-by-side'] && flags['workflow-spans']) {
  throw new Error('--side-by-side measures no workflow spans; run --workflow-spans without it');
}

async function measureDirect(receiver: ArrivalReceiver): Promise<LoadResult> {
  const run = `direct${Date.now().toString(36)}`;
  const send: SendEvent = async (index) => {
    const id = `${run}-${index}`;
    const sent = performance.now();
    await (await fetch(`${receiver.url}/direct`, { method: 'POST', headers: { 'webhook-id': id }, body: '{}' })).text();
    return (await receiver.arrivals(id, 1)).map((arrived) => arrived - sent);
  };
  await closedLoop(send, 8, WARMUP_EVENTS, TIME_LIMIT_MS);
  return closedLoop(send, 8, 1_000, TIME_LIMIT_MS);
}

function printReport(direct: LoadResult, results: readonly SystemResult[], openRate: number): void {
  const [gatewayFast, gatewayPlain, plain, fast] = results as [SystemResult, SystemResult, SystemResult, SystemResult];
  const rate = (result: SystemResult, key: keyof SystemResult['closed']): string => result.closed[key].eventsPerSecond.toFixed(1);
  const ratio = (a: SystemResult, b: SystemResult, key: keyof SystemResult['closed']): string =>
    (a.closed[key].eventsPerSecond / b.closed[key].eventsPerSecond).toFixed(2);
  const ms = (value: number): string => value.toFixed(0);

  console.log(
    `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  console.log(
    `direct POST (not durable), 8 producers: ${direct.eventsPerSecond.toFixed(0)} requests/s, p50 ${ms(percentile(direct.latenciesMs, 0.5))} ms\n`,
  );

  console.log(
    '| system | events/s, 8 producers | events/s, 32 producers | events/s, 10 endpoints (deliveries/s) | history per event | RSS MiB |',
  );
  console.log('| --- | ---: | ---: | ---: | --- | ---: |');
  for (const result of results) {
    const { events, workflowTasks, activityTasks } = result.history;
    console.log(
      `| ${result.name} | ${rate(result, 'closed8')} | ${rate(result, 'closed32')} | ${rate(result, 'fanOut8')} (${(result.closed.fanOut8.eventsPerSecond * FAN_OUT).toFixed(0)}) | ${events} events, ${workflowTasks} workflow task${workflowTasks === 1 ? '' : 's'}, ${activityTasks} activity task${activityTasks === 1 ? '' : 's'} | ${result.residentMiB.toFixed(0)} |`,
    );
  }

  console.log('\n| ratio | 8 producers | 32 producers | 10 endpoints |');
  console.log('| --- | ---: | ---: | ---: |');
  const row = (label: string, a: SystemResult, b: SystemResult): void =>
    console.log(`| ${label} | ${ratio(a, b, 'closed8')} | ${ratio(a, b, 'closed32')} | ${ratio(a, b, 'fanOut8')} |`);
  row('R1 = gateway (fast path) ÷ (a) workflow + activity', gatewayFast, plain);
  row('R1f = gateway (fast path) ÷ (b) eager + local activity', gatewayFast, fast);
  row('gateway (fast path off) ÷ (a)', gatewayPlain, plain);
  row('(b) ÷ (a)', fast, plain);

  console.log(
    `\nopen loop at ${openRate.toFixed(1)} events/s (half the gateway's most at 8 producers), ${OPEN_LOOP_MS / 1_000} s, POST → receipt:\n`,
  );
  console.log('| system | events | p50 ms | p99 ms | p99.9 ms |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const result of results) {
    const sorted = result.open.latenciesMs;
    console.log(
      `| ${result.name} | ${result.open.events} | ${ms(percentile(sorted, 0.5))} | ${ms(percentile(sorted, 0.99))} | ${ms(percentile(sorted, 0.999))} |`,
    );
  }
}

async function measureMemory(temporalAddress: string, receiver: ArrivalReceiver, dir: string): Promise<void> {
  const system = await startGatewayNode(temporalAddress, receiver.url, true, dir);
  try {
    const run = `mem${Date.now().toString(36)}`;
    const send = sender(system, receiver, 1, run);
    console.log(`gateway node RSS at start: ${residentMiB(system.pid).toFixed(0)} MiB`);
    let sent = 0;
    for (const checkpoint of [10_000, 100_000]) {
      const batch = await closedLoop((index) => send(sent + index), 32, checkpoint - sent, 60 * 60_000);
      sent += batch.events;
      console.log(`after ${sent} events (${batch.eventsPerSecond.toFixed(1)} events/s): RSS ${residentMiB(system.pid).toFixed(0)} MiB`);
    }
  } finally {
    await system.stop();
  }
}

runMain(async () => {
  const cliPath = await ensureTemporalCli();
  const dir = await mkdtemp(join(tmpdir(), 'webhooks-bench-'));
  if (flags.cluster) {
    const receiver = await startArrivalReceiver();
    try {
      if (endpointCount) return await measureClusterEndpoints(receiver, dir, endpointCount);
      return await measureClusterScale(receiver, dir, cliPath);
    } finally {
      await receiver.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const server = await startDevServer({
    cliPath,
    port: await findFreePort(),
    dbFile: join(dir, 'temporal.db'),
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    // As `npm start` runs it.
    dynamicConfig: EMBEDDED_DYNAMIC_CONFIG,
  });
  const receiver = await startArrivalReceiver();
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  try {
    if (flags.long) return await measureMemory(server.address, receiver, dir);
    if (flags['side-by-side']) {
      return await measureSideBySide({ temporalAddress: server.address, receiver, dir, rounds: roundCount ?? SIDE_BY_SIDE_ROUNDS });
    }
    if (flags.observability) {
      return await measureObservability({
        temporalAddress: server.address,
        serverPid: server.pid as number,
        receiver,
        dir,
        rounds: roundCount ?? OBSERVABILITY_ROUNDS,
        workflowSpans: flags['workflow-spans'],
      });
    }
    if (flags.controls) return await measureControls(server.address, server.pid as number, receiver, dir);
    if (flags.profile) return await measureProfiles(server.address, receiver, dir);
    if (flags.latency) return await measureLatencySegments(server.address, client, receiver, dir, roundCount ?? 4);
    if (roundCount) return await measureHeadToHead(server.address, server.pid as number, receiver, dir, roundCount);
    if (fanOutCount) {
      const system = await startGatewayNode(server.address, receiver.url, true, dir);
      try {
        return await measureFanOut(system, receiver, fanOutCount);
      } finally {
        await system.stop();
      }
    }
    if (endpointCount) {
      const system = await startGatewayNode(server.address, receiver.url, true, dir);
      const baseline = await startBaseline(server.address, receiver.url, 'plain');
      try {
        return await measureManyEndpoints({
          client,
          apiUrl: system.apiUrl,
          taskQueue: system.taskQueue,
          receiver,
          processes: [
            { name: 'Temporal server', pid: server.pid as number },
            { name: 'gateway node', pid: system.pid },
          ],
          count: endpointCount,
          send: (prefix) => sender(system, receiver, 1, prefix),
          sendThroughBaseline: (prefix) => sender(baseline, receiver, 1, prefix),
        });
      } finally {
        await Promise.all([system.stop(), baseline.stop()]);
      }
    }
    console.log('direct POST…');
    const direct = await measureDirect(receiver);
    let openRate = 0;
    const results: SystemResult[] = [];
    const starts = [
      () => startGatewayNode(server.address, receiver.url, true, dir),
      () => startGatewayNode(server.address, receiver.url, false, dir),
      () => startBaseline(server.address, receiver.url, 'plain'),
      () => startBaseline(server.address, receiver.url, 'fast'),
    ];
    for (const start of starts) {
      results.push(
        await measure(start, receiver, client, (closed) => {
          // The first system measured is the gateway with its fast path: every system then runs at half its most.
          openRate ||= closed.closed8.eventsPerSecond / 2;
          return openRate;
        }),
      );
    }
    printReport(direct, results, openRate);
  } finally {
    await client.connection.close();
    await receiver.close();
    await server.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  }
});
