import type { Client } from '@temporalio/client';
import { closedLoop, median, openLoopOf, percentile } from './load.js';
import { OPEN_LOOP_MS, SCENARIOS, sender, TIME_LIMIT_MS, WARMUP_EVENTS, WARMUP_PRODUCERS } from './measure.js';
import type { ArrivalReceiver } from './receiver.js';
import { describeVitals, scrapeNodeVitals, vitalsBetween } from './node-vitals.js';
import { EAGER, FAST } from './rounds.js';
import { startBaseline, startGatewayNode, type SystemUnderTest } from './systems.js';
import { roundOrder, sayIfUneven } from './variants.js';

// `npm run bench -- --latency`: where the time from POST to receipt goes, for the gateway (fast path on) and for (b),
// the hand-written eager start + local activity, in the open loop `npm run bench` measures latency with (half the
// gateway's most at 8 producers, measured first, on a node of its own). Every event's history gives two instants
// besides the benchmark's own (the POST sent, its 202, the receipt): the start as the server recorded it, and the
// local activity as the worker scheduled it (its marker's original schedule time). One machine, one clock, so the
// differences are segments of the path:
//   POST → start recorded: the API (or (b)'s handler) and the server's start;
//   start recorded → local activity scheduled: the start's answer with its eager task, and the workflow's first activation;
//   scheduled → receipt: the local activity's dispatch, its preparation (signing, for the gateway) and the request.
// The two systems alternate, round by round, on one server.

const RATE_LOOP = SCENARIOS.find((scenario) => scenario.key === 'closed8');
// Past the p99 target twice over: an event this slow was held up somewhere, not merely queued.
const SLOW_MS = 100;

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

interface RoundSegments {
  readonly events: number;
  /** Events whose history had no local activity (a first attempt run as an activity): left out of the segments. */
  readonly withoutMarker: number;
  readonly segments: readonly Percentiles[];
}

/** A protobuf timestamp in ms; `seconds` arrives as a Long, which `Number` reads through its decimal string. */
function timestampMs(time: { readonly seconds?: unknown; readonly nanos?: number | null } | null | undefined): number | undefined {
  if (!time || (typeof time.seconds !== 'number' && typeof time.seconds !== 'object')) return undefined;
  return Number(time.seconds) * 1_000 + (time.nanos ?? 0) / 1e6;
}

/** The start's recorded time and the first local activity's schedule time, from a workflow's history. */
async function instantsOf(client: Client, workflowId: string): Promise<Pick<EventTimes, 'started' | 'scheduled'>> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const marker = events.find((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  const data = marker?.markerRecordedEventAttributes?.details?.['data']?.payloads?.[0]?.data;
  const details = data
    ? (JSON.parse(Buffer.from(data).toString('utf8')) as { original_schedule_time?: { seconds?: unknown; nanos?: number } })
    : {};
  const started = timestampMs(events[0]?.eventTime);
  const scheduled = timestampMs(details.original_schedule_time);
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
  // The benchmark's instants are monotonic; the server's and the worker's are wall-clock time. A step of the wall clock
  // since this process started would shift every segment that compares them.
  const epochOf = (monotonic: number): number => performance.timeOrigin + monotonic;
  const drift = Math.abs(epochOf(performance.now()) - Date.now());
  if (drift > 1) console.log(`  (the wall clock has moved ${drift.toFixed(1)} ms from the monotonic one: segments are off by as much)`);
  const { results } = await openLoopOf(
    async (index) => {
      const id = `${prefix}-${index}`;
      const sent = performance.now();
      await system.send(id, 1);
      const answered = performance.now();
      const [received = Number.NaN] = await receiver.arrivals(id, 1);
      return { id, sent: epochOf(sent), answered: epochOf(answered), received: epochOf(received) };
    },
    rate,
    OPEN_LOOP_MS,
  );
  // Histories are read after the loop, so that reading them does not load the system being measured.
  const times: EventTimes[] = [];
  for (const event of results) times.push({ ...event, ...(await instantsOf(client, system.workflowIdOf(event.id))) });
  return times;
}

/** A stall is many events slow at once: when in the round the slow ones were, and how the slowest one's time went. */
function describeSlowest(times: readonly EventTimes[], overMs: number): string {
  const first = Math.min(...times.map((t) => t.sent));
  const slow = times.filter((t) => t.received - t.sent > overMs).sort((a, b) => a.sent - b.sent);
  // An event that never arrived has no time to rank by.
  const worst = times.filter((t) => Number.isFinite(t.received)).sort((a, b) => b.received - b.sent - (a.received - a.sent))[0];
  if (!worst || slow.length === 0) return `none over ${overMs} ms`;
  const at = (t: EventTimes): string => ((t.sent - first) / 1_000).toFixed(1);
  const segments = SEGMENTS.map((segment) => `${segment.label} ${segment.of(worst).toFixed(0)}`).join(', ');
  return `${slow.length} over ${overMs} ms, sent from ${at(slow[0] as EventTimes)} s to ${at(slow.at(-1) as EventTimes)} s; the slowest at ${at(worst)} s: ${segments} ms`;
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
  if (!RATE_LOOP) throw new Error('npm run bench has no closed loop at 8 producers to one endpoint');
  const startGateway = () => startGatewayNode(temporalAddress, receiver.url, true, dir, { name: 'latency', metrics: true });
  const systems = [
    { name: FAST, start: startGateway },
    { name: EAGER, start: () => startBaseline(temporalAddress, receiver.url, 'fast') },
  ];

  // The rate `npm run bench` uses, on a node of its own: no round starts with a closed loop the others do not have.
  const probe = await startGateway();
  let rate: number;
  try {
    const run = `latrate${Date.now().toString(36)}`;
    await closedLoop(sender(probe, receiver, 1, `${run}-warmup`), WARMUP_PRODUCERS, WARMUP_EVENTS, TIME_LIMIT_MS);
    const closed = await closedLoop(sender(probe, receiver, 1, run), RATE_LOOP.producers, RATE_LOOP.events, TIME_LIMIT_MS);
    rate = closed.eventsPerSecond / 2;
    console.log(
      `open loop at ${rate.toFixed(1)} events/s (half the gateway's ${closed.eventsPerSecond.toFixed(1)} at ${RATE_LOOP.producers} producers)`,
    );
  } finally {
    await probe.stop();
  }

  sayIfUneven(systems.length, rounds);
  const measured = new Map(systems.map((system) => [system.name, [] as RoundSegments[]]));
  for (let round = 1; round <= rounds; round++) {
    for (const entry of roundOrder(systems.length, round).map((index) => systems[index] as (typeof systems)[number])) {
      const system = await entry.start();
      try {
        const run = `lat${round}${entry.name.replace(/[^a-z0-9]+/g, '')}${Date.now().toString(36)}`;
        await closedLoop(sender(system, receiver, 1, `${run}-warmup`), WARMUP_PRODUCERS, WARMUP_EVENTS, TIME_LIMIT_MS);
        // The node's own account of its main thread over the round: what held its event loop up, and for how long.
        // A diagnostic: a scrape that fails leaves the round without it rather than ending the benchmark.
        const vitalsOf = 'apiUrl' in system ? () => scrapeNodeVitals(system.apiUrl as string).catch(() => undefined) : undefined;
        const before = await vitalsOf?.();
        const times = await timedOpenLoop(system, receiver, client, rate, run);
        const after = await vitalsOf?.();
        const result: RoundSegments = {
          events: times.length,
          withoutMarker: times.filter((t) => t.scheduled === undefined).length,
          segments: SEGMENTS.map((segment) => percentilesOf(times.map(segment.of))),
        };
        measured.get(entry.name)?.push(result);
        const segments = SEGMENTS.map(
          (segment, index) => `${segment.label} ${(result.segments[index] ?? []).map((ms) => ms.toFixed(0)).join('/')}`,
        );
        console.log(
          `  round ${round}, ${entry.name}: ${result.events} events (${result.withoutMarker} without a local activity), ${segments.join(', ')} ms (p50/p99)`,
        );
        console.log(`    slow events: ${describeSlowest(times, SLOW_MS)}`);
        if (before && after) console.log(`    its node: ${describeVitals(vitalsBetween(before, after))}`);
      } finally {
        await system.stop();
      }
    }
  }

  console.log(
    `\nopen loop at ${rate.toFixed(1)} events/s, ${OPEN_LOOP_MS / 1_000} s per round, ${rounds} rounds: p50 / p99 ms, median of the rounds'\n`,
  );
  console.log(`| system | events per round | ${SEGMENTS.map((segment) => segment.label).join(' | ')} |`);
  console.log(`| --- | ---: | ${SEGMENTS.map(() => '---:').join(' | ')} |`);
  for (const system of systems) {
    const own = measured.get(system.name) ?? [];
    const cells = SEGMENTS.map((_, index) =>
      [0, 1].map((which) => median(own.map((run) => run.segments[index]?.[which] ?? Number.NaN)).toFixed(0)).join(' / '),
    );
    console.log(`| ${system.name} | ${median(own.map((run) => run.events)).toFixed(0)} | ${cells.join(' | ')} |`);
  }
}
