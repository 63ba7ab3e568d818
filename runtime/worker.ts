import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { defineConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { WebhooksPlugin } from './plugin.js';

export { WORKFLOWS_PATH } from './workflows-module.js';

export interface WebhookWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Prebuilt workflow code; without it the worker bundles the workflows itself (several seconds). */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  readonly userAgent?: string;
  /** Delivery defaults, destination rules and the config file's endpoints (for operational events); defaults otherwise. */
  readonly config?: Config;
  /** Where referenced secrets are read; the process environment by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Make the endpoint entities match `config.endpoints` once the worker polls (what `bin/worker` does). */
  readonly reconcileEndpoints?: boolean;
  /** How often the endpoint entities' statuses are read: a pause stops new attempts within about this long. */
  readonly endpointPollIntervalMs?: number;
  /** How often attempt outcomes are reported to the endpoint entities' health counters. */
  readonly healthReportIntervalMs?: number;
}

/** A worker of this project, and the way to run it. */
export interface WebhookWorker {
  readonly worker: Worker;
  /** Polls until the worker shuts down (a signal, or `worker.shutdown()`); the plugin releases its resources after. */
  readonly run: () => Promise<void>;
}

/** A worker that runs only this project's workflows and activities: {@link WebhooksPlugin} on an otherwise empty worker. */
export async function createWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const plugin = new WebhooksPlugin({
    config: options.config ?? defineConfig(),
    ...(options.env ? { env: options.env } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    reconcileEndpoints: options.reconcileEndpoints ?? false,
    ...(options.endpointPollIntervalMs ? { endpointPollIntervalMs: options.endpointPollIntervalMs } : {}),
    ...(options.healthReportIntervalMs ? { healthReportIntervalMs: options.healthReportIntervalMs } : {}),
  });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    plugins: [plugin],
  });
  return { worker, run: () => worker.run() };
}
