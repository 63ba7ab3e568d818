import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { Agent } from 'undici';
import { createGuardedLookup } from '../activities/destination.js';
import { createEventLoader } from './event-loader.js';
import { createDeliveryActivities, createOperationalActivities } from '../activities/index.js';
import { ConfigSchema, deliveryDefaultsFrom, type Config } from '../config/schema.js';
import { dataConverterFrom } from './data-converter.js';
import { createTemporalRegistry } from './endpoint-registry.js';
import { createHealthReporter } from './health-reporter.js';
import { createTemporalPublisher } from './publisher.js';

/** The module the worker bundles for the workflow sandbox: the source under tsx, the compiled file in `dist/`. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

export interface WebhookWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Prebuilt workflow code; without it the worker bundles {@link WORKFLOWS_PATH} itself (several seconds). */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  readonly userAgent?: string;
  /** Delivery defaults, destination rules and the config file's endpoints (for operational events); defaults otherwise. */
  readonly config?: Config;
  /** Where referenced secrets are read; the process environment by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** How often the endpoint entities' statuses are read: a pause stops new attempts within about this long. */
  readonly endpointPollIntervalMs?: number;
  /** How often attempt outcomes are reported to the endpoint entities' health counters. */
  readonly healthReportIntervalMs?: number;
}

/** A worker of this project, and the way to run it that also releases its outbound connections. */
export interface WebhookWorker {
  readonly worker: Worker;
  /** Polls until the worker shuts down (a signal, or `worker.shutdown()`), then closes the connection pool. */
  readonly run: () => Promise<void>;
}

/** A worker that runs this project's workflows, delivery and operational activities. */
export async function createWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const config = options.config ?? ConfigSchema.parse({});
  const allowDestinations = config.delivery.allow_destinations;
  const dataConverter = dataConverterFrom(config, options.env ?? process.env);
  // Over the worker's own connection: activities read events from workflow inputs, and endpoint statuses, through it.
  const client = new Client({ connection: options.connection, namespace: options.namespace, dataConverter });
  const endpoints = createTemporalRegistry({
    client,
    taskQueue: options.taskQueue,
    configEndpoints: config.endpoints,
    ...(options.endpointPollIntervalMs ? { pollIntervalMs: options.endpointPollIntervalMs } : {}),
  });
  const health = createHealthReporter(client, options.healthReportIntervalMs);
  // One pool for every outbound request: keep-alive connections to busy receivers are reused across attempts.
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { lookup: createGuardedLookup(allowDestinations) } });
  const activities = {
    ...createDeliveryActivities({
      dispatcher,
      allowDestinations,
      userAgent: options.userAgent ?? 'temporal-webhooks/0.1',
      env: options.env ?? process.env,
      events: createEventLoader(client),
      endpointStatus: (endpointId) => endpoints.status(endpointId),
      onAttempt: (endpointId, succeeded, at) => health.record(endpointId, succeeded, at),
    }),
    ...createOperationalActivities({
      publisher: createTemporalPublisher({
        client,
        taskQueue: options.taskQueue,
        maxConcurrentDeliveries: config.delivery.max_concurrent_per_event,
      }),
      routes: () => endpoints.routes(),
      deliveryDefaults: deliveryDefaultsFrom(config),
    }),
  };
  const worker = await Worker.create({
    dataConverter,
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
  });
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        endpoints.close();
        await health.close();
        await dispatcher.close();
      }
    },
  };
}
