import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closedLoop, percentile } from './load.js';
import { sender, TIME_LIMIT_MS, WARMUP_EVENTS } from './measure.js';
import { cpuSeconds } from './proc.js';
import type { ArrivalReceiver } from './receiver.js';
import { startGatewayNode, type ObservabilityVariant } from './systems.js';

// `npm run bench -- --observability`: what metrics and tracing cost a gateway node, measured with them off, with
// metrics (scraped every 5 s, the SDK's included), with metrics and every trace exported to an OTLP endpoint on
// loopback, and the same with the workflows' own spans, in turn, round after round, on one server and one receiver.

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

interface Measured {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  /** CPU milliseconds per event: the gateway node's, and the Temporal server's. */
  readonly nodeCpuMs: number;
  readonly serverCpuMs: number;
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
  const measured = new Map<string, Measured[]>(variants.map((variant) => [variant.name, []]));
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round starts with the next variant: the server slows as its file grows, and no variant should always
      // run last.
      const order = variants.map((_, index) => variants[(index + round - 1) % variants.length] as ObservabilityVariant);
      for (const variant of order) {
        const system = await startGatewayNode(temporalAddress, receiver.url, true, dir, {
          ...variant,
          name: `${variant.name.replace(/[^a-z0-9]+/g, '-')}-${round}`,
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
          const run = `obs${round}${variant.name.replace(/[^a-z0-9]+/g, '')}${Date.now().toString(36)}`;
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
          console.log(
            `  round ${round}, ${variant.name}: ${entry.eventsPerSecond.toFixed(1)} events/s, p50 ${entry.p50Ms.toFixed(0)} ms, CPU per event: node ${entry.nodeCpuMs.toFixed(1)} ms, server ${entry.serverCpuMs.toFixed(1)} ms`,
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
  const off = measured.get('metrics off') ?? [];
  const list = (values: readonly number[], digits = 1): string => values.map((value) => value.toFixed(digits)).join(', ');
  console.log(`\n${EVENTS} events per run, ${PRODUCERS} producers, one endpoint; ${sink.spans()} spans reached the OTLP endpoint\n`);
  console.log('| gateway node | events/s per round | ÷ metrics off, same round | p50 ms | node CPU ms/event | server CPU ms/event |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const variant of variants) {
    const own = measured.get(variant.name) ?? [];
    const ratios = own.map((entry, index) => entry.eventsPerSecond / (off[index]?.eventsPerSecond ?? entry.eventsPerSecond));
    console.log(
      `| ${variant.name} | ${list(own.map((entry) => entry.eventsPerSecond))} | ${list(ratios, 2)} | ${list(
        own.map((entry) => entry.p50Ms),
        0,
      )} | ${list(own.map((entry) => entry.nodeCpuMs))} | ${list(own.map((entry) => entry.serverCpuMs))} |`,
    );
  }
}
