import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ArrivalReceiver } from './receiver.js';
import type { ObservabilityVariant } from './systems.js';
import { measureVariantRounds, printVariantTable } from './variants.js';

// `npm run bench -- --observability`: what metrics and tracing cost a gateway node, measured with them off, with
// metrics (scraped every 5 s, the SDK's included), with metrics and every trace exported to an OTLP endpoint on
// loopback, and the same with the workflows' own spans, in turn, round after round, on one server and one receiver.

const EVENTS = 1_500;
const PRODUCERS = 8;
const ROUNDS = 5;
const SCRAPE_INTERVAL_MS = 5_000;

/** An OTLP/HTTP endpoint that takes traces and counts their spans, as a collector would take them. */
async function startOtlpSink(): Promise<{ url: string; spans: () => number; close: () => Promise<void> }> {
  let spans = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
        };
        for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      } catch {
        // Not JSON (a protobuf exporter): taken, not counted.
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

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
    printVariantTable('gateway node', variants, measured, 'metrics off');
  } finally {
    await sink.close();
  }
}
