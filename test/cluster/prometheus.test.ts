import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { runCommand } from '../../host/run-command.js';
import { callApi, readJson, waitUntilRoutedEverywhere } from '../support/cluster.js';
import { dashboardQueries, readPrometheusConfig } from '../support/prometheus.js';
import { ensurePrometheus, ensurePromtool, startPrometheus, type PrometheusServer } from '../support/prometheus-server.js';

// The compose file's Prometheus, run for real against the cluster's processes: the release its image names,
// deploy/prometheus.yml with each target pointed at the cluster's process in that place, the alert rules the compose
// file mounts, and then the Grafana dashboard's queries, asked after real deliveries. What only Docker can add
// (container names, the entrypoint that writes the key file) is held to this by test/unit/compose.test.ts.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// A cold build of Prometheus takes minutes on two cores, once per machine; a cached one is found at once.
const BUILD_TIMEOUT_MS = 20 * 60_000;

let prometheus: PrometheusServer;
let promtool: string;
let keyDir: string;
let healthy: Receiver;
let failing: Receiver;

/** deploy/prometheus.yml as the compose file's Prometheus reads it, with the cluster's processes for its services. */
async function clusterScrapeConfig(): Promise<string> {
  const cluster = inject('cluster');
  const config = readPrometheusConfig();
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: { prometheus: { volumes: string[] } };
  };
  // A path inside the container is the file the compose file mounts there.
  const mounted = new Map(
    compose.services.prometheus.volumes
      .filter((volume) => volume.startsWith('./'))
      .map((volume) => {
        const [host = '', container = ''] = volume.split(':');
        return [container, join(ROOT, host)] as const;
      }),
  );
  const processes: Record<string, readonly string[]> = {
    'webhooks-api': cluster.replicaUrls,
    'webhooks-worker': cluster.workerMetricsUrls,
  };
  // `api-2:3000` is the second replica, `worker-1:9464` the first worker.
  const clusterTarget = (job: string, target: string): string => {
    const url = processes[job]?.[Number(/-(\d+):/.exec(target)?.[1]) - 1];
    if (!url) throw new Error(`deploy/prometheus.yml: job ${job} scrapes ${target}, which the cluster has no process for`);
    return new URL(url).host;
  };
  keyDir = await mkdtemp(join(tmpdir(), 'webhooks-prometheus-key-'));
  const keyFile = join(keyDir, 'webhooks-metrics-key');
  await writeFile(keyFile, cluster.secrets.WEBHOOKS_METRICS_KEY);

  return stringify({
    ...config,
    // Every second rather than every 15: the test waits for samples, not for the schedule.
    global: { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: (config.rule_files ?? []).map((path) => {
      const file = mounted.get(path);
      if (!file) throw new Error(`deploy/prometheus.yml loads ${path}, which docker-compose.yml does not mount`);
      return file;
    }),
    scrape_configs: config.scrape_configs.map((job) => ({
      ...job,
      ...(job.authorization ? { authorization: { ...job.authorization, credentials_file: keyFile } } : {}),
      static_configs: job.static_configs.map((group) => ({ targets: group.targets.map((target) => clusterTarget(job.job_name, target)) })),
    })),
  });
}

// Grafana's own variable: at least four scrapes; a minute covers that at 1 s.
const panelQueries = dashboardQueries(
  JSON.parse(readFileSync(join(ROOT, 'docs/grafana-dashboard.json'), 'utf8')) as Parameters<typeof dashboardQueries>[0],
).map((query) => ({ ...query, expr: query.expr.replaceAll('$__rate_interval', '1m') }));

beforeAll(async () => {
  const binary = await ensurePrometheus();
  promtool = await ensurePromtool();
  prometheus = await startPrometheus(binary, await clusterScrapeConfig());
  healthy = await startReceiver();
  failing = await startReceiver({ defaultResponse: { status: 500, body: 'down' } });
  for (const [id, receiver] of [
    ['prom-healthy', healthy],
    ['prom-failing', failing],
  ] as const) {
    const created = await callApi('/v1/endpoints', {
      body: { id, url: receiver.url, events: [`cluster.prom.${id}`], retry: { schedule: ['1s'], jitter: 0 } },
    });
    expect(created.status).toBe(201);
    await waitUntilRoutedEverywhere(id, `cluster.prom.${id}`);
  }
}, BUILD_TIMEOUT_MS);
afterAll(async () => {
  await prometheus?.stop();
  await healthy?.close();
  await failing?.close();
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

describe('the compose file’s Prometheus, on the cluster', () => {
  test('scrapes every API replica (with the read key) and every worker', async () => {
    const health = async (): Promise<string[]> => {
      const { activeTargets } = await prometheus.api<{ activeTargets: { labels: { job: string }; health: string; lastError: string }[] }>(
        '/api/v1/targets',
      );
      return activeTargets
        .map((target) => `${target.labels.job} ${target.health}${target.lastError ? ` (${target.lastError})` : ''}`)
        .sort();
    };
    await expect
      .poll(health, { timeout: 30_000 })
      .toEqual(['webhooks-api up', 'webhooks-api up', 'webhooks-worker up', 'webhooks-worker up']);
  });

  test('loads the alert rules, and evaluates each without error', async () => {
    interface Rule {
      name: string;
      health: string;
      lastError?: string;
    }
    const rules = async (): Promise<string[]> => {
      const { groups } = await prometheus.api<{ groups: { name: string; rules: Rule[] }[] }>('/api/v1/rules');
      return groups.flatMap((group) =>
        group.rules.map((rule) => `${group.name}/${rule.name}: ${rule.health}${rule.lastError ? ` (${rule.lastError})` : ''}`),
      );
    };
    await expect
      .poll(rules, { timeout: 30_000 })
      .toEqual([
        'webhooks/WebhookEndpointFailing: ok',
        'webhooks/WebhookRetryBacklogGrowing: ok',
        'webhooks/WebhookIngestErrors: ok',
        'webhooks/WebhookDeliveriesBehind: ok',
      ]);
  });

  test('answers every query of the Grafana dashboard, with data where deliveries were made', async () => {
    // Every worker's series of the two endpoints' attempts exist before the events below, at 0: rate() then sees
    // each of their attempts, on whichever worker it runs.
    const workerSeries = async (): Promise<Record<string, string>> =>
      Object.fromEntries(
        (
          await prometheus.series(
            'count by (endpoint) (webhooks_delivery_attempts_total{job="webhooks-worker", endpoint=~"prom-.*", outcome="delivered", error=""})',
          )
        ).map((sample) => [sample.metric['endpoint'] ?? '', sample.value[1]]),
      );
    const workers = String(inject('cluster').workerMetricsUrls.length);
    await expect.poll(workerSeries, { timeout: 60_000 }).toEqual({ 'prom-healthy': workers, 'prom-failing': workers });

    const sent: Record<string, string[]> = { 'prom-healthy': [], 'prom-failing': [] };
    for (let n = 0; n < 3; n++) {
      for (const id of ['prom-healthy', 'prom-failing'] as const) {
        const answer = await readJson(await callApi('/v1/events', { key: 'producer', body: { type: `cluster.prom.${id}`, data: { n } } }));
        expect(answer.status).toBe(202);
        sent[id]?.push(String(answer.body['id']));
      }
    }
    // Each delivered once, and each to the failing endpoint tried twice (a first attempt and its one retry).
    const requestsOf = (receiver: Receiver, ids: readonly string[]): Record<string, number> =>
      Object.fromEntries(ids.map((id) => [id, receiver.requests.filter((request) => request.headers['webhook-id'] === id).length]));
    const times = (ids: readonly string[], count: number): Record<string, number> => Object.fromEntries(ids.map((id) => [id, count]));
    await expect
      .poll(() => requestsOf(healthy, sent['prom-healthy'] ?? []), { timeout: 60_000 })
      .toEqual(times(sent['prom-healthy'] ?? [], 1));
    await expect
      .poll(() => requestsOf(failing, sent['prom-failing'] ?? []), { timeout: 60_000 })
      .toEqual(times(sent['prom-failing'] ?? [], 2));

    // A query Prometheus refuses is an empty panel with an error in Grafana.
    for (const { panel, expr } of panelQueries) expect(await prometheus.query(expr), `${panel}: ${expr}`).not.toHaveProperty('error');

    // These panels have data once events were accepted and delivered (or refused by a receiver), and the workers ran.
    const withData = [
      'Events by outcome',
      'Events by type',
      'Ingest latency',
      'Attempts by outcome',
      'Acceptance to delivery',
      'Success rate by endpoint',
      'Retryable attempts by endpoint',
      'Workflow task schedule-to-start',
      'Free task slots',
      'Sticky cache',
    ];
    const seriesOf = async (panel: string): Promise<number> => {
      const queries = panelQueries.filter((query) => query.panel === panel);
      expect(queries.length, panel).toBeGreaterThan(0);
      let series = 0;
      for (const { expr } of queries) series += (await prometheus.series(expr)).length;
      return series;
    };
    for (const panel of withData) await expect.poll(() => seriesOf(panel), { timeout: 60_000, message: panel }).toBeGreaterThan(0);

    // The test's endpoints in a panel, with their values.
    const endpointsIn = async (panel: string): Promise<Record<string, number>> => {
      const [query] = panelQueries.filter((entry) => entry.panel === panel);
      return Object.fromEntries(
        (await prometheus.series(query?.expr ?? '')).flatMap((sample) => {
          const endpoint = sample.metric['endpoint'] ?? '';
          return endpoint.startsWith('prom-') ? [[endpoint, Number(sample.value[1])]] : [];
        }),
      );
    };
    await expect.poll(() => endpointsIn('Retryable attempts by endpoint'), { timeout: 60_000 }).toHaveProperty('prom-failing');
    // An endpoint none of whose attempts was delivered is shown, at 0, not left out.
    await expect.poll(() => endpointsIn('Success rate by endpoint'), { timeout: 60_000 }).toEqual({ 'prom-healthy': 1, 'prom-failing': 0 });
  });

  test('fires each alert once its condition has held for its time, and not for its look-alike (promtool test rules)', async () => {
    // Hours of series in a moment: what a live cluster cannot show in a test, such as a backlog growing for 30 minutes.
    const { code, tail } = await runCommand(
      promtool,
      ['test', 'rules', join(ROOT, 'test/fixtures/prometheus/alerts.test.yml')],
      process.env,
    );
    expect(code, tail).toBe(0);
    expect(tail).toContain('SUCCESS');
  });

  test('holds the failing-endpoint alert pending for an endpoint whose attempts fail, and not for a healthy one', async () => {
    interface Alert {
      labels: { alertname: string; endpoint?: string };
      state: string;
    }
    const failingAlerts = async (): Promise<string[]> => {
      const { alerts } = await prometheus.api<{ alerts: Alert[] }>('/api/v1/alerts');
      return alerts
        .filter((alert) => alert.labels.alertname === 'WebhookEndpointFailing' && alert.labels.endpoint?.startsWith('prom-'))
        .map((alert) => `${alert.labels.endpoint ?? ''} ${alert.state}`);
    };
    // Its `for: 15m` has not passed: pending, not firing.
    await expect.poll(failingAlerts, { timeout: 90_000, interval: 1_000 }).toEqual(['prom-failing pending']);
  });
});
