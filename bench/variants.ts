import { closedLoop, median, openLoop, percentile } from './load.js';
import { OPEN_LOOP_MS, sender, TIME_LIMIT_MS, WARMUP_EVENTS, WARMUP_PRODUCERS } from './measure.js';
import { cpuSeconds } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';
import { startGatewayNode, type GatewayUnderTest, type ObservabilityVariant, type SystemUnderTest } from './systems.js';

// Systems measured round after round on one server and one receiver: gateway nodes differing in one setting
// (`--observability`, `--controls`), or the gateway against the hand-written baselines (`--rounds`).

/** One load on one system in one round: throughput, latency, and the CPU time per event of its process and the server. */
export interface RoundRun {
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
export type RoundResults = Map<string, Map<string, RoundRun[]>>;

/**
 * The order of the systems in round `round` (from 1): a balanced Latin square (Williams). Each system runs first
 * once, and runs right after each other system once, every `count` rounds (twice `count` when it is odd). Both matter
 * on this machine: the server slows as its file grows, and a system inherits the backlog of the one before it.
 */
export function roundOrder(count: number, round: number): number[] {
  const first = Array.from({ length: count }, (_, index) => (index % 2 === 0 ? count - index / 2 : (index + 1) / 2) % count);
  const row = first.map((system) => (system + round - 1) % count);
  // With an odd count a row and its mirror together balance who follows whom.
  return count % 2 === 1 && Math.floor((round - 1) / count) % 2 === 1 ? row.reverse() : row;
}

/** How many rounds make the order of {@link roundOrder} balanced for `count` systems. */
export const balancedRounds = (count: number): number => (count % 2 === 0 ? count : 2 * count);

/** Says so when `rounds` of {@link roundOrder} leave the order of `count` systems unbalanced. */
export function sayIfUneven(count: number, rounds: number): void {
  if (rounds % balancedRounds(count) !== 0) {
    console.log(`(the order of the systems is balanced every ${balancedRounds(count)} rounds; ${rounds} leave it uneven)`);
  }
}

/** Measures the systems round after round, in the order of {@link roundOrder}. */
export async function measureRounds<S extends SystemUnderTest>(options: Rounds<S>): Promise<RoundResults> {
  const { systems, receiver, scenarios } = options;
  sayIfUneven(systems.length, options.rounds);
  const measured: RoundResults = new Map(
    scenarios.map((scenario) => [scenario.name, new Map(systems.map((system) => [system.name, [] as RoundRun[]]))]),
  );
  for (let round = 1; round <= options.rounds; round++) {
    for (const entry of roundOrder(systems.length, round).map((index) => systems[index] as RoundSystem<S>)) {
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
              ? await openLoop(send, scenario.rate(measured), OPEN_LOOP_MS)
              : await closedLoop(send, scenario.producers, scenario.events, TIME_LIMIT_MS);
          const perEvent = (seconds: number): number => (seconds * 1_000) / result.events;
          const measurement: RoundRun = {
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

export interface VariantRounds {
  readonly temporalAddress: string;
  readonly serverPid: number;
  readonly receiver: ArrivalReceiver;
  readonly dir: string;
  readonly variants: readonly ObservabilityVariant[];
  readonly events: number;
  readonly producers: number;
  readonly rounds: number;
  /** Names the node of a variant in a round (its task queue, its config file, its endpoints' ids). */
  readonly nodeName: (variant: ObservabilityVariant, round: number) => Partial<ObservabilityVariant>;
  /** Runs beside a variant's measurement (a metrics scraper); what it returns is called when the run ends. */
  readonly alongside?: (variant: ObservabilityVariant, system: GatewayUnderTest) => () => void;
}

/** Measures gateway nodes (fast path on) that differ in one setting: metrics, tracing, a delivery control. */
export async function measureVariantRounds(options: VariantRounds): Promise<Map<string, RoundRun[]>> {
  const { alongside, serverPid, receiver, rounds } = options;
  const scenario = { name: 'one endpoint', producers: options.producers, events: options.events };
  const measured = await measureRounds<GatewayUnderTest>({
    serverPid,
    receiver,
    rounds,
    scenarios: [scenario],
    systems: options.variants.map((variant) => ({
      name: variant.name,
      start: (round) =>
        startGatewayNode(options.temporalAddress, receiver.url, true, options.dir, { ...variant, ...options.nodeName(variant, round) }),
      ...(alongside ? { alongside: (system: GatewayUnderTest) => alongside(variant, system) } : {}),
    })),
  });
  return measured.get(scenario.name) ?? new Map();
}

/** Each round's `pick` of `own` divided by the same round's of `base`. */
export function sameRoundRatios(own: readonly RoundRun[], base: readonly RoundRun[], pick: (run: RoundRun) => number): number[] {
  return own.map((run, index) => pick(run) / pick(base[index] ?? run));
}

const throughput = (run: RoundRun): number => run.eventsPerSecond;
const nodeCpu = (run: RoundRun): number => run.nodeCpuMs;
const serverCpu = (run: RoundRun): number => run.serverCpuMs;
// CPU per event varies less from round to round than throughput on a shared machine: the cost as the CPU sees it.
const nodeAndServerCpu = (run: RoundRun): number => run.nodeCpuMs + run.serverCpuMs;

/** Prints the runs as a Markdown table, each round's throughput also as a ratio to `baseline`'s in the same round. */
export function printRoundTable<V extends { readonly name: string }>(
  heading: string,
  systems: readonly V[],
  measured: ReadonlyMap<string, readonly RoundRun[]>,
  baseline: string,
  label: (system: V) => string = (system) => system.name,
): void {
  const base = measured.get(baseline) ?? [];
  const list = (values: readonly number[], digits = 1): string => values.map((value) => value.toFixed(digits)).join(', ');
  console.log(
    `| ${heading} | events/s per round | ÷ ${baseline}, same round | median ratio | p50 ms | node CPU ms/event | server CPU ms/event | node CPU ÷ ${baseline}, median | node + server CPU ÷ ${baseline}, median | server CPU ÷ ${baseline}, median |`,
  );
  console.log('| --- | --- | --- | ---: | --- | --- | --- | ---: | ---: | ---: |');
  for (const system of systems) {
    const own = measured.get(system.name) ?? [];
    const ratios = sameRoundRatios(own, base, throughput);
    const cells = [
      label(system),
      list(own.map(throughput)),
      list(ratios, 2),
      median(ratios).toFixed(2),
      list(
        own.map((run) => run.p50Ms),
        0,
      ),
      list(own.map((run) => run.nodeCpuMs)),
      list(own.map(serverCpu)),
      // The node's share alone: where a setting of the gateway's own (metrics, tracing, a control) does its work.
      median(sameRoundRatios(own, base, nodeCpu)).toFixed(2),
      median(sameRoundRatios(own, base, nodeAndServerCpu)).toFixed(2),
      // The server's share alone: what an event costs Temporal, the bottleneck on this machine.
      median(sameRoundRatios(own, base, serverCpu)).toFixed(2),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

/** Prints the latency of open-loop runs as a Markdown table: each round's percentiles, and their medians. */
export function printLatencyTable<V extends { readonly name: string }>(
  heading: string,
  systems: readonly V[],
  measured: ReadonlyMap<string, readonly RoundRun[]>,
): void {
  console.log(`| ${heading} | events/s | p50 ms per round | p99 ms per round | p99.9 ms per round | median p50 / p99 / p99.9 ms |`);
  console.log('| --- | ---: | --- | --- | --- | ---: |');
  const percentiles = [(run: RoundRun) => run.p50Ms, (run: RoundRun) => run.p99Ms, (run: RoundRun) => run.p999Ms];
  for (const system of systems) {
    const own = measured.get(system.name) ?? [];
    const cells = [
      system.name,
      median(own.map(throughput)).toFixed(1),
      ...percentiles.map((pick) => own.map((run) => pick(run).toFixed(0)).join(', ')),
      percentiles.map((pick) => median(own.map(pick)).toFixed(0)).join(' / '),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}
