import { startOtlpSink } from './otlp-sink.js';
import type { ArrivalReceiver } from './receiver.js';
import type { ObservabilityVariant } from './systems.js';
import { measureVariantRounds, printRoundTable } from './variants.js';

// `npm run bench -- --observability`: what metrics and tracing cost a gateway node, measured with them off, with
// metrics (scraped every 5 s, the SDK's included), with metrics and every trace exported to an OTLP endpoint on
// loopback, and the same with the workflows' own spans, in turn, round after round, on one server and one receiver.

const EVENTS = 1_500;
const PRODUCERS = 8;
// Eight: five rounds' medians still moved by several percent from run to run on this machine, and a multiple of the
// four variants keeps their order balanced (see roundOrder).
const ROUNDS = 8;
const SCRAPE_INTERVAL_MS = 5_000;

export async function measureObservability(
  temporalAddress: string,
  serverPid: number,
  receiver: ArrivalReceiver,
  dir: string,
): Promise<void> {
  const sink = await startOtlpSink();
  const variants: ObservabilityVariant[] = [
    { name: 'metrics off', metrics: false },
    { name: 'metrics on', metrics: true },
    { name: 'metrics and tracing on', metrics: true, otlpEndpoint: sink.url },
    {
      name: 'metrics and tracing on, with workflow spans',
      metrics: true,
      otlpEndpoint: sink.url,
      env: { WEBHOOKS_TRACE_WORKFLOWS: 'true' },
    },
  ];
  try {
    const measured = await measureVariantRounds({
      temporalAddress,
      serverPid,
      receiver,
      dir,
      variants,
      events: EVENTS,
      producers: PRODUCERS,
      rounds: ROUNDS,
      nodeName: (variant, round) => ({ name: `${variant.name.replace(/[^a-z0-9]+/g, '-')}-${round}` }),
      // Scraped as Prometheus would, so that what the scrapes cost is in the figures.
      alongside: (variant, system) => {
        if (!variant.metrics) return () => undefined;
        const scraper = setInterval(
          () =>
            void fetch(`${system.apiUrl}/metrics`).then(
              (response) => response.text(),
              () => '',
            ),
          SCRAPE_INTERVAL_MS,
        );
        return () => clearInterval(scraper);
      },
    });
    console.log(`\n${EVENTS} events per run, ${PRODUCERS} producers, one endpoint; ${sink.spans()} spans reached the OTLP endpoint\n`);
    printRoundTable('gateway node', variants, measured, 'metrics off');
  } finally {
    await sink.close();
  }
}
