import type { Client } from '@temporalio/client';
import { createLimiter } from '../domain/limiter.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import type { HealthReport } from '../domain/endpoint-state.js';
import { minuteOf } from '../domain/recent-attempts.js';
import { healthSignal } from '../workflows/index.js';

/** Gathers attempt outcomes per endpoint and reports them to the endpoints' entities in batches. */
export interface HealthReporter {
  /** One attempt; a failure with its reason (`HTTP 503`, `timeout`), which must name no URL or secret. */
  record(endpointId: string, succeeded: boolean, at: Date, failureReason?: string): void;
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
  lastFailureReason?: string;
  /** Delivered and failed attempts by the minute they were made in. */
  byMinute: Map<number, [number, number]>;
}

export interface HealthReporterOptions {
  /** How often outcomes that routing cares about are sent: failures, and successes of an endpoint that was failing. */
  readonly intervalMs?: number;
  /** Whether routing last heard that the endpoint's attempts were failing; its next success is then news. */
  readonly isFailing?: (endpointId: string) => boolean;
}

// Successes of a healthy endpoint only move its counters: they wait at least this many intervals (a minute, by
// default), and then their turn within the budget below.
const QUIET_INTERVALS = 12;
// Quiet reports sent per interval at the most (5 a second by default). Each report is a workflow task on the
// deliveries' own task queue: sent all at once, the 2,000 reports that one event to 2,000 endpoints leaves queued
// the next event's tasks behind them, and that event ran at 143 deliveries/s where the others ran at 700–870.
// Within the budget they cost the server next to nothing; with more busy endpoints than it covers in a minute, each
// endpoint's successes simply wait longer (2,000 endpoints: about 7 minutes).
const QUIET_REPORTS_PER_INTERVAL = 25;
// Shutdown sends everything left, within its grace period.
const CLOSING_SIGNALS_IN_FLIGHT = 64;

/**
 * Why batches: one signal per attempt would put every delivery's outcome into the entity's history (thousands a
 * second for a busy endpoint). A signal per endpoint every few seconds keeps the counters close to live at a tiny
 * cost; what a crashed worker had not sent yet is lost, which is why the counters are called best effort.
 *
 * Why two paces: each report is a signal, a workflow task and a memo write for the entity, and one event to 2,000
 * endpoints made 2,000 of them, which halved the deliveries per second of the fan-out itself (111–124 against
 * 213–223 without). Failures, and the first success of a failing endpoint, change routing (a failing endpoint gets
 * no local first attempt) and auto-disabling, so they go at the next interval, all of them; plain successes go
 * later, oldest first, within a budget.
 */
export function createHealthReporter(client: Client, options: HealthReporterOptions = {}): HealthReporter {
  const intervalMs = options.intervalMs ?? 5_000;
  const isFailing = options.isFailing ?? (() => false);
  // In the order endpoints got their first outcome since their last report: oldest first.
  const tallies = new Map<string, Tally>();
  const firstTickOf = new Map<string, number>();
  let ticks = 0;
  // Takes the batch out of what is gathering, then signals, `inFlight` at a time (all at once by default).
  const send = async (batch: readonly (readonly [string, Tally])[], inFlight = batch.length): Promise<void> => {
    for (const [endpointId] of batch) {
      tallies.delete(endpointId);
      firstTickOf.delete(endpointId);
    }
    const limit = createLimiter(inFlight);
    await Promise.all(
      batch.map(([endpointId, tally]) =>
        limit(async () => {
          const { byMinute, ...counts } = tally;
          const report: HealthReport = {
            ...counts,
            attemptsByMinute: [...byMinute].map(([minute, [delivered, failed]]) => [minute, delivered, failed] as const),
          };
          try {
            await client.workflow.getHandle(endpointWorkflowId(endpointId)).signal(healthSignal, report);
          } catch {
            // No entity for this endpoint (targets given straight to deliverEvent): nothing keeps its health.
          }
        }),
      ),
    );
  };
  const flush = (): Promise<void> => send([...tallies], CLOSING_SIGNALS_IN_FLIGHT);
  const tick = async (): Promise<void> => {
    ticks++;
    const urgent: [string, Tally][] = [];
    const quiet: [string, Tally][] = [];
    for (const [endpointId, tally] of tallies) {
      if (tally.failed > 0 || isFailing(endpointId)) urgent.push([endpointId, tally]);
      else if (quiet.length < QUIET_REPORTS_PER_INTERVAL && ticks - (firstTickOf.get(endpointId) ?? ticks) >= QUIET_INTERVALS) {
        quiet.push([endpointId, tally]);
      }
    }
    await send([...urgent, ...quiet]);
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return {
    record(endpointId, succeeded, at, failureReason) {
      const tally: Tally = tallies.get(endpointId) ?? { delivered: 0, failed: 0, failedSinceLastSuccess: 0, byMinute: new Map() };
      const time = at.toISOString();
      const minute = tally.byMinute.get(minuteOf(at)) ?? [0, 0];
      minute[succeeded ? 0 : 1]++;
      tally.byMinute.set(minuteOf(at), minute);
      if (succeeded) {
        tally.delivered++;
        tally.lastSuccessAt = time;
        tally.failedSinceLastSuccess = 0;
        delete tally.firstFailureSinceLastSuccessAt;
      } else {
        tally.failed++;
        tally.lastFailureAt = time;
        if (failureReason) tally.lastFailureReason = failureReason;
        else delete tally.lastFailureReason;
        tally.failedSinceLastSuccess++;
        tally.firstFailureSinceLastSuccessAt ??= time;
      }
      tallies.set(endpointId, tally);
      if (!firstTickOf.has(endpointId)) firstTickOf.set(endpointId, ticks);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
