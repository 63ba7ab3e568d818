import { startOtlpSink } from './otlp-sink.js';
import type { ArrivalReceiver } from './receiver.js';
import { scrapeLikePrometheus, type ObservabilityVariant } from './systems.js';
import { measureVariantRounds, printRoundTable } from './variants.js';

// `npm run bench -- --observability`: what metrics and tracing cost a gateway node, measured with them off, with
// metrics (scraped every 5 s, the SDK's included) and with metrics and every trace exported to an OTLP endpoint on
// loopback, in turn, round after round, on one server and one receiver. `--workflow-spans` adds a fourth variant,
// tracing with the workflows' own spans (an option that costs far more, BENCHMARKS.md).

const EVENTS = 1_500;
const PRODUCERS = 8;
// Twelve: eight rounds of four variants left the median of tracing's ratio moving between 0.93 and 1.02 from run to
// run, as wide as the cost to be measured. Twelve is a multiple of both balanced orders (six rounds for three
// variants, four for four; see roundOrder).
export const OBSERVABILITY_ROUNDS = 12;

export interface ObservabilityRun {
  readonly temporalAddress: string;
  readonly serverPid: number;
  readonly receiver: ArrivalReceiver;
  readonly dir: string;
  readonly rounds: number;
  /** Adds tracing with the workflows' own spans (`WEBHOOKS_TRACE_WORKFLOWS=true`) as a fourth variant. */
  readonly workflowSpans: boolean;
}

/** The three nodes both observability modes compare: metrics off, metrics on, and metrics with every trace exported. */
export function observabilityVariants(otlpEndpoint: string): {
  readonly metricsOff: ObservabilityVariant;
  readonly metricsOn: ObservabilityVariant;
  readonly tracingOn: ObservabilityVariant;
} {
  return {
    metricsOff: { name: 'metrics off', metrics: false },
    metricsOn: { name: 'metrics on', metrics: true },
    tracingOn: { name: 'metrics and tracing on', metrics: true, otlpEndpoint },
  };
}

export async function measureObservability(options: ObservabilityRun): Promise<void> {
  const { temporalAddress, serverPid, receiver, dir, rounds } = options;
  const sink = await startOtlpSink();
  const { metricsOff, metricsOn, tracingOn } = observabilityVariants(sink.url);
  const variants: ObservabilityVariant[] = [metricsOff, metricsOn, tracingOn];
  if (options.workflowSpans) {
    variants.push({
      name: 'metrics and tracing on, with workflow spans',
      metrics: true,
      otlpEndpoint: sink.url,
      env: { WEBHOOKS_TRACE_WORKFLOWS: 'true' },
    });
  }
  try {
    const measured = await measureVariantRounds({
      temporalAddress,
      serverPid,
      receiver,
      dir,
      variants,
      events: EVENTS,
      producers: PRODUCERS,
      rounds,
      nodeName: (variant, round) => ({ name: `${variant.name.replace(/[^a-z0-9]+/g, '-')}-${round}` }),
      alongside: scrapeLikePrometheus,
    });
    console.log(`\n${EVENTS} events per run, ${PRODUCERS} producers, one endpoint; ${sink.spans()} spans reached the OTLP endpoint\n`);
    printRoundTable('gateway node', variants, measured, 'metrics off');
  } finally {
    await sink.close();
  }
}
