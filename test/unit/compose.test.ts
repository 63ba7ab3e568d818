import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../config/load.js';
import { haproxyConfig } from '../../host/cluster/load-balancer.js';
import {
  API_SECRETS,
  apiEnv,
  CLUSTER_IMAGES,
  COMPOSE_TOPOLOGY,
  loadBalancerEnv,
  schemaToolEnv,
  temporalServerEnv,
  uiServerEnv,
  WORKER_SECRETS,
  workerEnv,
} from '../../host/cluster/topology.js';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_SERVER_VERSION } from '../../host/temporal-server-tools.js';
import { readPrometheusConfig, type ScrapeConfig } from '../support/prometheus.js';
import { PROMETHEUS_VERSION, prometheusModuleVersion } from '../support/prometheus-server.js';

// `npm run cluster` and docker-compose.yml run one topology: the compose file's environments are exactly what
// host/cluster/topology.ts gives the cluster script, with container names for hosts.

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const topology = COMPOSE_TOPOLOGY;
const secretNames = (environment: Record<string, string> = {}) => Object.keys(environment).filter((name) => /_KEY$/.test(name));
const withoutSecrets = (environment: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(environment).filter(([name]) => !/_KEY$/.test(name)));

describe('docker-compose.yml', () => {
  test('runs the releases the cluster script builds', () => {
    expect(CLUSTER_IMAGES.temporal).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION.slice(1)}`);
    expect(CLUSTER_IMAGES.adminTools).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.slice(1)}`);
    expect(CLUSTER_IMAGES.ui).toBe(`temporalio/ui:${TEMPORAL_UI_SERVER_VERSION.slice(1)}`);
    expect(service('temporal').image).toBe(CLUSTER_IMAGES.temporal);
    expect(service('temporal-schema').image).toBe(CLUSTER_IMAGES.adminTools);
    expect(service('temporal-namespace').image).toBe(CLUSTER_IMAGES.adminTools);
    expect(service('temporal-ui').image).toBe(CLUSTER_IMAGES.ui);
    expect(service('postgresql').image).toBe(CLUSTER_IMAGES.postgres);
    expect(service('redis').image).toBe(CLUSTER_IMAGES.redis);
    expect(service('load-balancer').image).toBe(CLUSTER_IMAGES.haproxy);
  });

  test('sets up the schemas with the environment and databases of the cluster script', () => {
    const schema = service('temporal-schema');
    expect(schema.environment).toEqual(schemaToolEnv(topology));
    const script = schema.command?.join('\n') ?? '';
    expect(script).toContain(`setup ${topology.databases.temporal} temporal`);
    expect(script).toContain(`setup ${topology.databases.visibility} visibility`);
  });

  test('starts Temporal with the environment of the cluster script', () => {
    expect(service('temporal').environment).toEqual(temporalServerEnv(topology));
  });

  test('creates the namespace with the retention of the cluster script', () => {
    expect(service('temporal-namespace').command?.join('\n')).toContain(
      `temporal operator namespace create -n ${topology.namespace} --retention ${topology.retention}`,
    );
  });

  test('starts the Web UI with the environment of the cluster script', () => {
    expect(service('temporal-ui').environment).toEqual(uiServerEnv(topology));
  });

  test('runs as many workers and API replicas as the cluster script, each with its environment and only its secrets', () => {
    const workers = Object.keys(compose.services).filter((name) => /^worker-\d+$/.test(name));
    const apis = Object.keys(compose.services).filter((name) => /^api-\d+$/.test(name));
    expect(workers).toHaveLength(topology.workerProcesses);
    expect(apis).toHaveLength(topology.apiProcesses);
    for (const [index, name] of workers.entries()) {
      expect(withoutSecrets(service(name).environment)).toEqual(workerEnv(topology, index));
      expect(secretNames(service(name).environment)).toEqual([...WORKER_SECRETS]);
      expect(service(name).command).toEqual(['node', 'dist/bin/worker.js']);
    }
    apis.forEach((name, index) => {
      expect(withoutSecrets(service(name).environment)).toEqual(apiEnv(topology, index));
      expect(secretNames(service(name).environment).sort()).toEqual([...API_SECRETS].sort());
      expect(service(name).command).toEqual(['node', 'dist/bin/api.js']);
    });
  });

  test('wires the Web UI to the codec server behind the load balancer, and gives every gateway container the encryption key', async () => {
    const config = await loadConfig(topology.gatewayConfig, { WEBHOOKS_API_HOST: '0.0.0.0' });
    const ui = service('temporal-ui');
    // The UI's browser origin may call the codec, which lives on the load balancer's published port.
    const uiPort = ui.ports?.[0]?.split(':').at(-1);
    expect(config.api.codec.cors_origins).toContain(`http://localhost:${uiPort}`);
    expect(ui.environment?.['TEMPORAL_CODEC_ENDPOINT']).toBe(`http://localhost:${config.api.port}/codec`);
    expect(service('load-balancer').ports).toEqual([`127.0.0.1:${config.api.port}:${topology.apiPort}`]);
    // Workers encrypt what they write, the API replicas decode it: all read every configured key.
    expect(config.encryption.keys.length).toBeGreaterThan(0);
    for (const { key_env: variable } of config.encryption.keys) {
      for (const name of ['worker-1', 'worker-2', 'api-1', 'api-2']) {
        expect(service(name).environment?.[variable]).toMatch(new RegExp(`^\\$\\{${variable}:\\?`));
      }
    }
  });

  test('puts HAProxy in front of the replicas with the configuration the cluster script writes', () => {
    const balancer = service('load-balancer');
    expect(balancer.environment).toEqual(loadBalancerEnv(topology));
    expect(balancer.volumes).toContain('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    expect(readFileSync(new URL('../../deploy/haproxy.cfg', import.meta.url), 'utf8')).toBe(haproxyConfig(topology.apiProcesses));
  });

  test('has Prometheus scrape every API replica and worker where they serve metrics, and Grafana load the dashboard', async () => {
    const prometheus = readPrometheusConfig();
    const job = (name: string): ScrapeConfig | undefined => prometheus.scrape_configs.find((config) => config.job_name === name);
    const targets = (name: string): string[] => job(name)?.static_configs.flatMap((config) => config.targets) ?? [];
    const named = (pattern: RegExp): string[] => Object.keys(compose.services).filter((name) => pattern.test(name));
    const env = (name: string, variable: string): string | undefined => service(name).environment?.[variable];

    expect(targets('webhooks-api')).toEqual(named(/^api-\d+$/).map((name) => `${name}:${env(name, 'WEBHOOKS_API_PORT')}`));
    expect(targets('webhooks-worker')).toEqual(named(/^worker-\d+$/).map((name) => `${name}:${env(name, 'WEBHOOKS_METRICS_PORT')}`));
    for (const name of named(/^worker-\d+$/)) expect(env(name, 'WEBHOOKS_METRICS_HOST')).toBe('0.0.0.0');
    // The API asks for a key: Prometheus reads it from the file its entrypoint writes, from the variable the API has.
    const keyFile = job('webhooks-api')?.authorization?.credentials_file ?? '';
    expect(service('prometheus').command?.join('\n')).toContain(`"$$WEBHOOKS_METRICS_KEY" > ${keyFile}`);
    expect(Object.keys(service('prometheus').environment ?? {})).toEqual(['WEBHOOKS_METRICS_KEY']);
    const config = await loadConfig('examples/compose.yaml', { ...Object.fromEntries(API_SECRETS.map((name) => [name, 'x'.repeat(64)])) });
    expect(config.api.keys.find((key) => key.key_env === 'WEBHOOKS_METRICS_KEY')?.scopes).toEqual(['read']);
    expect(service('prometheus').volumes).toContain('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    // The alert rules it loads are the project's file, mounted where the config names it.
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(service('prometheus').volumes).toContain('./deploy/prometheus-alerts.yml:/etc/prometheus/alerts.yml:ro');
    // The release test/cluster/prometheus.test.ts builds and runs with this very config.
    expect(service('prometheus').image).toBe(`prom/prometheus:${PROMETHEUS_VERSION}`);

    const provider = parse(readFileSync(new URL('../../deploy/grafana/dashboards.yml', import.meta.url), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const dashboards = provider.providers[0]?.options.path;
    expect(service('grafana').volumes).toContain(`./docs/grafana-dashboard.json:${dashboards}/temporal-webhooks.json:ro`);
    expect(service('grafana').volumes).toContain('./deploy/grafana/datasources.yml:/etc/grafana/provisioning/datasources/webhooks.yml:ro');
  });

  test('builds the Prometheus release of its image from the Go module version Prometheus publishes it under', () => {
    expect(prometheusModuleVersion('v3.16.0')).toBe('v0.316.0');
    expect(prometheusModuleVersion('v3.4.2')).toBe('v0.304.2');
    expect(() => prometheusModuleVersion('v2.53.0')).toThrow(/not a Prometheus 3 release/);
  });
});
