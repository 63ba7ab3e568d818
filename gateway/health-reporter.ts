import type { Client } from '@temporalio/client';
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

/**
 * Why batches: one signal per attempt would put every delivery's outcome into the entity's history (thousands a
 * second for a busy endpoint). A signal per endpoint every few seconds keeps the counters close to live at a tiny
 * cost; what a crashed worker had not sent yet is lost, which is why the counters are called best effort.
 */
export function createHealthReporter(client: Client, intervalMs = 5_000): HealthReporter {
  let tallies = new Map<string, Tally>();
  const flush = async (): Promise<void> => {
    const batch = tallies;
    tallies = new Map();
    await Promise.all(
      [...batch].map(async ([endpointId, tally]) => {
        const report: HealthReport = tally;
        try {
          await client.workflow.getHandle(endpointWorkflowId(endpointId)).signal(healthSignal, report);
        } catch {
          // No entity for this endpoint (targets given straight to deliverEvent): nothing keeps its health.
        }
      }),
    );
  };
  const timer = setInterval(() => void flush(), intervalMs);
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
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
