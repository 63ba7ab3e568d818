import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createGatewayMetrics, serveMetrics } from '../../metrics/index.js';
import { serveWorkerMetrics } from '../../metrics/process-metrics.js';
import { sampleValue } from '../support/prometheus.js';

// A worker process has no API: it serves its metrics on a port of its own.

const metrics = createGatewayMetrics({ endpointLabelLimit: 10, eventTypes: [], processMetrics: false });

describe('serveMetrics', () => {
  it('answers GET /metrics with the text format, and 404 elsewhere', async () => {
    metrics.attemptFinished({ endpointId: 'crm', verdict: 'delivered', durationMs: 3 });
    const server = await serveMetrics(metrics, { host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(sampleValue(await response.text(), 'webhooks_delivery_attempts_total', { endpoint: 'crm' })).toBe(1);
      expect((await fetch(new URL('/', server.url))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('leaves a worker whose metrics port is taken running without metrics, and says so', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const warnings: object[] = [];
    try {
      const server = await serveWorkerMetrics(
        metrics,
        { host: '127.0.0.1', port },
        { info: () => undefined, warn: (fields) => warnings.push(fields) },
      );
      expect(server).toBeUndefined();
      expect(warnings).toEqual([expect.objectContaining({ host: '127.0.0.1', port })]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
