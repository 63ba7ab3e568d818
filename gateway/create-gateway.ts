import { createSendSlotBroker, type SendSlotBroker } from './send-slots.js';
import type { Client } from '@temporalio/client';
import { deliveryDefaultsFrom, endpointSettingsFrom, type Config } from '../config/schema.js';
import { deriveSecret } from '../signing/derive.js';
import { createCatalogue, type EventCatalogue } from './catalogue.js';
import { createDeliveryHistory, type DeliveryHistory } from './delivery-history.js';
import { createDeliveryReports, type DeliveryReports } from './delivery-reports.js';
import { createDeliveryStarter } from './delivery-starter.js';
import { createEndpointAdmin, type EndpointAdmin } from './endpoint-admin.js';
import { createHealthView, type HealthView } from './endpoint-health.js';
import { createTemporalRegistry, type EndpointRegistry } from './endpoint-registry.js';
import { createEventLoader, type EventLoader } from './event-loader.js';
import { createIngest, type EventOutcome, type Ingest } from './ingest.js';
import type { RoutableEndpoint } from '../domain/endpoint-state.js';
import { reconcileEndpoints, type ReconcileReport } from './reconcile.js';
import { createRedelivery, type Redelivery } from './redelivery.js';
import { createSourceStore, type SourceStore } from './source-store.js';
import { createTestSend, type TestSend } from './test-send.js';

/** The application over a Temporal client: what the API serves and what the worker's activities call. */
export interface Gateway {
  /** The task queue its workflows run on and its endpoint entities belong to. */
  readonly taskQueue: string;
  readonly catalogue: EventCatalogue;
  /** The one way events go to Temporal. */
  readonly ingest: Ingest;
  /** The endpoints events are routed to, kept current from their entities. */
  readonly endpoints: EndpointRegistry;
  readonly admin: EndpointAdmin;
  readonly history: DeliveryHistory;
  readonly reports: DeliveryReports;
  readonly redelivery: Redelivery;
  readonly testSend: TestSend;
  /** Every endpoint's health at a glance: success rates, last outcomes, retrying and held deliveries. */
  readonly health: HealthView;
  /** Reads an event from the input of the delivery workflow that carries it. */
  readonly events: EventLoader;
  /** The durable book of inbound sources: the config file's and those made through the API. */
  readonly sources: SourceStore;
  /** Send slots of rate-limited endpoints, from their entities. */
  readonly sendSlots: SendSlotBroker;
  /** Makes the endpoint entities match the config file's endpoints; a worker of the task queue must be running. */
  reconcile(): Promise<ReconcileReport>;
  /** Stops following the endpoint entities (see `BackgroundLoop.close`). */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** The task queue, when it is not the config's: a plugin's gateway runs on the queue of the worker it is given to. */
  readonly taskQueue?: string;
  /** How long a start may wait for Temporal before it fails (the producer then hears 503). */
  readonly startTimeoutMs?: number;
  /** Where endpoints come from; by default the endpoint entities of the task queue, followed as they change. */
  readonly endpoints?: EndpointRegistry;
  /** Told when the endpoint entities could not be read, and when it tries again; routing goes on by what it last read. */
  readonly onEndpointsError?: (error: unknown, retryInMs: number) => void;
  /** Start deliveries eagerly, for a worker in this process on the client's `NativeConnection` (a gateway node). */
  readonly eagerStart?: boolean;
  /** The process's metrics, told of every event ingested and shown the endpoints at each scrape. */
  readonly metrics?: GatewayObserver;
  /**
   * The gateway's secret key (`secret_key_env`), when the process has one: page tokens of the delivery history are
   * signed with a key derived from it, so any API process takes another's and a made-up one is refused at once.
   */
  readonly secretKey?: string | undefined;
}

/** What the gateway tells a process's metrics (`GatewayMetrics` is one). */
export interface GatewayObserver {
  eventOutcome(type: string, outcome: EventOutcome, reason?: string): void;
  /** Shows the endpoints at each scrape, until the function returned is called. */
  watchEndpoints(list: () => readonly RoutableEndpoint[]): () => void;
}

/**
 * The composition root: builds every service of the gateway once, from the configuration and a client, for the API,
 * the worker and the plugin alike. Nothing here reads the environment; secrets stay with the processes that use them.
 */
export function createGateway(config: Config, client: Client, options: GatewayOptions = {}): Gateway {
  const taskQueue = options.taskQueue ?? config.temporal.task_queue;
  const deliveryDefaults = deliveryDefaultsFrom(config);
  const settings = endpointSettingsFrom(config);
  const endpoints =
    options.endpoints ??
    createTemporalRegistry({
      client,
      taskQueue,
      configEndpoints: config.endpoints,
      ...(options.onEndpointsError ? { onError: options.onEndpointsError } : {}),
    });
  const catalogue = createCatalogue(config.event_types);
  const deliveries = createDeliveryStarter({
    client,
    taskQueue,
    maxConcurrentDeliveries: config.delivery.max_concurrent_per_event,
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    ...(options.eagerStart ? { eagerStart: true } : {}),
  });
  const ingest = createIngest({
    deliveries,
    routes: () => endpoints.routes(),
    deliveryDefaults,
    catalogue,
    sourceIds: config.sources.map((source) => source.id),
    ...(options.metrics ? { onOutcome: options.metrics.eventOutcome.bind(options.metrics) } : {}),
  });
  const unwatch = options.metrics?.watchEndpoints(() => endpoints.list()) ?? (() => undefined);
  const admin = createEndpointAdmin(client, taskQueue, settings);
  const history = createDeliveryHistory(
    client,
    options.secretKey ? { pageTokenKey: deriveSecret(options.secretKey, 'page-token', [taskQueue]) } : {},
  );
  const reports = createDeliveryReports(client);
  const events = createEventLoader(client);
  return {
    taskQueue,
    catalogue,
    ingest,
    endpoints,
    admin,
    history,
    reports,
    redelivery: createRedelivery({
      deliveries,
      events,
      admin,
      targets: (event) => ingest.route(event).targets,
      history,
      reports,
      deliveryDefaults,
    }),
    testSend: createTestSend({ admin, deliveries, reports, deliveryDefaults }),
    health: createHealthView(client, taskQueue),
    events,
    sources: createSourceStore(client, taskQueue),
    sendSlots: createSendSlotBroker(client),
    reconcile: () => reconcileEndpoints(client, taskQueue, config.endpoints, settings),
    async close() {
      unwatch();
      await endpoints.close();
    },
  };
}
