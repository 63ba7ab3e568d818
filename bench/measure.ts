import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { closedLoop, openLoop, type LoadResult, type SendEvent } from './load.js';
import { residentMiB } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';
import { FAN_OUT, type SystemUnderTest } from './systems.js';

// How one system is measured, the same way on the embedded server and on the cluster.

const { EventType } = proto.temporal.api.enums.v1;

export const WARMUP_EVENTS = 40;
export const WARMUP_PRODUCERS = 8;
export const TIME_LIMIT_MS = 90_000;
export const SCENARIOS = [
  { key: 'closed8', producers: 8, fanOut: 1, events: 400 },
  { key: 'closed32', producers: 32, fanOut: 1, events: 600 },
  { key: 'fanOut8', producers: 8, fanOut: FAN_OUT, events: 150 },
] as const;
export const OPEN_LOOP_MS = 20_000;

export interface SystemResult {
  readonly name: string;
  readonly closed: Record<(typeof SCENARIOS)[number]['key'], LoadResult>;
  readonly open: LoadResult;
  /** One one-endpoint event's history: events, and workflow tasks completed. */
  readonly history: { readonly events: number; readonly workflowTasks: number; readonly activityTasks: number };
  readonly residentMiB: number;
}

export function sender(system: SystemUnderTest, receiver: ArrivalReceiver, fanOut: number, prefix: string): SendEvent {
  return async (index) => {
    const id = `${prefix}-${index}`;
    const sent = performance.now();
    await system.send(id, fanOut);
    return (await receiver.arrivals(id, fanOut)).map((arrived) => arrived - sent);
  };
}

async function historyOf(client: Client, workflowId: string): Promise<SystemResult['history']> {
  const handle = client.workflow.getHandle(workflowId);
  await handle.result();
  const events = (await handle.fetchHistory()).events ?? [];
  const count = (type: proto.temporal.api.enums.v1.EventType): number => events.filter((event) => event.eventType === type).length;
  return {
    events: events.length,
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activityTasks: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
  };
}

export async function measure(
  start: () => Promise<SystemUnderTest>,
  receiver: ArrivalReceiver,
  client: Client,
  openRate: (closed: SystemResult['closed']) => number,
): Promise<SystemResult> {
  const system = await start();
  try {
    const run = `${system.workflowIdOf('x').startsWith('event/') ? 'gw' : 'hw'}${Date.now().toString(36)}`;
    await closedLoop(sender(system, receiver, 1, `${run}-warmup`), WARMUP_PRODUCERS, WARMUP_EVENTS, TIME_LIMIT_MS);
    const closed = {} as Record<(typeof SCENARIOS)[number]['key'], LoadResult>;
    for (const scenario of SCENARIOS) {
      closed[scenario.key] = await closedLoop(
        sender(system, receiver, scenario.fanOut, `${run}-${scenario.key}`),
        scenario.producers,
        scenario.events,
        TIME_LIMIT_MS,
      );
      console.log(`  ${system.name}: ${scenario.key} ${closed[scenario.key].eventsPerSecond.toFixed(1)} events/s`);
    }
    const rate = openRate(closed);
    const open = await openLoop(sender(system, receiver, 1, `${run}-open`), rate, OPEN_LOOP_MS);
    const history = await historyOf(client, system.workflowIdOf(`${run}-closed8-0`));
    return { name: system.name, closed, open, history, residentMiB: residentMiB(system.pid) };
  } finally {
    await system.stop();
  }
}
