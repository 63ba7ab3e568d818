import type { ArrivalReceiver } from './receiver.js';
import type { ObservabilityVariant } from './systems.js';
import { measureVariantRounds, printRoundTable } from './variants.js';

// `npm run bench -- --controls`: what each per-endpoint delivery control costs a gateway node, one endpoint, measured
// plain and with each control in turn, round after round, on one server and one receiver. The rate limit is set far
// above the load, so that what is measured is its price (an update on the entity per attempt), not its pace; the
// filter lets every event through, for the same reason. FIFO delivers one at a time by design: its figure is what
// one endpoint's line can do.

const EVENTS = 600;
const PRODUCERS = 8;
const ROUNDS = 2;

const VARIANTS: readonly ObservabilityVariant[] = [
  { name: 'plain', metrics: true },
  { name: 'filter', metrics: true, firstEndpoint: 'filter: { data.n: { $exists: true } }' },
  { name: 'transform', metrics: true, firstEndpoint: 'transform: \'{"event": type, "n": data.n}\'' },
  { name: 'rate limit', metrics: true, firstEndpoint: 'rate_limit: { requests: 1000, per: 1s }' },
  { name: 'fifo', metrics: true, firstEndpoint: 'ordering: fifo' },
];

export async function measureControls(temporalAddress: string, serverPid: number, receiver: ArrivalReceiver, dir: string): Promise<void> {
  const slug = (variant: ObservabilityVariant): string => variant.name.replace(/[^a-z0-9]+/g, '-');
  const measured = await measureVariantRounds({
    temporalAddress,
    serverPid,
    receiver,
    dir,
    variants: VARIANTS,
    events: EVENTS,
    producers: PRODUCERS,
    rounds: ROUNDS,
    nodeName: (variant, round) => ({ name: `controls-${slug(variant)}-${round}` }),
  });
  console.log(`\n${EVENTS} events per run, ${PRODUCERS} producers, one endpoint, fast path on\n`);
  printRoundTable('endpoint', VARIANTS, measured, 'plain', (variant) =>
    variant.firstEndpoint ? `${variant.name} (\`${variant.firstEndpoint}\`)` : variant.name,
  );
}
