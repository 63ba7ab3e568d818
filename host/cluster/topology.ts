/**
 * The production-shaped topology, as data: which processes run, with which environment. `npm run cluster` starts
 * it on this machine and `docker-compose.yml` declares it for containers; a test holds the two to the same
 * functions, so they cannot drift apart. The Temporal server and Web UI read their releases' own config templates
 * (the `docker.yaml` the official images use), so the variables here are the ones those images document.
 */

/** The releases the topology runs; the compose file's image tags are these. */
export const CLUSTER_IMAGES = {
  temporal: 'temporalio/server:1.29.1',
  adminTools: 'temporalio/admin-tools:1.29.1',
  ui: 'temporalio/ui:2.42.1',
  // The machines this project is developed on run Debian 12's PostgreSQL 15, Redis 7.0 and HAProxy 2.6.
  postgres: 'postgres:15',
  redis: 'redis:7.0',
  haproxy: 'haproxy:2.6',
} as const;

/** Temporal's ports; every one is a variable of the server's template, defaulting to the official numbers. */
export interface TemporalPorts {
  readonly frontend: number;
  readonly frontendHttp: number;
  readonly frontendMembership: number;
  readonly history: number;
  readonly historyMembership: number;
  readonly matching: number;
  readonly matchingMembership: number;
  readonly worker: number;
  readonly workerMembership: number;
}

/** The official port numbers, which the templates default to. */
export const DEFAULT_TEMPORAL_PORTS: TemporalPorts = {
  frontend: 7233,
  frontendHttp: 7243,
  frontendMembership: 6933,
  history: 7234,
  historyMembership: 6934,
  matching: 7235,
  matchingMembership: 6935,
  worker: 7239,
  workerMembership: 6939,
};

const TEMPORAL_PORT_VARIABLES: Record<keyof TemporalPorts, string> = {
  frontend: 'FRONTEND_GRPC_PORT',
  frontendHttp: 'FRONTEND_HTTP_PORT',
  frontendMembership: 'FRONTEND_MEMBERSHIP_PORT',
  history: 'HISTORY_GRPC_PORT',
  historyMembership: 'HISTORY_MEMBERSHIP_PORT',
  matching: 'MATCHING_GRPC_PORT',
  matchingMembership: 'MATCHING_MEMBERSHIP_PORT',
  worker: 'WORKER_GRPC_PORT',
  workerMembership: 'WORKER_MEMBERSHIP_PORT',
};

/** Everything that differs between one deployment of the topology and another. */
export interface ClusterTopology {
  /** Where each service is reached: container names in compose, loopback on one machine. */
  readonly hosts: {
    readonly postgres: string;
    readonly temporal: string;
    /** The interface Temporal's services listen on, and the address they announce to each other. */
    readonly temporalListen: string;
    readonly temporalBroadcast: string;
    /** The interface API replicas listen on. */
    readonly apiListen: string;
    /** The host of API replica `index` (0-based), as the load balancer reaches it. */
    readonly api: (index: number) => string;
    /** The interface worker processes serve their metrics on. */
    readonly metricsListen: string;
  };
  readonly postgres: { readonly port: number; readonly user: string; readonly password: string };
  /** The Redis every API replica shares rate limits and invocation logs through. */
  readonly redisUrl: string;
  /** The persistence and visibility databases; a cluster's own, so clusters on one PostgreSQL stay apart. */
  readonly databases: { readonly temporal: string; readonly visibility: string };
  /** Fixed for the life of a cluster: Temporal cannot change it once the database holds data. */
  readonly historyShards: number;
  readonly namespace: string;
  /** How long closed workflows (the delivery history) stay, as `temporal operator namespace create --retention` takes it. */
  readonly retention: string;
  readonly temporalPorts: TemporalPorts;
  readonly uiPort: number;
  /** The load balancer's port: the one address producers use. */
  readonly apiPort: number;
  /** The port API replica `index` listens on. */
  readonly apiReplicaPort: (index: number) => number;
  /** The port worker process `index` serves its metrics on (API replicas serve theirs at `/metrics`). */
  readonly workerMetricsPort: (index: number) => number;
  readonly apiProcesses: number;
  readonly workerProcesses: number;
  /** The gateway's config file, as the API and worker processes find it. */
  readonly gatewayConfig: string;
  /** The API's address as a browser on the operator's machine reaches it, for the Web UI's codec calls. */
  readonly browserApiUrl: string;
  readonly logLevel: string;
}

/** How `temporal-sql-tool` reaches PostgreSQL; it reads these variables (the admin-tools image sets the same). */
export function schemaToolEnv(topology: ClusterTopology): Record<string, string> {
  return {
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: topology.hosts.postgres,
    SQL_PORT: String(topology.postgres.port),
    SQL_USER: topology.postgres.user,
    SQL_PASSWORD: topology.postgres.password,
  };
}

/** The Temporal server's variables, for the template `config/docker.yaml` of its release. */
export function temporalServerEnv(topology: ClusterTopology): Record<string, string> {
  // Only ports that differ from the template's defaults, so the compose file names none.
  const ports: Record<string, string> = {};
  for (const name of Object.keys(DEFAULT_TEMPORAL_PORTS) as (keyof TemporalPorts)[]) {
    const port = topology.temporalPorts[name];
    if (port !== DEFAULT_TEMPORAL_PORTS[name]) ports[TEMPORAL_PORT_VARIABLES[name]] = String(port);
  }
  return {
    DB: 'postgres12',
    POSTGRES_SEEDS: topology.hosts.postgres,
    DB_PORT: String(topology.postgres.port),
    POSTGRES_USER: topology.postgres.user,
    POSTGRES_PWD: topology.postgres.password,
    DBNAME: topology.databases.temporal,
    VISIBILITY_DBNAME: topology.databases.visibility,
    NUM_HISTORY_SHARDS: String(topology.historyShards),
    BIND_ON_IP: topology.hosts.temporalListen,
    TEMPORAL_BROADCAST_ADDRESS: topology.hosts.temporalBroadcast,
    LOG_LEVEL: topology.logLevel === 'debug' ? 'info' : 'warn',
    ...ports,
  };
}

/** The Web UI server's variables, for its release's `config/docker.yaml`. */
export function uiServerEnv(topology: ClusterTopology): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: `${topology.hosts.temporal}:${topology.temporalPorts.frontend}`,
    TEMPORAL_UI_PORT: String(topology.uiPort),
    // The browser calls the API's codec server to show encrypted (and compressed) payloads decoded.
    TEMPORAL_CODEC_ENDPOINT: `${topology.browserApiUrl}/codec`,
    // The UI's own pages call it from its own origin; its template's default names the image's port 8080.
    TEMPORAL_CORS_ORIGINS: `http://localhost:${topology.uiPort},http://127.0.0.1:${topology.uiPort}`,
  };
}

/** What every gateway process (API or worker) is told, besides its secrets. */
function gatewayEnv(topology: ClusterTopology): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: `${topology.hosts.temporal}:${topology.temporalPorts.frontend}`,
    TEMPORAL_NAMESPACE: topology.namespace,
    WEBHOOKS_CONFIG: topology.gatewayConfig,
    WEBHOOKS_LOG_LEVEL: topology.logLevel,
  };
}

/** The variables of API replica `index`: all replicas count rate limits and keep invocation logs in one Redis. */
export function apiEnv(topology: ClusterTopology, index: number): Record<string, string> {
  return {
    ...gatewayEnv(topology),
    WEBHOOKS_API_HOST: topology.hosts.apiListen,
    WEBHOOKS_API_PORT: String(topology.apiReplicaPort(index)),
    WEBHOOKS_REDIS_URL: topology.redisUrl,
  };
}

/** The variables of worker process `index`. */
export function workerEnv(topology: ClusterTopology, index: number): Record<string, string> {
  return {
    ...gatewayEnv(topology),
    WEBHOOKS_METRICS_HOST: topology.hosts.metricsListen,
    WEBHOOKS_METRICS_PORT: String(topology.workerMetricsPort(index)),
  };
}

/**
 * The secrets the gateway config reads by name (see `examples/compose.yaml`), passed in the environment only: API
 * replicas need the API keys (Prometheus scrapes with the read-only metrics key), the payload key, and the secret key
 * that generated secrets (inbound sources', endpoints' signing) are derived from.
 */
export const API_SECRETS = [
  'WEBHOOKS_PRODUCER_KEY',
  'WEBHOOKS_OPERATOR_KEY',
  'WEBHOOKS_METRICS_KEY',
  'WEBHOOKS_ENCRYPTION_KEY',
  'WEBHOOKS_SECRET_KEY',
] as const;
/**
 * Workers need the payload key (they encrypt what they write) and the secret key (they sign with generated signing
 * secrets); no API key is theirs to check.
 */
export const WORKER_SECRETS = ['WEBHOOKS_ENCRYPTION_KEY', 'WEBHOOKS_SECRET_KEY'] as const satisfies readonly GatewaySecret[];
/** The name of one of the gateway's secrets. */
export type GatewaySecret = (typeof API_SECRETS)[number];

/** The load balancer's variables: its port and one address per API replica (`deploy/haproxy.cfg` names them). */
export function loadBalancerEnv(topology: ClusterTopology): Record<string, string> {
  return {
    WEBHOOKS_LB_BIND: topology.hosts.apiListen,
    WEBHOOKS_LB_PORT: String(topology.apiPort),
    ...Object.fromEntries(
      Array.from({ length: topology.apiProcesses }, (_, index) => [
        `WEBHOOKS_API_${index + 1}`,
        `${topology.hosts.api(index)}:${topology.apiReplicaPort(index)}`,
      ]),
    ),
  };
}

/** The topology `docker-compose.yml` declares: one container per service, reached by its name. */
export const COMPOSE_TOPOLOGY: ClusterTopology = {
  hosts: {
    postgres: 'postgresql',
    temporal: 'temporal',
    temporalListen: '0.0.0.0',
    // One server process runs every Temporal service, so they find each other on loopback.
    temporalBroadcast: '127.0.0.1',
    apiListen: '0.0.0.0',
    api: (index) => `api-${index + 1}`,
    // Prometheus scrapes each container over the compose network.
    metricsListen: '0.0.0.0',
  },
  postgres: { port: 5432, user: 'temporal', password: 'temporal' },
  redisUrl: 'redis://redis:6379/0',
  databases: { temporal: 'temporal', visibility: 'temporal_visibility' },
  historyShards: 4,
  namespace: 'default',
  retention: '7d',
  temporalPorts: DEFAULT_TEMPORAL_PORTS,
  uiPort: 8233,
  apiPort: 3000,
  apiReplicaPort: () => 3000,
  workerMetricsPort: () => 9464,
  apiProcesses: 2,
  workerProcesses: 2,
  gatewayConfig: 'examples/compose.yaml',
  browserApiUrl: 'http://localhost:3000',
  logLevel: 'info',
};

/** What may differ between two clusters on one machine; everything else follows from it. */
export interface LocalClusterSettings {
  readonly apiProcesses: number;
  readonly workerProcesses: number;
  readonly historyShards: number;
  /** The persistence database's name; visibility's is this with `_visibility`. */
  readonly database: string;
  readonly namespace: string;
  readonly postgres: { readonly host: string; readonly port: number; readonly user: string; readonly password: string };
  readonly redisUrl: string;
  readonly temporalPorts: TemporalPorts;
  readonly uiPort: number;
  /**
   * The load balancer's port; API replica `i` listens on `apiPort + 1 + i`, and worker `j` serves its metrics on the
   * port after the replicas', `apiPort + 1 + apiProcesses + j`.
   */
  readonly apiPort: number;
  readonly gatewayConfig: string;
  readonly logLevel: string;
}

/** `npm run cluster` without options: the compose file's shape, on this machine's PostgreSQL and Redis. */
export const DEFAULT_LOCAL_CLUSTER: LocalClusterSettings = {
  apiProcesses: COMPOSE_TOPOLOGY.apiProcesses,
  workerProcesses: COMPOSE_TOPOLOGY.workerProcesses,
  historyShards: COMPOSE_TOPOLOGY.historyShards,
  database: 'temporal_webhooks',
  namespace: COMPOSE_TOPOLOGY.namespace,
  postgres: { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' },
  redisUrl: 'redis://127.0.0.1:6379/0',
  temporalPorts: DEFAULT_TEMPORAL_PORTS,
  uiPort: COMPOSE_TOPOLOGY.uiPort,
  apiPort: COMPOSE_TOPOLOGY.apiPort,
  gatewayConfig: COMPOSE_TOPOLOGY.gatewayConfig,
  logLevel: COMPOSE_TOPOLOGY.logLevel,
};

/** How many ports from `apiPort` on a local cluster takes: the load balancer's, each replica's, each worker's metrics. */
export function localApiPortCount(settings: Pick<LocalClusterSettings, 'apiProcesses' | 'workerProcesses'>): number {
  return 1 + settings.apiProcesses + settings.workerProcesses;
}

/** The topology on this machine: every process on loopback, API replicas on the ports after the load balancer's. */
export function localTopology(settings: LocalClusterSettings): ClusterTopology {
  return {
    hosts: {
      postgres: settings.postgres.host,
      temporal: '127.0.0.1',
      temporalListen: '127.0.0.1',
      temporalBroadcast: '127.0.0.1',
      apiListen: '127.0.0.1',
      api: () => '127.0.0.1',
      metricsListen: '127.0.0.1',
    },
    postgres: { port: settings.postgres.port, user: settings.postgres.user, password: settings.postgres.password },
    redisUrl: settings.redisUrl,
    databases: { temporal: settings.database, visibility: `${settings.database}_visibility` },
    historyShards: settings.historyShards,
    namespace: settings.namespace,
    retention: COMPOSE_TOPOLOGY.retention,
    temporalPorts: settings.temporalPorts,
    uiPort: settings.uiPort,
    apiPort: settings.apiPort,
    apiReplicaPort: (index) => settings.apiPort + 1 + index,
    workerMetricsPort: (index) => settings.apiPort + 1 + settings.apiProcesses + index,
    apiProcesses: settings.apiProcesses,
    workerProcesses: settings.workerProcesses,
    gatewayConfig: settings.gatewayConfig,
    browserApiUrl: `http://127.0.0.1:${settings.apiPort}`,
    logLevel: settings.logLevel,
  };
}
