import { median } from './load.js';
import { OPEN_LOOP_MS, SCENARIOS as SCENARIO_COUNTS } from './measure.js';
import type { ArrivalReceiver } from './receiver.js';
import { startBaseline, startGatewayNode } from './systems.js';
import {
  measureRounds,
  printLatencyTable,
  printRoundTable,
  sameRoundRatios,
  type ClosedScenario,
  type OpenScenario,
  type RoundResults,
  type RoundRun,
  type RoundSystem,
} from './variants.js';

// `npm run bench -- --rounds N`: the four systems of `npm run bench` in its three closed loops (8 and 32 producers
// with one endpoint, 8 with ten) and its open loop, N rounds on one server, the systems in a balanced order;
// reported as each round's ratio to (a) and the median of those. One `npm run bench` gives one sample of each ratio,
// and single samples moved by ±15 % between runs of the same code; a median over rounds, with the CPU each event took
// from the server, says what one sample cannot.

export const FAST = 'gateway, fast path on';
const PLAIN_GATEWAY = 'gateway, fast path off';
const PLAIN = '(a) workflow + activity';
export const EAGER = '(b) eager start + local activity';
// The ratios the issue sets floors for, as `npm run bench` prints them.
const RATIOS = [
  { label: 'R1 = gateway (fast path) ÷ (a)', of: FAST, to: PLAIN },
  { label: 'R1f = gateway (fast path) ÷ (b)', of: FAST, to: EAGER },
  { label: 'gateway (fast path off) ÷ (a)', of: PLAIN_GATEWAY, to: PLAIN },
] as const;
// The closed loops of `npm run bench` (bench/measure.ts), with the same counts.
const CLOSED: readonly ClosedScenario[] = SCENARIO_COUNTS.map(({ producers, fanOut, events }) => ({
  name: fanOut === 1 ? `${producers} producers, one endpoint` : `${producers} producers, ${fanOut} endpoints per event`,
  producers,
  fanOut,
  events,
}));
// Then, as `npm run bench` does, an open loop at half the gateway's most at 8 producers: here the rate of the first
// round's gateway, which runs first, so that every system and round runs at the same rate.
const OPEN: OpenScenario = {
  name: 'open loop',
  rate: (measured) => {
    const closed8 = CLOSED.find((scenario) => scenario.producers === 8 && (scenario.fanOut ?? 1) === 1);
    const first = measured.get(closed8?.name ?? '')?.get(FAST)?.[0];
    if (!first) throw new Error("the open loop's rate is half the fast-path gateway's at 8 producers, which has not been measured");
    return first.eventsPerSecond / 2;
  },
};

export async function measureHeadToHead(
  temporalAddress: string,
  serverPid: number,
  receiver: ArrivalReceiver,
  dir: string,
  rounds: number,
): Promise<void> {
  // Each gateway node keeps its name over the rounds, and with it its task queue and endpoint ids: its endpoints'
  // entities are served again when it is back, and never by the other node.
  const gateway = (fastPath: boolean, name: string): RoundSystem => ({
    name,
    start: () => startGatewayNode(temporalAddress, receiver.url, fastPath, dir, { name: 'rounds', metrics: true }),
  });
  const baseline = (mode: 'plain' | 'fast', name: string): RoundSystem => ({
    name,
    start: () => startBaseline(temporalAddress, receiver.url, mode),
  });
  const systems = [gateway(true, FAST), gateway(false, PLAIN_GATEWAY), baseline('plain', PLAIN), baseline('fast', EAGER)];
  const measured = await measureRounds({ serverPid, receiver, systems, scenarios: [...CLOSED, OPEN], rounds });
  for (const scenario of CLOSED) {
    console.log(`\n${scenario.name}: ${scenario.events} events per run, ${rounds} rounds\n`);
    printRoundTable('system', systems, measured.get(scenario.name) ?? new Map(), PLAIN);
  }
  printRatios(measured);
  console.log(`\nopen loop at ${OPEN.rate(measured).toFixed(1)} events/s, ${OPEN_LOOP_MS / 1_000} s, POST → receipt\n`);
  printLatencyTable('system', systems, measured.get(OPEN.name) ?? new Map());
}

/** Each ratio in each closed loop, of throughput and of the server's CPU per event: the median of the rounds'. */
function printRatios(measured: RoundResults): void {
  console.log(`\nratios, the median of the rounds' (each round's in brackets)\n`);
  console.log(`| ratio | ${CLOSED.map((scenario) => scenario.name).join(' | ')} |`);
  console.log(`| --- |${CLOSED.map(() => ' ---: |').join('')}`);
  const measures = [
    { label: '', pick: (run: RoundRun) => run.eventsPerSecond },
    { label: ', server CPU per event', pick: (run: RoundRun) => run.serverCpuMs },
  ];
  for (const { label, of, to } of RATIOS) {
    for (const measure of measures) {
      const cells = CLOSED.map((scenario) => {
        const runs = measured.get(scenario.name);
        const ratios = sameRoundRatios(runs?.get(of) ?? [], runs?.get(to) ?? [], measure.pick);
        return `${median(ratios).toFixed(2)} (${ratios.map((ratio) => ratio.toFixed(2)).join(', ')})`;
      });
      console.log(`| ${label}${measure.label} | ${cells.join(' | ')} |`);
    }
  }
}
