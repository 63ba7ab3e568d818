import { describe, expect, inject, test } from 'vitest';
import { callApi } from '../support/cluster.js';
import { CLUSTER_CONFIG_ENDPOINTS } from '../support/cluster-fixtures.js';
import { metricFamilies, parseSamples, sampleValue } from '../support/prometheus.js';

// The processes of `npm run cluster` as Prometheus scrapes them: each API replica on its port (with a read key), each
// worker on a metrics port of its own.

const scrapeWorker = async (url: string): Promise<string> => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
};

describe('metrics of the cluster’s processes', () => {
  test('each worker serves the gateway’s metrics and the Temporal SDK’s on its own port', async () => {
    const { workerMetricsUrls } = inject('cluster');
    expect(workerMetricsUrls).toHaveLength(2);
    for (const url of workerMetricsUrls) {
      // The server answers from the process's start; the endpoints are shown once the worker runs (after bundling its
      // workflows), and the SDK's metrics once it has talked to Temporal.
      const configured = async (): Promise<number[]> => {
        const text = await scrapeWorker(url);
        return CLUSTER_CONFIG_ENDPOINTS.map(({ id }) => sampleValue(text, 'webhooks_endpoint_status', { endpoint: id }));
      };
      await expect.poll(configured, { timeout: 60_000 }).toEqual(CLUSTER_CONFIG_ENDPOINTS.map(() => 1));
      const text = await scrapeWorker(url);
      const families = metricFamilies(text);
      expect([...families].filter((family) => family.startsWith('temporal_')).length).toBeGreaterThan(0);
      expect(families).toContain('webhooks_delivery_attempts_total');
      // A worker runs attempts: each endpoint it knows has its series of the four verdicts, whether it was sent to or not.
      const beta = parseSamples(text).filter(
        (sample) =>
          sample.name === 'webhooks_delivery_attempts_total' &&
          sample.labels['endpoint'] === 'config-beta' &&
          sample.labels['error'] === '',
      );
      expect(beta.map((sample) => sample.labels['outcome']).sort()).toEqual(['delivered', 'gone', 'rejected', 'retryable']);
    }
  });

  test('each API replica serves its metrics to a key with the read scope, and to no one without a key', async () => {
    const { replicaUrls } = inject('cluster');
    for (const base of replicaUrls) {
      const response = await callApi('/metrics', { base, key: 'producer' });
      expect(response.status).toBe(200);
      const text = await response.text();
      const families = metricFamilies(text);
      expect(families).toContain('webhooks_ingest_requests_total');
      expect(families).toContain('webhooks_endpoint_deliveries_held');
      // An API replica runs no attempts, and shows no attempt series for its endpoints.
      expect(parseSamples(text).filter((sample) => sample.name === 'webhooks_delivery_attempts_total')).toEqual([]);
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
    }
  });
});
