import { readFileSync } from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { temporalSdkMetrics } from '../../metrics/index.js';
import { startGatewayNode, type GatewayNode } from '../../node/gateway-node.js';
import { dashboardMetricNames, familyOf, metricFamilies, sampleValue } from '../support/prometheus.js';
import { uniqueTaskQueue } from '../support/temporal.js';

// A gateway node as `npm start` runs it, scraped after real deliveries: one endpoint that answers 200, one that
// answers 500 until its retries are used up.

let node: GatewayNode;
let healthy: Receiver;
let failing: Receiver;

const scrape = async (): Promise<string> => {
  const response = await fetch(`${node.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

async function post(body: unknown): Promise<number> {
  const response = await fetch(`${node.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status;
}

beforeAll(async () => {
  // The SDK's own metrics, as `npm start` installs them: exported by the core on loopback, read back at each scrape.
  const sdk = await temporalSdkMetrics();
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: sdk.telemetryOptions });
  healthy = await startReceiver();
  failing = await startReceiver({ defaultResponse: { status: 500, body: 'down' } });
  const config = ConfigSchema.parse({
    temporal: { address: inject('temporalAddress'), task_queue: uniqueTaskQueue('metrics') },
    delivery: { allow_destinations: ['loopback'], retry: { schedule: ['200ms'] } },
    event_types: [{ type: 'order.created' }, { type: 'invoice.paid' }],
    endpoints: [
      { id: 'metrics-healthy', url: healthy.url, events: ['order.created'] },
      { id: 'metrics-failing', url: failing.url, events: ['invoice.paid'] },
    ],
  });
  node = await startGatewayNode(config, {
    listen: { host: '127.0.0.1', port: 0 },
    workflowBundle: { codePath: inject('workflowBundlePath') },
    healthReportIntervalMs: 200,
  });
  node.metrics?.addSource(() => sdk.scrape());
});

afterAll(async () => {
  await node?.close();
  await healthy?.close();
  await failing?.close();
});

describe('GET /metrics on a gateway node', () => {
  test('counts events in, attempts out by outcome, and their latencies, after real deliveries', async () => {
    for (const id of ['evt_metrics_1', 'evt_metrics_2', 'evt_metrics_3']) {
      expect(await post({ id, type: 'order.created', data: {} })).toBe(202);
    }
    expect(await post({ id: 'evt_metrics_fail', type: 'invoice.paid', data: {} })).toBe(202);
    expect(await post({ id: 'evt_metrics_unknown', type: 'shipment.lost', data: {} })).toBe(422);
    expect(await post({ type: 42 })).toBe(400);

    // The failing endpoint's delivery ends after its one retry: two attempts, both retryable 500s.
    await expect
      .poll(async () => sampleValue(await scrape(), 'webhooks_delivery_attempts_total', { endpoint: 'metrics-failing' }), {
        timeout: 30_000,
      })
      .toBe(2);
    await expect
      .poll(async () =>
        sampleValue(await scrape(), 'webhooks_delivery_attempts_total', { endpoint: 'metrics-healthy', outcome: 'delivered' }),
      )
      .toBe(3);
    const text = await scrape();

    expect(sampleValue(text, 'webhooks_events_total', { type: 'order.created', outcome: 'accepted', reason: '' })).toBe(3);
    expect(sampleValue(text, 'webhooks_events_total', { type: 'other', outcome: 'refused', reason: 'unknown-type' })).toBe(1);
    expect(sampleValue(text, 'webhooks_ingest_requests_total', { route: '/v1/events', code: '202' })).toBe(4);
    expect(sampleValue(text, 'webhooks_ingest_requests_total', { route: '/v1/events', code: '422', problem: 'unknown-event-type' })).toBe(
      1,
    );
    expect(sampleValue(text, 'webhooks_ingest_requests_total', { route: '/v1/events', code: '400', problem: 'validation-failed' })).toBe(1);
    expect(sampleValue(text, 'webhooks_ingest_duration_seconds_count', { route: '/v1/events' })).toBe(4);

    expect(sampleValue(text, 'webhooks_delivery_attempts_total', { endpoint: 'metrics-failing', outcome: 'retryable', error: '' })).toBe(2);
    expect(sampleValue(text, 'webhooks_delivery_attempt_duration_seconds_count', { endpoint: 'metrics-healthy' })).toBe(3);
    expect(sampleValue(text, 'webhooks_delivery_latency_seconds_count', { endpoint: 'metrics-healthy' })).toBe(3);
    expect(sampleValue(text, 'webhooks_delivery_latency_seconds_sum', { endpoint: 'metrics-healthy' })).toBeGreaterThan(0);
    // Nothing was delivered to the failing endpoint, so it has no latency.
    expect(sampleValue(text, 'webhooks_delivery_latency_seconds_count', { endpoint: 'metrics-failing' })).toBe(0);
    expect(healthy.requests).toHaveLength(3);
  });

  test('shows each endpoint’s status, and the failing one as failing once its entity has heard', async () => {
    await expect
      .poll(async () => sampleValue(await scrape(), 'webhooks_endpoint_failing', { endpoint: 'metrics-failing' }), { timeout: 30_000 })
      .toBe(1);
    const text = await scrape();
    expect(sampleValue(text, 'webhooks_endpoint_status', { endpoint: 'metrics-healthy', status: 'active' })).toBe(1);
    expect(sampleValue(text, 'webhooks_endpoint_failing', { endpoint: 'metrics-healthy' })).toBe(0);
  });

  test('declares every metric the Grafana dashboard queries, the Temporal SDK’s included', async () => {
    const dashboard = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as Parameters<typeof dashboardMetricNames>[0];
    const families = metricFamilies(await scrape());
    const missing = dashboardMetricNames(dashboard).filter((name) => {
      const family = familyOf(name);
      return !families.has(family) && !families.has(family.replace(/_total$/, ''));
    });
    expect(missing).toEqual([]);
  });

  test('adds the Temporal SDK’s own metrics and Node’s process metrics to the same scrape', async () => {
    const text = await scrape();
    expect(sampleValue(text, 'temporal_workflow_completed_total')).toBeGreaterThan(0);
    expect(text).toMatch(/^temporal_workflow_task_execution_latency_seconds_bucket\{/m);
    expect(sampleValue(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});
