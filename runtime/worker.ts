import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { Agent } from 'undici';
import { createGuardedLookup } from '../activities/destination.js';
import { createEventLoader } from './event-loader.js';
import { createDeliveryActivities } from '../activities/index.js';
import { webhookDataConverter } from './data-converter.js';
import { createTemporalRegistry } from './endpoint-registry.js';

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
  /** Non-public address kinds deliveries may reach; none by default. */
  readonly allowDestinations?: readonly string[];
  /** Where referenced secrets are read; the process environment by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** How often the endpoint entities' statuses are read: a pause stops new attempts within about this long. */
  readonly endpointPollIntervalMs?: number;
}

/** A worker of this project, and the way to run it that also releases its outbound connections. */
export interface WebhookWorker {
  readonly worker: Worker;
  /** Polls until the worker shuts down (a signal, or `worker.shutdown()`), then closes the connection pool. */
  readonly run: () => Promise<void>;
}

/** A worker that runs this project's workflows and delivery activities. */
export async function createWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const allowDestinations = options.allowDestinations ?? [];
  const dataConverter = webhookDataConverter();
  // Over the worker's own connection: activities read events from workflow inputs, and endpoint statuses, through it.
  const client = new Client({ connection: options.connection, namespace: options.namespace, dataConverter });
  const endpoints = createTemporalRegistry({
    client,
    taskQueue: options.taskQueue,
    configEndpoints: [],
    ...(options.endpointPollIntervalMs ? { pollIntervalMs: options.endpointPollIntervalMs } : {}),
  });
  // One pool for every outbound request: keep-alive connections to busy receivers are reused across attempts.
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { lookup: createGuardedLookup(allowDestinations) } });
  const activities = createDeliveryActivities({
    dispatcher,
    allowDestinations,
    userAgent: options.userAgent ?? 'temporal-webhooks/0.1',
    env: options.env ?? process.env,
    events: createEventLoader(client),
    endpointStatus: (endpointId) => endpoints.status(endpointId),
  });
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
        await dispatcher.close();
      }
    },
  };
}
