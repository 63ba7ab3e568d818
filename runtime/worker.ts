import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { Agent } from 'undici';
import { createGuardedLookup } from '../activities/destination.js';
import { createEventLoader } from '../activities/event-loader.js';
import { createDeliveryActivities } from '../activities/index.js';
import { webhookDataConverter } from './data-converter.js';

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
}

/** A worker of this project, and the way to run it that also releases its outbound connections. */
export interface WebhookWorker {
  readonly worker: Worker;
  /** Polls until the worker shuts down (a signal, or `worker.shutdown()`), then closes the connection pool. */
  readonly run: () => Promise<void>;
}

/** A worker that runs this project's workflows and delivery activities. */
export async function createWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  // One pool for every outbound request: keep-alive connections to busy receivers are reused across attempts.
  const allowDestinations = options.allowDestinations ?? [];
  const dataConverter = webhookDataConverter();
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { lookup: createGuardedLookup(allowDestinations) } });
  const activities = createDeliveryActivities({
    dispatcher,
    allowDestinations,
    userAgent: options.userAgent ?? 'temporal-webhooks/0.1',
    env: options.env ?? process.env,
    // Over the worker's own connection: activities read each event from its workflow's input through it.
    events: createEventLoader(new Client({ connection: options.connection, namespace: options.namespace, dataConverter })),
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
        await dispatcher.close();
      }
    },
  };
}
