import { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { createGateway, type EndpointRegistry, type Gateway } from '../gateway/index.js';
import { metricsFromConfig, type GatewayMetrics } from '../metrics/index.js';
import { buildAppFromConfig, closeGracefully } from '../server/index.js';
import type { Tracing } from '../tracing/index.js';
import { connectWorker } from '../temporal/connection.js';
import { dataConverterFrom } from '../temporal/data-converter.js';
import { createWebhookWorker, type WebhookWorker } from '../worker/worker.js';

export interface GatewayNodeOptions {
  /** Where secrets are read (API keys, source secrets, signing secrets, encryption keys). Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The API's request log; the worker logs through the Temporal runtime's logger. */
  readonly logger?: FastifyBaseLogger;
  /** Where the API listens; by default the config's `api.host` and `api.port`. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Prebuilt workflow code; without it the worker bundles the workflows itself (several seconds). */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** Make the endpoint entities match the config's endpoints once the worker polls. Default: true. */
  readonly reconcileEndpoints?: boolean;
  /** Where endpoints come from; by default the endpoint entities of the task queue. */
  readonly registry?: EndpointRegistry;
  readonly healthReportIntervalMs?: number;
  /** The process's metrics, shared by the API and the worker; by default made from the config's `metrics`. */
  readonly metrics?: GatewayMetrics;
  /**
   * Tracing (`tracingFromEnv`): each delivery carries the producer's trace to its attempts and the receiver. With
   * workflow spans, the worker bundles its workflows itself, with the SDK's interceptors, whatever `workflowBundle` says.
   */
  readonly tracing?: Tracing;
}

/** A running gateway node: the API and a worker in one process, on one connection. */
export interface GatewayNode {
  /** The API's base URL. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly client: Client;
  readonly gateway: Gateway;
  /** What `/metrics` serves, when `metrics.enabled`. */
  readonly metrics?: GatewayMetrics;
  /** Stops taking requests (waiting up to `api.shutdown_grace` for those in flight), then the worker, then the connection. */
  close(): Promise<{ readonly forced: boolean }>;
}

/**
 * Starts a gateway node: the worker and the API in one process, sharing one `NativeConnection` and one gateway. The
 * API starts each delivery eagerly, so that Temporal hands its first workflow task straight back to this process's
 * worker (no trip through matching), and that task makes the first attempt itself (a local activity): a first-attempt
 * success costs Temporal one start and one task completion.
 */
export async function startGatewayNode(config: Config, options: GatewayNodeOptions = {}): Promise<GatewayNode> {
  const env = options.env ?? process.env;
  const connection = await connectWorker(config, env);
  let worker: WebhookWorker | undefined;
  let running: Promise<void> | undefined;
  let gateway: Gateway | undefined;
  let app: FastifyInstance | undefined;
  try {
    // Eager start needs the client on the worker's own connection: the start's answer carries the task to it.
    const { tracing } = options;
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: dataConverterFrom(config, env),
      ...(tracing ? { plugins: [tracing.plugin] } : {}),
    });
    const metrics = options.metrics ?? (config.metrics.enabled ? metricsFromConfig(config) : undefined);
    gateway = createGateway(config, client, {
      ...(metrics ? { metrics } : {}),
      secretKey: env[config.secret_key_env],
      eagerStart: config.delivery.fast_path,
      ...(options.registry ? { endpoints: options.registry } : {}),
      onEndpointsError: (error, retryInMs) =>
        options.logger?.warn({ err: error, retryInMs }, 'could not read the endpoint entities; routing by what was last read'),
    });
    worker = await createWebhookWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.task_queue,
      config,
      env,
      gateway,
      ...(metrics ? { metrics } : {}),
      reconcileEndpoints: options.reconcileEndpoints ?? true,
      // A prebuilt bundle lacks the SDK's workflow interceptors, which workflow spans bundle in with the workflows.
      ...(options.workflowBundle && !tracing?.bundlesWorkflows ? { workflowBundle: options.workflowBundle } : {}),
      ...(tracing ? { plugins: [tracing.plugin] } : {}),
      ...(options.healthReportIntervalMs ? { healthReportIntervalMs: options.healthReportIntervalMs } : {}),
    });
    running = worker.run();
    app = buildAppFromConfig(config, client, {
      gateway,
      env,
      ...(metrics ? { metrics } : {}),
      ...(tracing ? { tracer: tracing.tracer } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const { host, port } = options.listen ?? config.api;
    const url = await app.listen({ host, port });
    const [started, workerRunning, startedApp, startedGateway] = [worker, running, app, gateway];
    return {
      url,
      app,
      client,
      gateway,
      ...(metrics ? { metrics } : {}),
      async close() {
        const closed = await closeGracefully(startedApp, config.api.shutdown_grace);
        // The runtime may have begun the worker's shutdown itself, on a signal it was told to handle.
        if (started.worker.getState() === 'RUNNING') started.worker.shutdown();
        await workerRunning;
        await startedGateway.close();
        await connection.close();
        return closed;
      },
    };
  } catch (error) {
    // A node that did not start leaves nothing running: no polling worker, no follower, no open connection.
    if (worker && running) {
      worker.worker.shutdown();
      await running.catch(() => undefined);
    }
    await app?.close().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    await connection.close();
    throw error;
  }
}
