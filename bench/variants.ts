import { closedLoop, median, openLoop, percentile } from './load.js';
import { OPEN_LOOP_MS, sender, TIME_LIMIT_MS, WARMUP_EVENTS } from './measure.js';
import { cpuSeconds } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';
import { startGatewayNode, type GatewayUnderTest, type ObservabilityVariant, type SystemUnderTest } from './systems.js';

const WARMUP_PRODUCERS = 8;

/** One run of one variant: its throughput and median latency, and the CPU time per event of the node and the server. */
export interface VariantRun {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly nodeCpuMs: number;
  readonly serverCpuMs: number;
}

/** A system measured in rounds: how to start its process for a round, and what runs beside it. */
export interface RoundSystem<S extends SystemUnderTest = SystemUnderTest> {
  readonly name: string;
  start(round: number): Promise<S>;
  /** Runs beside the measurement (a metrics scraper); what it returns is called when the run ends. */
  alongside?(system: S): () => void;
}

/** A closed loop of a round: so many events from so many producers, each for `fanOut` endpoints. */
export interface ClosedScenario {
  readonly name: string;
  readonly producers: number;
  readonly events: number;
  readonly fanOut?: number;
}

/** An open loop of a round, for `OPEN_LOOP_MS`, at the rate `rate` gives from the runs so far (half of one's, say). */
export interface OpenScenario {
  readonly name: string;
  readonly rate: (measured: RoundResults) => number;
}

export type RoundScenario = ClosedScenario | OpenScenario;

export interface Rounds<S extends SystemUnderTest = SystemUnderTest> {
  readonly serverPid: number;
  readonly receiver: ArrivalReceiver;
  readonly systems: readonly RoundSystem<S>[];
  /** Run one after the other on each system's process, once a round. */
  readonly scenarios: readonly RoundScenario[];
  readonly rounds: number;
}

/** Runs by scenario, then by system, in the order of the rounds. */
export type RoundResults = Map<string, Map<string, VariantRun[]>>;

/**
 * Measures systems round after round on one server and one receiver. Each round starts with the next system: the
 * server slows as its file grows, and no system should always run last.
 */
export async function measureRounds<S extends SystemUnderTest>(options: Rounds<S>): Promise<RoundResults> {
  const { systems, receiver, scenarios } = options;
  const measured: RoundResults = new Map(
    scenarios.map((scenario) => [scenario.name, new Map(systems.map((system) => [system.name, [] as VariantRun[]]))]),
  );
  for (let round = 1; round <= options.rounds; round++) {
    const order = systems.map((_, index) => systems[(index + round - 1) % systems.length] as RoundSystem<S>);
    for (const entry of order) {
      const system = await entry.start(round);
      const stopAlongside = entry.alongside?.(system) ?? (() => undefined);
      try {
        const run = `r${round}${entry.name.replace(/[^a-z0-9]+/g, '')}${Date.now().toString(36)}`;
        await closedLoop(sender(system, receiver, 1, `${run}-warmup`), WARMUP_PRODUCERS, WARMUP_EVENTS, TIME_LIMIT_MS);
        for (const [index, scenario] of scenarios.entries()) {
          const [nodeBefore, serverBefore] = [cpuSeconds(system.pid), cpuSeconds(options.serverPid)];
          const send = sender(system, receiver, 'fanOut' in scenario ? (scenario.fanOut ?? 1) : 1, `${run}-${index}`);
          const result =
            'rate' in scenario
              ? await openLoop(send, scenario.rate(measured), OPEN_LOOP_MS, Number.POSITIVE_INFINITY)
              : await closedLoop(send, scenario.producers, scenario.events, TIME_LIMIT_MS);
          const perEvent = (seconds: number): number => (seconds * 1_000) / result.events;
          const measurement: VariantRun = {
            eventsPerSecond: result.eventsPerSecond,
            p50Ms: percentile(result.latenciesMs, 0.5),
            p99Ms: percentile(result.latenciesMs, 0.99),
            p999Ms: percentile(result.latenciesMs, 0.999),
            nodeCpuMs: perEvent(cpuSeconds(system.pid) - nodeBefore),
            serverCpuMs: perEvent(cpuSeconds(options.serverPid) - serverBefore),
          };
          measured.get(scenario.name)?.get(entry.name)?.push(measurement);
          console.log(
            `  round ${round}, ${entry.name}${scenarios.length > 1 ? `, ${scenario.name}` : ''}: ${measurement.eventsPerSecond.toFixed(1)} events/s, p50 ${measurement.p50Ms.toFixed(0)} ms, CPU per event: node ${measurement.nodeCpuMs.toFixed(1)} ms, server ${measurement.serverCpuMs.toFixed(1)} ms`,
          );
        }
      } finally {
        stopAlongside();
        await system.stop();
      }
    }
  }
  return measured;
}

export interface VariantRounds extends Omit<Rounds, 'systems' | 'scenarios'> {
  readonly events: number;
  readonly producers: number;
  readonly temporalAddress: string;
  readonly dir: string;
  readonly variants: readonly ObservabilityVariant[];
  /** Names the node of a variant in a round (its task queue, its config file). */
  readonly nodeName: (variant: ObservabilityVariant, round: number) => Partial<ObservabilityVariant>;
  /** Runs beside a variant's measurement (a metrics scraper); what it returns is called when the run ends. */
  readonly alongside?: (variant: ObservabilityVariant, system: GatewayUnderTest) => () => void;
}

/** Measures gateway nodes that differ in one setting (metrics, tracing, a delivery control), round after round. */
export async function measureVariantRounds(options: VariantRounds): Promise<Map<string, VariantRun[]>> {
  const { alongside } = options;
  const scenario = { name: 'one endpoint', producers: options.producers, events: options.events };
  const measured = await measureRounds<GatewayUnderTest>({
    ...options,
    scenarios: [scenario],
    systems: options.variants.map((variant) => ({
      name: variant.name,
      start: (round) =>
        startGatewayNode(options.temporalAddress, options.receiver.url, true, options.dir, {
          ...variant,
          ...options.nodeName(variant, round),
        }),
      ...(alongside ? { alongside: (system: GatewayUnderTest) => alongside(variant, system) } : {}),
    })),
  });
  return measured.get(scenario.name) ?? new Map();
}

/** Prints the runs as a Markdown table, each round's throughput also as a ratio to `baseline`'s in the same round. */
export function printVariantTable<V extends { readonly name: string }>(
  heading: string,
  variants: readonly V[],
  measured: ReadonlyMap<string, readonly VariantRun[]>,
  baseline: string,
  label: (variant: V) => string = (variant) => variant.name,
): void {
  const base = measured.get(baseline) ?? [];
  const list = (values: readonly number[], digits = 1): string => values.map((value) => value.toFixed(digits)).join(', ');
  console.log(
    `| ${heading} | events/s per round | ÷ ${baseline}, same round | median ratio | p50 ms | node CPU ms/event | server CPU ms/event | node + server CPU ÷ ${baseline}, median | server CPU ÷ ${baseline}, median |`,
  );
  console.log('| --- | --- | --- | ---: | --- | --- | --- | ---: | ---: |');
  for (const variant of variants) {
    const own = measured.get(variant.name) ?? [];
    const ratios = own.map((entry, index) => entry.eventsPerSecond / (base[index]?.eventsPerSecond ?? entry.eventsPerSecond));
    // CPU per event varies less from round to round than throughput on a shared machine: the cost as the CPU sees it.
    const cpu = (entry: VariantRun): number => entry.nodeCpuMs + entry.serverCpuMs;
    const cpuRatios = own.map((entry, index) => cpu(entry) / cpu(base[index] ?? entry));
    // The server's share alone: what an event costs Temporal, the bottleneck the issue's ratios are about.
    const serverRatios = own.map((entry, index) => entry.serverCpuMs / (base[index] ?? entry).serverCpuMs);
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
      median(serverRatios).toFixed(2),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

/** Prints the latency of open-loop runs as a Markdown table: each round's percentiles, and their medians. */
export function printLatencyTable<V extends { readonly name: string }>(
  heading: string,
  systems: readonly V[],
  measured: ReadonlyMap<string, readonly VariantRun[]>,
): void {
  console.log(`| ${heading} | events/s | p50 ms per round | p99 ms per round | p99.9 ms per round | median p50 / p99 / p99.9 ms |`);
  console.log('| --- | ---: | --- | --- | --- | ---: |');
  const percentiles = [(entry: VariantRun) => entry.p50Ms, (entry: VariantRun) => entry.p99Ms, (entry: VariantRun) => entry.p999Ms];
  for (const system of systems) {
    const own = measured.get(system.name) ?? [];
    const cells = [
      system.name,
      median(own.map((entry) => entry.eventsPerSecond)).toFixed(1),
      ...percentiles.map((pick) => own.map((entry) => pick(entry).toFixed(0)).join(', ')),
      percentiles.map((pick) => median(own.map(pick)).toFixed(0)).join(' / '),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}
