import { setTimeout as delay } from 'node:timers/promises';
import { median } from './load.js';
import { observabilityVariants, type ObservabilityRun } from './observability.js';
import { sender } from './measure.js';
import { startOtlpSink } from './otlp-sink.js';
import { cpuSeconds, mainThreadCpuSeconds } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';
import { scrapeLikePrometheus, startGatewayNode, type GatewayUnderTest, type ObservabilityVariant } from './systems.js';

// `npm run bench -- --observability --side-by-side`: what metrics and tracing cost a gateway node, measured on two
// nodes at once, one with and one without, on one server and one receiver. Rounds run one after another see the
// machine change under them (its speed moved by a fifth from one minute to the next, in both the node's and the
// server's CPU per event), which buried a cost of a few percent in the rounds' spread; two nodes measured over the same
// seconds share every such change, so the ratio of their CPU per event keeps what differs between them. Each pair runs
// `rounds` times with fresh nodes, and first a pair of identical nodes shows what the method itself reads as a
// difference.

const PRODUCERS_PER_NODE = 8;
// Both nodes under load before the window opens, and long enough in it for a thousand events each.
const SETTLE_MS = 5_000;
const WINDOW_MS = 30_000;
export const SIDE_BY_SIDE_ROUNDS = 4;

interface Side {
  readonly eventsPerSecond: number;
  readonly nodeCpuMs: number;
  readonly mainThreadCpuMs: number;
}

export type SideBySideRun = Pick<ObservabilityRun, 'temporalAddress' | 'receiver' | 'dir' | 'rounds'>;

export async function measureSideBySide(options: SideBySideRun): Promise<void> {
  const sink = await startOtlpSink();
  const { metricsOff, metricsOn, tracingOn } = observabilityVariants(sink.url);
  const pairs: (readonly [ObservabilityVariant, ObservabilityVariant])[] = [
    [metricsOn, metricsOn],
    [metricsOff, metricsOn],
    [metricsOff, tracingOn],
    [metricsOn, tracingOn],
  ];
  const rows: string[] = [];
  try {
    for (const [pairIndex, [base, other]] of pairs.entries()) {
      const measured: (readonly [Side, Side])[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        const [baseSide, otherSide] = await measurePair(options, [base, other], `p${pairIndex + 1}r${round}`);
        measured.push([baseSide, otherSide]);
        console.log(
          `  ${other.name} beside ${base.name}, round ${round}: ${sideText(baseSide)} | ${sideText(otherSide)} | node CPU ×${(otherSide.nodeCpuMs / baseSide.nodeCpuMs).toFixed(3)}`,
        );
      }
      const ratios = (pick: (side: Side) => number): number[] => measured.map(([baseSide, otherSide]) => pick(otherSide) / pick(baseSide));
      const cpuRatios = ratios((side) => side.nodeCpuMs);
      const cells = [
        `${other.name} beside ${base.name}`,
        cpuRatios.map((ratio) => ratio.toFixed(3)).join(', '),
        median(cpuRatios).toFixed(3),
        median(ratios((side) => side.mainThreadCpuMs)).toFixed(3),
        median(ratios((side) => side.eventsPerSecond)).toFixed(3),
      ];
      rows.push(`| ${cells.join(' | ')} |`);
    }
    console.log(
      `\n${PRODUCERS_PER_NODE} producers per node, one endpoint, ${WINDOW_MS / 1_000} s windows, medians of ${options.rounds} rounds; ${sink.spans()} spans reached the OTLP endpoint\n`,
    );
    console.log('| node (beside another) | node CPU per event ÷ the other’s, per round | median | main thread | events/s ÷ the other’s |');
    console.log('| --- | --- | ---: | ---: | ---: |');
    for (const row of rows) console.log(row);
  } finally {
    await sink.close();
  }
}

const sideText = (side: Side): string => `${side.eventsPerSecond.toFixed(1)} events/s, ${side.nodeCpuMs.toFixed(2)} ms/event`;

/** Both variants' nodes at once, loaded alike and measured over the same window. */
async function measurePair(
  options: SideBySideRun,
  [base, other]: readonly [ObservabilityVariant, ObservabilityVariant],
  label: string,
): Promise<readonly [Side, Side]> {
  // Names of their own (the pair and round in them): entities are per endpoint id, and endpoint ids follow the name.
  const start = (variant: ObservabilityVariant, role: string) =>
    startGatewayNode(options.temporalAddress, options.receiver.url, true, options.dir, {
      ...variant,
      name: `${label}-${role}-${variant.name}`.replace(/[^a-z0-9]+/g, '-'),
    });
  const started = await Promise.allSettled([start(base, 'base'), start(other, 'other')]);
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    const [baseNode, otherNode] = nodes;
    if (!baseNode || !otherNode) throw started.find((result) => result.status === 'rejected')?.reason;
    const stopScraping = [scrapeLikePrometheus(base, baseNode), scrapeLikePrometheus(other, otherNode)];
    try {
      return await loadTogether([baseNode, otherNode], options.receiver, label);
    } finally {
      for (const stop of stopScraping) stop();
    }
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

/**
 * Closed loops on both nodes until the window has closed; what each did inside it. (Not
 * `closedLoop`: that runs to a count or its own deadline, and these loads must cover the window and stop together.)
 */
async function loadTogether(
  [first, second]: readonly [GatewayUnderTest, GatewayUnderTest],
  receiver: ArrivalReceiver,
  label: string,
): Promise<readonly [Side, Side]> {
  let stopped = false;
  const nodes = [first, second] as const;
  const delivered = [0, 0];
  const producers = nodes.flatMap((node, index) => {
    const send = sender(node, receiver, 1, `${label}n${index}${Date.now().toString(36)}`);
    let next = 0;
    return Array.from({ length: PRODUCERS_PER_NODE }, async () => {
      while (!stopped) {
        await send(next++);
        delivered[index] = (delivered[index] ?? 0) + 1;
      }
    });
  });
  // A producer that fails ends the measure at once instead of leaving its node a producer short.
  const failed = new Promise<never>((_, reject) => void Promise.all(producers).catch(reject));
  const during = (ms: number): Promise<unknown> => Promise.race([delay(ms), failed]);
  const read = () =>
    nodes.map((node, index) => ({ node: cpuSeconds(node.pid), main: mainThreadCpuSeconds(node.pid), events: delivered[index] ?? 0 }));
  try {
    await during(SETTLE_MS);
    const before = read();
    const windowStart = performance.now();
    await during(WINDOW_MS);
    const after = read();
    const seconds = (performance.now() - windowStart) / 1_000;
    const side = (index: 0 | 1): Side => {
      const [start, end] = [before[index], after[index]];
      const events = (end?.events ?? 0) - (start?.events ?? 0);
      if (!start || !end || events === 0) throw new Error(`${nodes[index].name} delivered nothing in ${WINDOW_MS / 1_000} s`);
      return {
        eventsPerSecond: events / seconds,
        nodeCpuMs: ((end.node - start.node) * 1_000) / events,
        mainThreadCpuMs: ((end.main - start.main) * 1_000) / events,
      };
    };
    return [side(0), side(1)];
  } finally {
    stopped = true;
    await Promise.allSettled(producers);
  }
}
