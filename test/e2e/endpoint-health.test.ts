import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import type { EndpointHealthView } from '../../cli/views.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { sampleValue } from '../support/prometheus.js';

// The health view against real endpoints: one that answers 200, one that answers 503 (and waits an hour to retry),
// one paused with a delivery held.

let gateway: TestGateway;
let healthy: Receiver;
let broken: Receiver;
let flaky: Receiver;

async function post(path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return response.status;
}

async function healthOf(id: string): Promise<EndpointHealthView | undefined> {
  const response = await fetch(`${gateway.url}/v1/endpoints/health`);
  expect(response.status).toBe(200);
  const { data } = (await response.json()) as { data: EndpointHealthView[] };
  return data.find((endpoint) => endpoint.id === id);
}

function webhooks(args: readonly string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/webhooks.ts', ...args], {
      env: { PATH: process.env['PATH'], WEBHOOKS_URL: gateway.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout }));
  });
}

beforeAll(async () => {
  healthy = await startReceiver();
  broken = await startReceiver({ defaultResponse: { status: 503, body: 'maintenance' } });
  flaky = await startReceiver();
  flaky.script({ status: 503, body: 'restarting' });
  gateway = await startGateway(
    {
      endpoints: [
        { id: 'health-ok', url: healthy.url, events: ['order.*'] },
        { id: 'health-broken', url: broken.url, events: ['order.*'], retry: { schedule: ['1h'] } },
        { id: 'health-paused', url: healthy.url, events: ['invoice.*'] },
        // One event to both: the first recovers after one retry, the second waits an hour to retry.
        { id: 'health-recovered', url: flaky.url, events: ['shipment.*'], retry: { schedule: ['1s'] } },
        { id: 'health-stuck', url: broken.url, events: ['shipment.*'], retry: { schedule: ['1h'] } },
      ],
    },
    undefined,
    { reconcileEndpoints: true },
  );
  // The entities exist once the worker has reconciled the config's endpoints.
  await vi.waitFor(
    async () => {
      if (!(await healthOf('health-paused'))) throw new Error('the endpoint entities are not listed yet');
    },
    { timeout: 30_000, interval: 200 },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await healthy?.close();
  await broken?.close();
  await flaky?.close();
});

describe('GET /v1/endpoints/health', () => {
  test('shows success rates, the last failure and its reason, the failing clock and the deliveries waiting to retry', async () => {
    expect(await post('/v1/events', { id: 'evt_health_1', type: 'order.created' })).toBe(202);
    expect(await post('/v1/events', { id: 'evt_health_2', type: 'order.created' })).toBe(202);

    await expect.poll(async () => (await healthOf('health-broken'))?.retrying, { timeout: 30_000 }).toBe(2);
    await expect.poll(async () => (await healthOf('health-broken'))?.windows['5m'].failed, { timeout: 30_000 }).toBe(2);
    const failing = await healthOf('health-broken');
    expect(failing).toMatchObject({
      status: 'active',
      windows: { '5m': { attempts: 2, delivered: 0, failed: 2, success_rate: 0 }, '24h': { failed: 2 } },
      last_failure_reason: 'HTTP 503',
      consecutive_failures: 2,
      held: 0,
    });
    expect(failing?.last_success_at).toBeUndefined();
    // Five days after the first failure, by default.
    expect(Date.parse(failing?.auto_disable_at ?? '') - Date.parse(failing?.failing_since ?? '')).toBe(5 * 86_400_000);

    // Successes of a healthy endpoint arrive later than failures (about a minute in production; here 2.4 s).
    await expect.poll(async () => (await healthOf('health-ok'))?.windows['1h'].delivered, { timeout: 30_000 }).toBe(2);
    expect(await healthOf('health-ok')).toMatchObject({
      windows: { '5m': { attempts: 2, success_rate: 1 } },
      consecutive_failures: 0,
      // Its events wait to retry another endpoint: none of that is its own.
      retrying: 0,
    });
    expect((await healthOf('health-ok'))?.failing_since).toBeUndefined();
  });

  test('counts a retry against the endpoint that waits for it, not the other endpoints of the same event', async () => {
    expect(await post('/v1/events', { id: 'evt_health_shipped', type: 'shipment.sent' })).toBe(202);
    await expect.poll(async () => (await healthOf('health-stuck'))?.retrying, { timeout: 30_000 }).toBe(1);
    // Failed once, then delivered by its retry, while the event as a whole still waits to retry the other endpoint.
    await expect.poll(async () => (await healthOf('health-recovered'))?.windows['5m'].delivered, { timeout: 30_000 }).toBe(1);
    expect(await healthOf('health-recovered')).toMatchObject({ windows: { '5m': { attempts: 2, failed: 1 } }, retrying: 0 });
    // Each endpoint's list of deliveries waiting to retry agrees with its count.
    const waiting = async (id: string): Promise<unknown[]> => {
      const response = await fetch(`${gateway.url}/v1/endpoints/${id}/deliveries?status=retrying`);
      return ((await response.json()) as { data: unknown[] }).data;
    };
    expect(await waiting('health-stuck')).toEqual([expect.objectContaining({ event_id: 'evt_health_shipped' })]);
    expect(await waiting('health-recovered')).toEqual([]);
  });

  test('counts the deliveries a paused endpoint holds', async () => {
    expect(await post('/v1/endpoints/health-paused/pause', { reason: 'receiver migration' })).toBe(200);
    expect(await post('/v1/events', { id: 'evt_health_held', type: 'invoice.paid' })).toBe(202);
    await expect.poll(async () => (await healthOf('health-paused'))?.held, { timeout: 30_000 }).toBe(1);
    expect(await healthOf('health-paused')).toMatchObject({ status: 'paused', status_reason: 'receiver migration' });
    expect(await healthOf('health-paused')).not.toHaveProperty('auto_disable_at');
  });

  test('gives the deliveries retrying and held per endpoint to the metrics', async () => {
    const scrape = async (): Promise<string> => (await fetch(`${gateway.url}/metrics`)).text();
    // The gauges read the view at most every 30 s: by now, at most one stale read stands between them and the counts.
    await expect
      .poll(async () => sampleValue(await scrape(), 'webhooks_endpoint_deliveries_retrying', { endpoint: 'health-broken' }), {
        timeout: 45_000,
        interval: 1_000,
      })
      .toBe(2);
    await expect
      .poll(async () => sampleValue(await scrape(), 'webhooks_endpoint_deliveries_held', { endpoint: 'health-paused' }), {
        timeout: 45_000,
        interval: 1_000,
      })
      .toBe(1);
    expect(sampleValue(await scrape(), 'webhooks_endpoint_deliveries_retrying', { endpoint: 'health-ok' })).toBe(0);
  });

  test('is what `webhooks endpoints health` prints, one row per endpoint', async () => {
    const { status, stdout } = await webhooks(['endpoints', 'health']);
    expect(status).toBe(0);
    const rows = stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^id\s+status\s+5m\s+1h\s+24h\s+last success\s+last failure\s+failing since\s+retrying\s+held$/i);
    expect(rows.find((row) => row.startsWith('health-broken'))).toMatch(/0% of 2 .*\(HTTP 503\).* 2\s+0$/);
    expect(rows.find((row) => row.startsWith('health-ok'))).toMatch(/100% of 2 /);
    expect(rows.find((row) => row.startsWith('health-paused'))).toMatch(/paused .* 1$/);
  });

  test('keeps "health" from being an endpoint id', async () => {
    const response = await fetch(`${gateway.url}/v1/endpoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'health', url: healthy.url, events: ['*'] }),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('reserved');
  });
});
