import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { WebhooksPlugin, type WebhooksPluginOptions } from './plugin.js';

export { WORKFLOWS_PATH } from './workflows-module.js';

/** Where the worker runs, and the plugin's options; endpoints are not reconciled unless asked (`bin/worker` asks). */
export interface WebhookWorkerOptions extends WebhooksPluginOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Prebuilt workflow code; without it the worker bundles the workflows itself (several seconds). */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** More plugins for the worker, such as tracing's (with workflow spans, the worker must bundle, not take a prebuilt bundle). */
  readonly plugins?: WorkerOptions['plugins'];
}

/** A worker of this project, and the way to run it. */
export interface WebhookWorker {
  readonly worker: Worker;
  /** Polls until the worker shuts down (a signal, or `worker.shutdown()`); the plugin releases its resources after. */
  readonly run: () => Promise<void>;
}

/**
 * The worker's settings where the SDK's defaults do not suit a gateway, each chosen by measurement (BENCHMARKS.md).
 *
 * Workflow task slots: an eager start needs a free one at the moment of the start, and a local first attempt holds
 * one while its request runs. With the default 40 (of which the pollers reserve some), a gateway node with 32
 * producers got 117 of 400 starts eagerly and delivered 57 events/s; with 100, all 400 and 105 events/s. Slots cost
 * nothing while free.
 *
 * Cached workflows: the SDK's default (about 2,300 with Node's 4 GiB heap), measured against 500 and 1,000. Right
 * after 10,000 endpoints were created their idle entities filled the default cache (RSS 1,481 MiB), and throughput,
 * measured fairly (warm, two samples, beside a hand-written workflow on the same server), was 1.04 of what it was
 * before. A smaller cache held less memory (610 MiB with 500, 674 with 1,000) for the same throughput after, but
 * replayed the entities it had evicted: the node idled at 2.9 % and 8.4 % of a core right after the creation, and
 * with 500 the first event sent to 2,000 new endpoints ran at 119–135 deliveries/s against 489–710. So the default
 * stays; idle entities leave the cache as new work needs room.
 */
export const WORKER_TUNING = { maxConcurrentWorkflowTaskExecutions: 100 } as const satisfies Partial<WorkerOptions>;

/** A worker that runs only this project's workflows and activities: {@link WebhooksPlugin} on an otherwise empty worker. */
export async function createWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const { connection, namespace, taskQueue, workflowBundle, plugins = [], ...pluginOptions } = options;
  const plugin = new WebhooksPlugin({ ...pluginOptions, reconcileEndpoints: options.reconcileEndpoints ?? false });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : {}),
    plugins: [plugin, ...plugins],
    ...WORKER_TUNING,
  });
  return { worker, run: () => worker.run() };
}
