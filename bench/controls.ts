import { closedLoop, percentile } from './load.js';
import { sender, TIME_LIMIT_MS, WARMUP_EVENTS } from './measure.js';
import { cpuSeconds } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';
import { startGatewayNode, type ObservabilityVariant } from './systems.js';

// `npm run bench -- --controls`: what each per-endpoint delivery control costs a gateway node, one endpoint, measured
// plain and with each control in turn, round after round, on one server and one receiver. The rate limit is set far
// above the load, so that what is measured is its price (an update on the entity per attempt), not its pace; the
// filter lets every event through, for the same reason. FIFO delivers one at a time by design: its figure is what
// one endpoint's line can do.

const EVENTS = 600;
const PRODUCERS = 8;
const ROUNDS = 2;

interface Measured {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly nodeCpuMs: number;
  readonly serverCpuMs: number;
}

const VARIANTS: readonly ObservabilityVariant[] = [
  { name: 'plain', metrics: true },
  { name: 'filter', metrics: true, firstEndpoint: 'filter: { data.n: { $exists: true } }' },
  { name: 'transform', metrics: true, firstEndpoint: 'transform: \'{"event": type, "n": data.n}\'' },
  { name: 'rate limit', metrics: true, firstEndpoint: 'rate_limit: { requests: 1000, per: 1s }' },
  { name: 'fifo', metrics: true, firstEndpoint: 'ordering: fifo' },
];

export async function measureControls(temporalAddress: string, serverPid: number, receiver: ArrivalReceiver, dir: string): Promise<void> {
  const measured = new Map<string, Measured[]>(VARIANTS.map((variant) => [variant.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    // Each round starts with the next variant: the server slows as its file grows, and none should always run last.
    const order = VARIANTS.map((_, index) => VARIANTS[(index + round - 1) % VARIANTS.length] as ObservabilityVariant);
    for (const variant of order) {
      const system = await startGatewayNode(temporalAddress, receiver.url, true, dir, {
        ...variant,
        name: `controls-${variant.name.replace(/[^a-z0-9]+/g, '-')}-${round}`,
        endpointIdPrefix: `ctl-${variant.name.replace(/[^a-z0-9]+/g, '-')}-${round}`,
      });
      try {
        const run = `ctl${round}${variant.name.replace(/[^a-z0-9]+/g, '')}${Date.now().toString(36)}`;
        await closedLoop(sender(system, receiver, 1, `${run}-warmup`), PRODUCERS, WARMUP_EVENTS, TIME_LIMIT_MS);
        const [nodeBefore, serverBefore] = [cpuSeconds(system.pid), cpuSeconds(serverPid)];
        const result = await closedLoop(sender(system, receiver, 1, run), PRODUCERS, EVENTS, TIME_LIMIT_MS);
        const perEvent = (seconds: number): number => (seconds * 1_000) / result.events;
        const entry: Measured = {
          eventsPerSecond: result.eventsPerSecond,
          p50Ms: percentile(result.latenciesMs, 0.5),
          nodeCpuMs: perEvent(cpuSeconds(system.pid) - nodeBefore),
          serverCpuMs: perEvent(cpuSeconds(serverPid) - serverBefore),
        };
        measured.get(variant.name)?.push(entry);
        console.log(`  round ${round}, ${variant.name}: ${entry.eventsPerSecond.toFixed(1)} events/s, p50 ${entry.p50Ms.toFixed(0)} ms`);
      } finally {
        await system.stop();
      }
    }
  }
  const plain = measured.get('plain') ?? [];
  const list = (values: readonly number[], digits = 1): string => values.map((value) => value.toFixed(digits)).join(', ');
  console.log(`\n${EVENTS} events per run, ${PRODUCERS} producers, one endpoint, fast path on\n`);
  console.log('| endpoint | events/s per round | ÷ plain, same round | p50 ms | node CPU ms/event | server CPU ms/event |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const variant of VARIANTS) {
    const own = measured.get(variant.name) ?? [];
    const ratios = own.map((entry, index) => entry.eventsPerSecond / (plain[index]?.eventsPerSecond ?? entry.eventsPerSecond));
    console.log(
      `| ${variant.name}${variant.firstEndpoint ? ` (\`${variant.firstEndpoint}\`)` : ''} | ${list(own.map((entry) => entry.eventsPerSecond))} | ${list(ratios, 2)} | ${list(
        own.map((entry) => entry.p50Ms),
        0,
      )} | ${list(own.map((entry) => entry.nodeCpuMs))} | ${list(own.map((entry) => entry.serverCpuMs))} |`,
    );
  }
}
