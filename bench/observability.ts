import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closedLoop, percentile } from './load.js';
import { sender, TIME_LIMIT_MS, WARMUP_EVENTS } from './measure.js';
import type { ArrivalReceiver } from './receiver.js';
import { startGatewayNode, type ObservabilityVariant } from './systems.js';

// `npm run bench -- --observability`: what metrics and tracing cost a gateway node, measured with them off, with
// metrics (scraped every 5 s, the SDK's included), and with metrics and traces exported to an OTLP endpoint on
// loopback, in turn, twice over, on one server and one receiver.

const EVENTS = 1_500;
const PRODUCERS = 8;
const ROUNDS = 3;
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

export async function measureObservability(temporalAddress: string, receiver: ArrivalReceiver, dir: string): Promise<void> {
  const sink = await startOtlpSink();
  const variants: ObservabilityVariant[] = [
    { name: 'metrics off', metrics: false },
    { name: 'metrics on', metrics: true },
    { name: 'metrics and tracing on', metrics: true, otlpEndpoint: sink.url },
  ];
  const rates = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  const medians = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const variant of variants) {
        const system = await startGatewayNode(temporalAddress, receiver.url, true, dir, {
          ...variant,
          name: `${variant.name.replaceAll(' ', '-')}-${round}`,
        });
        const scraper = variant.metrics
          ? setInterval(
              () =>
                void fetch(`${system.apiUrl}/metrics`).then(
                  (response) => response.text(),
                  () => '',
                ),
              SCRAPE_INTERVAL_MS,
            )
          : undefined;
        try {
          const run = `obs${round}${variant.name.replaceAll(' ', '')}${Date.now().toString(36)}`;
          await closedLoop(sender(system, receiver, 1, `${run}-warmup`), PRODUCERS, WARMUP_EVENTS, TIME_LIMIT_MS);
          const result = await closedLoop(sender(system, receiver, 1, run), PRODUCERS, EVENTS, TIME_LIMIT_MS);
          rates.get(variant.name)?.push(result.eventsPerSecond);
          medians.get(variant.name)?.push(percentile(result.latenciesMs, 0.5));
          console.log(
            `  round ${round}, ${variant.name}: ${result.eventsPerSecond.toFixed(1)} events/s, p50 ${percentile(result.latenciesMs, 0.5).toFixed(0)} ms`,
          );
        } finally {
          clearInterval(scraper);
          await system.stop();
        }
      }
    }
  } finally {
    await sink.close();
  }
  const off = rates.get('metrics off') ?? [];
  console.log(`\n${EVENTS} events per run, ${PRODUCERS} producers, one endpoint; ${sink.spans()} spans reached the OTLP endpoint\n`);
  console.log('| gateway node | events/s per round | ÷ metrics off, same round | p50 ms per round |');
  console.log('| --- | --- | --- | --- |');
  for (const variant of variants) {
    const own = rates.get(variant.name) ?? [];
    const ratios = own.map((rate, index) => (rate / (off[index] ?? rate)).toFixed(2));
    console.log(
      `| ${variant.name} | ${own.map((rate) => rate.toFixed(1)).join(', ')} | ${ratios.join(', ')} | ${(medians.get(variant.name) ?? []).map((ms) => ms.toFixed(0)).join(', ')} |`,
    );
  }
}
