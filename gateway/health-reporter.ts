import type { Client } from '@temporalio/client';
import { createLimiter } from '../domain/limiter.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import type { HealthReport } from '../domain/endpoint-state.js';
import { healthSignal } from '../workflows/index.js';

/** Gathers attempt outcomes per endpoint and reports them to the endpoints' entities in batches. */
export interface HealthReporter {
  record(endpointId: string, succeeded: boolean, at: Date): void;
  /** Sends what has gathered; called on a timer and once more at shutdown. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Tally {
  delivered: number;
  failed: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  failedSinceLastSuccess: number;
  firstFailureSinceLastSuccessAt?: string;
}

export interface HealthReporterOptions {
  /** How often outcomes that routing cares about are sent: failures, and successes of an endpoint that was failing. */
  readonly intervalMs?: number;
  /** Whether routing last heard that the endpoint's attempts were failing; its next success is then news. */
  readonly isFailing?: (endpointId: string) => boolean;
}

// Successes of a healthy endpoint only move its counters: they wait this many intervals (a minute, by default).
const QUIET_INTERVALS = 12;
// Signals in flight at once when the quiet reports go: each is a workflow task on the deliveries' own task queue,
// and 2,000 of them at once queue every delivery's next task behind them. Paced, they take a few seconds and
// deliveries go between them. Shutdown has a grace period to keep, so it sends faster.
const QUIET_SIGNALS_IN_FLIGHT = 8;
const CLOSING_SIGNALS_IN_FLIGHT = 64;

/**
 * Why batches: one signal per attempt would put every delivery's outcome into the entity's history (thousands a
 * second for a busy endpoint). A signal per endpoint every few seconds keeps the counters close to live at a tiny
 * cost; what a crashed worker had not sent yet is lost, which is why the counters are called best effort.
 *
 * Why two paces: each report is a signal, a workflow task and a memo write for the entity, and one event to 2,000
 * endpoints made 2,000 of them, which halved the deliveries per second of the fan-out itself (111–124 against
 * 213–223 without). Failures, and the first success of a failing endpoint, change routing (a failing endpoint gets
 * no local first attempt) and auto-disabling, so they go at the short interval; plain successes go at the long one.
 */
export function createHealthReporter(client: Client, options: HealthReporterOptions = {}): HealthReporter {
  const intervalMs = options.intervalMs ?? 5_000;
  const isFailing = options.isFailing ?? (() => false);
  let tallies = new Map<string, Tally>();
  let quietRounds = 0;
  const send = async (batch: readonly (readonly [string, Tally])[], inFlight: number): Promise<void> => {
    const limit = createLimiter(inFlight);
    await Promise.all(
      batch.map(([endpointId, tally]) =>
        limit(async () => {
          const report: HealthReport = tally;
          try {
            await client.workflow.getHandle(endpointWorkflowId(endpointId)).signal(healthSignal, report);
          } catch {
            // No entity for this endpoint (targets given straight to deliverEvent): nothing keeps its health.
          }
        }),
      ),
    );
  };
  const flush = async (inFlight: number): Promise<void> => {
    const batch = [...tallies];
    tallies = new Map();
    await send(batch, inFlight);
  };
  const tick = async (): Promise<void> => {
    quietRounds = (quietRounds + 1) % QUIET_INTERVALS;
    if (quietRounds === 0) return flush(QUIET_SIGNALS_IN_FLIGHT);
    const urgent = [...tallies].filter(([endpointId, tally]) => tally.failed > 0 || isFailing(endpointId));
    for (const [endpointId] of urgent) tallies.delete(endpointId);
    // Few, and they change routing: all at once.
    await send(urgent, Math.max(1, urgent.length));
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return {
    record(endpointId, succeeded, at) {
      const tally = tallies.get(endpointId) ?? { delivered: 0, failed: 0, failedSinceLastSuccess: 0 };
      const time = at.toISOString();
      if (succeeded) {
        tally.delivered++;
        tally.lastSuccessAt = time;
        tally.failedSinceLastSuccess = 0;
        delete tally.firstFailureSinceLastSuccessAt;
      } else {
        tally.failed++;
        tally.lastFailureAt = time;
        tally.failedSinceLastSuccess++;
        tally.firstFailureSinceLastSuccessAt ??= time;
      }
      tallies.set(endpointId, tally);
    },
    flush: () => flush(CLOSING_SIGNALS_IN_FLIGHT),
    async close() {
      clearInterval(timer);
      await flush(CLOSING_SIGNALS_IN_FLIGHT);
    },
  };
}
