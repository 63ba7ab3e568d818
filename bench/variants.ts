import { closedLoop, median, percentile } from './load.js';
import { sender, TIME_LIMIT_MS, WARMUP_EVENTS } from './measure.js';
import { cpuSeconds } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';
import { startGatewayNode, type GatewayUnderTest, type ObservabilityVariant } from './systems.js';

/** One run of one variant: its throughput and median latency, and the CPU time per event of the node and the server. */
export interface VariantRun {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly nodeCpuMs: number;
  readonly serverCpuMs: number;
}

export interface VariantRounds {
  readonly temporalAddress: string;
  readonly serverPid: number;
  readonly receiver: ArrivalReceiver;
  readonly dir: string;
  readonly variants: readonly ObservabilityVariant[];
  readonly events: number;
  readonly producers: number;
  readonly rounds: number;
  /** Names the node of a variant in a round (its task queue, its config file). */
  readonly nodeName: (variant: ObservabilityVariant, round: number) => Partial<ObservabilityVariant>;
  /** Runs beside a variant's measurement (a metrics scraper); what it returns is called when the run ends. */
  readonly alongside?: (variant: ObservabilityVariant, system: GatewayUnderTest) => () => void;
}

/**
 * Measures gateway nodes that differ in one setting, round after round on one server and one receiver. Each round
 * starts with the next variant: the server slows as its file grows, and no variant should always run last.
 */
export async function measureVariantRounds(options: VariantRounds): Promise<Map<string, VariantRun[]>> {
  const { variants, receiver } = options;
  const measured = new Map<string, VariantRun[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    const order = variants.map((_, index) => variants[(index + round - 1) % variants.length] as ObservabilityVariant);
    for (const variant of order) {
      const system = await startGatewayNode(options.temporalAddress, receiver.url, true, options.dir, {
        ...variant,
        ...options.nodeName(variant, round),
      });
      const stopAlongside = options.alongside?.(variant, system) ?? (() => undefined);
      try {
        const run = `r${round}${variant.name.replace(/[^a-z0-9]+/g, '')}${Date.now().toString(36)}`;
        await closedLoop(sender(system, receiver, 1, `${run}-warmup`), options.producers, WARMUP_EVENTS, TIME_LIMIT_MS);
        const [nodeBefore, serverBefore] = [cpuSeconds(system.pid), cpuSeconds(options.serverPid)];
        const result = await closedLoop(sender(system, receiver, 1, run), options.producers, options.events, TIME_LIMIT_MS);
        const perEvent = (seconds: number): number => (seconds * 1_000) / result.events;
        const entry: VariantRun = {
          eventsPerSecond: result.eventsPerSecond,
          p50Ms: percentile(result.latenciesMs, 0.5),
          nodeCpuMs: perEvent(cpuSeconds(system.pid) - nodeBefore),
          serverCpuMs: perEvent(cpuSeconds(options.serverPid) - serverBefore),
        };
        measured.get(variant.name)?.push(entry);
        console.log(
          `  round ${round}, ${variant.name}: ${entry.eventsPerSecond.toFixed(1)} events/s, p50 ${entry.p50Ms.toFixed(0)} ms, CPU per event: node ${entry.nodeCpuMs.toFixed(1)} ms, server ${entry.serverCpuMs.toFixed(1)} ms`,
        );
      } finally {
        stopAlongside();
        await system.stop();
      }
    }
  }
  return measured;
}

/** Prints the runs as a Markdown table, each round's throughput also as a ratio to `baseline`'s in the same round. */
export function printVariantTable(
  heading: string,
  variants: readonly ObservabilityVariant[],
  measured: ReadonlyMap<string, readonly VariantRun[]>,
  baseline: string,
  label: (variant: ObservabilityVariant) => string = (variant) => variant.name,
): void {
  const base = measured.get(baseline) ?? [];
  const list = (values: readonly number[], digits = 1): string => values.map((value) => value.toFixed(digits)).join(', ');
  console.log(
    `| ${heading} | events/s per round | ÷ ${baseline}, same round | median ratio | p50 ms | node CPU ms/event | server CPU ms/event | node + server CPU ÷ ${baseline}, median |`,
  );
  console.log('| --- | --- | --- | ---: | --- | --- | --- | ---: |');
  for (const variant of variants) {
    const own = measured.get(variant.name) ?? [];
    const ratios = own.map((entry, index) => entry.eventsPerSecond / (base[index]?.eventsPerSecond ?? entry.eventsPerSecond));
    // CPU per event varies less from round to round than throughput on a shared machine: the cost as the CPU sees it.
    const cpu = (entry: VariantRun): number => entry.nodeCpuMs + entry.serverCpuMs;
    const cpuRatios = own.map((entry, index) => cpu(entry) / cpu(base[index] ?? entry));
    const cells = [
      label(variant),
      list(own.map((entry) => entry.eventsPerSecond)),
      list(ratios, 2),
      median(ratios).toFixed(2),
      list(
        own.map((entry) => entry.p50Ms),
        0,
      ),
      list(own.map((entry) => entry.nodeCpuMs)),
      list(own.map((entry) => entry.serverCpuMs)),
      median(cpuRatios).toFixed(2),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}
