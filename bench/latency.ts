import type { Client } from '@temporalio/client';
import { closedLoop, median, percentile } from './load.js';
import { OPEN_LOOP_MS, sender, TIME_LIMIT_MS, WARMUP_EVENTS, WARMUP_PRODUCERS } from './measure.js';
import type { ArrivalReceiver } from './receiver.js';
import { startBaseline, startGatewayNode, type SystemUnderTest } from './systems.js';

// `npm run bench -- --latency`: where the time from POST to receipt goes, for the gateway (fast path on) and for (b),
// the hand-written eager start + local activity, in the open loop `npm run bench` measures latency with (half the
// gateway's most at 8 producers). Every event's history gives two instants besides the benchmark's own (the POST
// sent, its 202, the receipt): the start as the server recorded it, and the local activity as the worker scheduled
// it (its marker's original schedule time). One machine, one clock, so the differences are segments of the path:
//   POST → start recorded: the API (or (b)'s handler) and the server's start;
//   start recorded → local activity scheduled: the start's answer with its eager task, and the workflow's first activation;
//   scheduled → receipt: the local activity's dispatch, its preparation (signing, for the gateway) and the request.
// The two systems alternate, round by round, on one server.

const CLOSED_EVENTS = 400;
const PRODUCERS = 8;

/** One event's instants, in ms since the epoch. */
interface EventTimes {
  readonly sent: number;
  readonly answered: number;
  readonly received: number;
  readonly started?: number;
  readonly scheduled?: number;
}

const SEGMENTS = [
  { label: 'POST → receipt', of: (t: EventTimes) => t.received - t.sent },
  { label: 'POST → 202', of: (t: EventTimes) => t.answered - t.sent },
  { label: 'POST → start recorded', of: (t: EventTimes) => (t.started ?? Number.NaN) - t.sent },
  { label: 'start → local activity scheduled', of: (t: EventTimes) => (t.scheduled ?? Number.NaN) - (t.started ?? Number.NaN) },
  { label: 'scheduled → receipt', of: (t: EventTimes) => t.received - (t.scheduled ?? Number.NaN) },
] as const;

type Percentiles = readonly [p50: number, p99: number];

interface Instants {
  readonly started?: number;
  readonly scheduled?: number;
}

/** The start's recorded time and the first local activity's schedule time, from a workflow's history. */
async function instantsOf(client: Client, workflowId: string): Promise<Instants> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (time: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined =>
    time ? Number(time.seconds ?? 0) * 1_000 + (time.nanos ?? 0) / 1e6 : undefined;
  const marker = events.find((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  const data = marker?.markerRecordedEventAttributes?.details?.['data']?.payloads?.[0]?.data;
  const details = data
    ? (JSON.parse(Buffer.from(data).toString('utf8')) as { original_schedule_time?: { seconds: number; nanos: number } })
    : {};
  const started = ms(events[0]?.eventTime);
  const scheduled = ms(details.original_schedule_time);
  return { ...(started === undefined ? {} : { started }), ...(scheduled === undefined ? {} : { scheduled }) };
}

/** An open loop at `rate` for the benchmark's usual time, each event's instants recorded. */
async function timedOpenLoop(
  system: SystemUnderTest,
  receiver: ArrivalReceiver,
  client: Client,
  rate: number,
  prefix: string,
): Promise<EventTimes[]> {
  const wallClock = (monotonic: number): number => performance.timeOrigin + monotonic;
  const count = Math.floor((rate * OPEN_LOOP_MS) / 1_000);
  const begun = performance.now();
  const inFlight: Promise<{ id: string; sent: number; answered: number; received: number }>[] = [];
  for (let index = 0; index < count; index++) {
    const wait = begun + (index * 1_000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = `${prefix}-${index}`;
    inFlight.push(
      (async () => {
        const sent = performance.now();
        await system.send(id, 1);
        const answered = performance.now();
        const [received = Number.NaN] = await receiver.arrivals(id, 1);
        return { id, sent: wallClock(sent), answered: wallClock(answered), received: wallClock(received) };
      })(),
    );
  }
  const arrived = await Promise.all(inFlight);
  // Histories are read after the loop, so that reading them does not load the system being measured.
  const times: EventTimes[] = [];
  for (const event of arrived) times.push({ ...event, ...(await instantsOf(client, system.workflowIdOf(event.id))) });
  return times;
}

function percentilesOf(values: readonly number[]): Percentiles {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  return [percentile(sorted, 0.5), percentile(sorted, 0.99)];
}

export async function measureLatencySegments(
  temporalAddress: string,
  client: Client,
  receiver: ArrivalReceiver,
  dir: string,
  rounds: number,
): Promise<void> {
  const systems = [
    {
      name: 'gateway, fast path on',
      start: () => startGatewayNode(temporalAddress, receiver.url, true, dir, { name: 'latency', metrics: true }),
    },
    { name: '(b) eager start + local activity', start: () => startBaseline(temporalAddress, receiver.url, 'fast') },
  ];
  const measured = new Map(systems.map((system) => [system.name, [] as { events: number; segments: Percentiles[] }[]]));
  let rate = 0;
  for (let round = 1; round <= rounds; round++) {
    // Alternating who goes first: the server slows as its file grows, and a system inherits the one before.
    for (const entry of round % 2 === 1 ? systems : [...systems].reverse()) {
      const system = await entry.start();
      try {
        const run = `lat${round}${entry.name.startsWith('gateway') ? 'gw' : 'b'}${Date.now().toString(36)}`;
        await closedLoop(sender(system, receiver, 1, `${run}-warmup`), WARMUP_PRODUCERS, WARMUP_EVENTS, TIME_LIMIT_MS);
        if (rate === 0) {
          // The rate `npm run bench` uses: half the gateway's most at 8 producers, measured once, first.
          const closed = await closedLoop(sender(system, receiver, 1, `${run}-closed`), PRODUCERS, CLOSED_EVENTS, TIME_LIMIT_MS);
          if (!entry.name.startsWith('gateway')) throw new Error('the rate is set by the gateway, which runs first');
          rate = closed.eventsPerSecond / 2;
          console.log(
            `open loop at ${rate.toFixed(1)} events/s (half the gateway's ${closed.eventsPerSecond.toFixed(1)} at ${PRODUCERS} producers)`,
          );
        }
        const times = await timedOpenLoop(system, receiver, client, rate, run);
        const segments = SEGMENTS.map((segment) => percentilesOf(times.map(segment.of)));
        measured.get(entry.name)?.push({ events: times.length, segments });
        console.log(
          `  round ${round}, ${entry.name}: ${SEGMENTS.map((segment, index) => `${segment.label} ${(segments[index] ?? []).map((ms) => ms.toFixed(0)).join('/')}`).join(', ')} ms (p50/p99)`,
        );
      } finally {
        await system.stop();
      }
    }
  }

  console.log(
    `\nopen loop at ${rate.toFixed(1)} events/s, ${OPEN_LOOP_MS / 1_000} s per round, ${rounds} rounds: p50 / p99 ms, median of the rounds'\n`,
  );
  console.log(`| system | ${SEGMENTS.map((segment) => segment.label).join(' | ')} |`);
  console.log(`| --- | ${SEGMENTS.map(() => '---:').join(' | ')} |`);
  for (const system of systems) {
    const own = measured.get(system.name) ?? [];
    const cells = SEGMENTS.map((_, index) =>
      [0, 1].map((which) => median(own.map((run) => run.segments[index]?.[which] ?? Number.NaN)).toFixed(0)).join(' / '),
    );
    console.log(`| ${system.name} | ${cells.join(' | ')} |`);
  }
}
