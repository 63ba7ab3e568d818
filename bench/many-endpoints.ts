import { setTimeout as delay } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { createTemporalRegistry } from '../gateway/endpoint-registry.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import { pauseSignal, resumeSignal } from '../workflows/index.js';
import { createEndpoints } from './endpoints.js';
import { closedLoop, percentile, type SendEvent } from './load.js';
import { cpuShare, residentMiB } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';

// `npm run bench -- --endpoints N` (and with `--cluster`): what N endpoints cost a gateway that has no traffic (a node
// on the embedded server, or a cluster's server, API and worker), how fast a pause reaches routing among them, and
// whether they slow down the events of the one endpoint that gets any.

export interface ManyEndpointsOptions {
  readonly client: Client;
  /** The gateway's API (a node's, or a cluster's load balancer), for creating the endpoints as an operator would. */
  readonly apiUrl: string;
  readonly taskQueue: string;
  readonly receiver: ArrivalReceiver;
  /** Whose idle CPU is measured: the Temporal server and the gateway's processes. */
  readonly processes: readonly WatchedProcess[];
  readonly count: number;
  readonly send: (prefix: string) => SendEvent;
  /** The same load through (a), the hand-written workflow + activity, on the same server: what the server's own growth costs. */
  readonly sendThroughBaseline: (prefix: string) => SendEvent;
}

export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

const { EventType } = proto.temporal.api.enums.v1;

const IDLE_WINDOW_MS = 30_000;
const SETTLE_WINDOW_MS = 5_000;
// A window is quiet when every process watched used less than this share of a core in it.
const SETTLED_SHARE = 0.02;
// Windows watched at most after the first 10 s: five minutes in all, then idle is measured as it is.
const SETTLE_WINDOWS = 58;
// Quiet windows in a row that count as settled: a backlog worked off in bursts has lulls of one window (seen on
// PostgreSQL: settled after one quiet window, then the worker at 8.7 % over the next 30 s).
const QUIET_WINDOWS = 3;

// A change slower than this has its stages printed from the entity's history: where the time went.
const SLOW_PROPAGATION_MS = 500;

/**
 * The entity's history events since `sentAt`, each as milliseconds after it, by the server's clock. A second before
 * it too: the server's clock and this process's may differ by a little, and an event is better shown early than lost.
 */
async function stagesOf(handle: WorkflowHandle, sentAt: number): Promise<string> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events
    .map((event) => ({
      type: event.eventType ?? 0,
      at: Number(event.eventTime?.seconds ?? 0) * 1_000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6),
    }))
    .filter(({ at }) => at >= sentAt - 1_000)
    .map(({ type, at }) => `${EventType[type]?.replace('EVENT_TYPE_', '').toLowerCase() ?? type} +${at - sentAt}`)
    .join(', ');
}

export async function measureManyEndpoints(options: ManyEndpointsOptions): Promise<void> {
  const { client, count, processes } = options;
  // Each system measured twice, alternating, before and after: one sample each moved the ratio by a quarter here.
  const throughputs = async (label: string): Promise<{ gateway: number; baseline: number }> => {
    const sample = async (send: (prefix: string) => SendEvent): Promise<number> =>
      (await closedLoop(send(`many${Date.now().toString(36)}`), 8, 400, 120_000)).eventsPerSecond;
    const gateway: number[] = [];
    const baseline: number[] = [];
    for (let round = 0; round < 2; round++) {
      gateway.push(await sample(options.send));
      baseline.push(await sample(options.sendThroughBaseline));
    }
    const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(
      `  events/s, 8 producers, ${label}: gateway ${gateway.map((value) => value.toFixed(1)).join(', ')}; (a) workflow + activity ${baseline.map((value) => value.toFixed(1)).join(', ')}`,
    );
    return { gateway: mean(gateway), baseline: mean(baseline) };
  };

  // Warmed up first, as the measure after is: a node's first events run cold (JIT, caches, connections).
  await closedLoop(options.send(`warm${Date.now().toString(36)}`), 8, 200, 120_000);
  await closedLoop(options.sendThroughBaseline(`warm${Date.now().toString(36)}`), 8, 200, 120_000);
  const before = await throughputs(`with the bench's 10 endpoints`);
  console.log(`creating ${count} endpoints through the API…`);
  const started = Date.now();
  // Subscribed to types no benchmark event has: they are routed nothing, only held in the index.
  await createEndpoints(options.apiUrl, count, (index) => ({
    id: `many-${index}`,
    url: `${options.receiver.url}/many`,
    events: [`many.${index}`],
  }));
  console.log(`  created in ${((Date.now() - started) / 1000).toFixed(0)} s; letting it settle…`);
  // Creating thousands of entities leaves work behind (their first tasks, their announcements to the change log, the
  // server's own writes): idle is measured once that is done, as it would be an hour later, and the time it took is
  // reported. Bounded: a system that never settles is measured all the same after five minutes.
  const settleStarted = Date.now();
  await delay(10_000);
  let quiet = 0;
  for (let window = 0; window < SETTLE_WINDOWS && quiet < QUIET_WINDOWS; window++) {
    const shares = await Promise.all(processes.map(({ pid }) => cpuShare(pid, SETTLE_WINDOW_MS)));
    quiet = shares.every((share) => share < SETTLED_SHARE) ? quiet + 1 : 0;
  }
  const settleSeconds = ((Date.now() - settleStarted) / 1000).toFixed(0);
  console.log(quiet >= QUIET_WINDOWS ? `  settled after ${settleSeconds} s` : `  not settled after ${settleSeconds} s: measured as it is`);

  const idle = await Promise.all(processes.map(({ pid }) => cpuShare(pid, IDLE_WINDOW_MS)));
  const each = processes.map(
    ({ name, pid }, index) => `${name} ${((idle[index] ?? 0) * 100).toFixed(1)} % of a core (RSS ${residentMiB(pid).toFixed(0)} MiB)`,
  );
  console.log(`  idle for ${IDLE_WINDOW_MS / 1000} s with ${count + 10} endpoints: ${each.join(', ')}`);

  // Routing's view as any process has it: a registry of the same code, here, following the same change log.
  const registry = createTemporalRegistry({ client, taskQueue: options.taskQueue, configEndpoints: [] });
  try {
    await registry.ready;
    const propagation: number[] = [];
    for (let round = 0; round < 10; round++) {
      const id = `many-${round}`;
      for (const [signal, status] of [
        [pauseSignal, 'paused'],
        [resumeSignal, 'active'],
      ] as const) {
        const sent = performance.now();
        const sentAt = Date.now();
        const handle = client.workflow.getHandle(endpointWorkflowId(id));
        await handle.signal(signal);
        for (const deadline = sent + 30_000; registry.status(id)?.status !== status;) {
          if (performance.now() > deadline) throw new Error(`${id} did not become ${status} in routing within 30 s`);
          await delay(2);
        }
        const took = performance.now() - sent;
        propagation.push(took);
        if (took > SLOW_PROPAGATION_MS) console.log(`  slow: ${id} ${status} in ${took.toFixed(0)} ms; ${await stagesOf(handle, sentAt)}`);
      }
    }
    propagation.sort((a, b) => a - b);
    console.log(
      `  pause or resume → routing: median ${percentile(propagation, 0.5).toFixed(0)} ms, slowest of ${propagation.length} ${propagation.at(-1)?.toFixed(0)} ms`,
    );
  } finally {
    await registry.close();
  }

  const after = await throughputs(`with ${count + 10} endpoints`);
  const gatewayRatio = after.gateway / before.gateway;
  const baselineRatio = after.baseline / before.baseline;
  console.log(
    `  throughput with ${count + 10} endpoints ÷ with 10: gateway ${gatewayRatio.toFixed(2)}, (a) on the same server ${baselineRatio.toFixed(2)}; gateway's own ${(gatewayRatio / baselineRatio).toFixed(2)}`,
  );
}
