import { createServer } from 'node:net';
import type { TelemetryOptions } from '@temporalio/worker';

/** The Temporal SDK's own metrics: the runtime's telemetry options, and a scrape of what it exports. */
export interface TemporalSdkMetrics {
  /** For `Runtime.install({ telemetryOptions })`, before the process opens any connection. */
  readonly telemetryOptions: TelemetryOptions;
  /** The SDK's metrics in Prometheus's text format (workflow and activity task latencies, slots, sticky cache). */
  scrape(): Promise<string>;
}

/**
 * Has the SDK's Rust core export its metrics to Prometheus on a free loopback port, read back at each scrape of the
 * gateway's own `/metrics`: one scrape per process shows both, and the core's port is never exposed. Names keep the
 * SDK's `temporal_` prefix, with Prometheus's conventions (`_total` counters, durations in seconds with the unit).
 */
export async function temporalSdkMetrics(): Promise<TemporalSdkMetrics> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}/metrics`;
  return {
    telemetryOptions: {
      metrics: {
        prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
      },
    },
    async scrape() {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return response.ok ? await response.text() : '';
    },
  };
}

// The core binds the address itself and does not say which port it got, so the port is chosen here: one the kernel
// just handed out, free again a moment later.
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
