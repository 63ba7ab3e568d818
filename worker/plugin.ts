import { Context } from '@temporalio/activity';
import type { ConnectionLike } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { SimplePlugin } from '@temporalio/plugin';
import { Runtime, type BundleOptions, type ReplayWorkerOptions, type Worker, type WorkerOptions } from '@temporalio/worker';
import { defineConfig } from '../config/load.js';
import { deliveryShutdownGraceMs, type Config } from '../config/schema.js';
import type { Gateway } from '../gateway/index.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import { dataConverterFrom } from '../temporal/data-converter.js';
import { ensureSearchAttributes } from '../temporal/namespace-setup.js';
import { isRefusal, retryUntilDone } from '../temporal/startup-retry.js';
import {
  openWorkerSession,
  WEBHOOK_ACTIVITY_NAMES,
  type WorkerObserver,
  type WorkerSession,
  type WorkerSessionOptions,
} from './session.js';
import { SHARED_WORKFLOW_MODULES, workflowsModuleFor } from './workflows-module.js';

/** How {@link WebhooksPlugin} sets up the workers and clients it is given to. */
export interface WebhooksPluginOptions {
  /**
   * Endpoints, delivery defaults, allowed destinations and encryption keys, as {@link defineConfig} or `loadConfig`
   * returns them. Default: no endpoints (the API or the CLI can add some) and the schema's defaults.
   */
  readonly config?: Config;
  /** Where secrets referenced by name (signing secrets, tokens, encryption keys) are read. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The `User-Agent` of deliveries. Default: `temporal-webhooks/0.1`. */
  readonly userAgent?: string;
  /**
   * When a worker starts, make the endpoint entities of its task queue match `config.endpoints` (create, update,
   * and disable those no longer listed). Default: true.
   */
  readonly reconcileEndpoints?: boolean;
  /**
   * When a worker starts, register the search attributes deliveries are started with, if the namespace lacks them.
   * Default: true; a managed namespace that refuses the operator API gets a warning instead.
   */
  readonly registerSearchAttributes?: boolean;
  /** How often attempt outcomes reach the endpoints' health counters. */
  readonly healthReportIntervalMs?: number;
  /**
   * The gateway this process already built (a gateway node, whose API shares it): a worker on its task queue uses it
   * instead of building its own, so the process keeps one endpoint list. Its builder closes it.
   */
  readonly gateway?: Gateway;
  /**
   * The process's metrics (`createGatewayMetrics` from `temporal-webhooks`): told of every attempt, shown the
   * endpoints. Serve them with `serveMetrics`. Default: none kept.
   */
  readonly metrics?: WorkerObserver;
}

const PLUGIN_NAME = 'temporal-webhooks';
const SEARCH_ATTRIBUTE_SETUP_MS = 60_000;
const DEFAULT_USER_AGENT = 'temporal-webhooks/0.1';
/** The activity functions plugins registered, told apart from a user's activities of the same name. */
const FORWARDERS = new WeakSet<object>();

/**
 * Adds webhook delivery to a Temporal `Worker` and `Client`: the `deliverEvent` and `webhookEndpoint` workflows
 * (next to the worker's own), the delivery activities, and the data converter (compression, and AES-256-GCM
 * encryption when `config.encryption` names keys). Give the same plugin to the client, so that what it starts and
 * reads goes through the same codecs, and to `bundleWorkflowCode` when the worker uses a prebuilt bundle.
 *
 * A workflow then sends events with `sendEvent` from `temporal-webhooks/workflow`.
 *
 * @example
 * const webhooks = new WebhooksPlugin({ config: defineConfig({ endpoints: [{ id: 'crm', url: 'https://crm.example/hooks', events: ['order.*'] }] }) });
 * const worker = await Worker.create({ connection, taskQueue: 'orders', workflowsPath, activities, plugins: [webhooks] });
 */
export class WebhooksPlugin extends SimplePlugin {
  private readonly config: Config;
  private readonly reconcileEndpoints: boolean;
  private readonly registerSearchAttributes: boolean;
  /** What every worker session is opened with, but for the worker's own client and task queue. */
  private readonly sessionOptions: Omit<WorkerSessionOptions, 'client' | 'taskQueue'>;
  /** The open sessions of running workers, by namespace and task queue; activities find theirs from their context. */
  private readonly sessions = new Map<string, { session: WorkerSession; workers: number }>();

  /** Reads encryption keys at once: a missing or malformed key fails here, not at the first payload. */
  constructor(options: WebhooksPluginOptions = {}) {
    const config = options.config ?? defineConfig();
    const env = options.env ?? process.env;
    const codecs = dataConverterFrom(config, env).payloadCodecs ?? [];
    super({
      name: PLUGIN_NAME,
      // Appended to the codecs a worker or client already has, and the payload converter is left as it is.
      dataConverter: (existing?: DataConverter): DataConverter => ({
        ...existing,
        payloadCodecs: [...(existing?.payloadCodecs ?? []), ...codecs],
      }),
    });
    this.config = config;
    this.reconcileEndpoints = options.reconcileEndpoints ?? true;
    this.registerSearchAttributes = options.registerSearchAttributes ?? true;
    const { healthReportIntervalMs, gateway, metrics } = options;
    this.sessionOptions = {
      config,
      env,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      ...(healthReportIntervalMs ? { healthReportIntervalMs } : {}),
      ...(gateway ? { gateway } : {}),
      ...(metrics ? { metrics } : {}),
    };
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    // The workflows call these activities by name: one of the worker's own under the same name would take its place.
    // Ours from an earlier pass (the plugin given to the connection and the worker both) are not a clash.
    const existing = (options.activities ?? {}) as Record<string, unknown>;
    const clash = WEBHOOK_ACTIVITY_NAMES.filter((name) => name in existing && !FORWARDERS.has(existing[name] as object));
    if (clash.length > 0) throw new Error(`WebhooksPlugin: the worker already has activities named ${clash.join(', ')}; rename them`);
    const configured = super.configureWorker(options);
    return {
      // A stopping worker lets the requests it is sending finish: cut, each would be sent again after a restart,
      // though its receiver may have taken it. A worker's own setting wins.
      shutdownGraceTime: deliveryShutdownGraceMs(this.config),
      ...configured,
      // A prebuilt bundle already holds our workflows when it was built with this plugin.
      ...(options.workflowBundle ? {} : bundledWithOurs(configured)),
      activities: { ...configured.activities, ...this.activities() },
    };
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    const configured = super.configureReplayWorker(options);
    return options.workflowBundle ? configured : { ...configured, ...bundledWithOurs(configured) };
  }

  /** For `bundleWorkflowCode({ workflowsPath, plugins })`: the bundle holds the user's workflows and ours. */
  override configureBundler(options: BundleOptions): BundleOptions {
    const configured = super.configureBundler(options);
    return {
      ...configured,
      workflowsPath: workflowsModuleFor(options.workflowsPath),
      preloadModules: withSharedModules(configured.preloadModules),
    };
  }

  /** Opens the worker's session (endpoint list, health counters, connection pool) for as long as the worker runs. */
  override async runWorker(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void> {
    const client = worker.client;
    if (!client) return next(worker);
    const { namespace, taskQueue } = worker.options;
    const key = sessionKey(namespace, taskQueue);
    const open = this.sessions.get(key) ?? {
      session: openWorkerSession({ ...this.sessionOptions, client, taskQueue }),
      workers: 0,
    };
    open.workers += 1;
    this.sessions.set(key, open);
    // Aborted when the worker stops, so that start-up steps still retrying give up with it.
    const stopped = new AbortController();
    try {
      if (this.registerSearchAttributes) await this.registerAttributes(client.connection, namespace, stopped.signal);
      const running = next(worker).finally(() => stopped.abort());
      await Promise.all([running, this.reconcileEndpoints ? this.reconcile(open.session, stopped.signal) : undefined]);
    } finally {
      stopped.abort();
      open.workers -= 1;
      if (open.workers === 0) {
        this.sessions.delete(key);
        await open.session.close();
      }
    }
  }

  /**
   * Makes the endpoint entities of the worker's queue match the configuration, once the worker polls: definitions
   * change through updates, which a worker of this queue must run. Each update is bounded (see `reconcile.ts`): a
   * call in flight on the worker's connection holds back the worker's shutdown until it ends.
   */
  private async reconcile(session: WorkerSession, stopped: AbortSignal): Promise<void> {
    const log = Runtime.instance().logger;
    try {
      // Retried until it succeeds: on a real cluster a search attribute registered a moment ago is refused for a
      // while, and an endpoint without its entity could not be paused by signal.
      const report = await retryUntilDone(() => session.reconcile(), {
        signal: stopped,
        onRetry: ({ error, attempt, delayMs }) => {
          log.warn('could not reconcile the endpoint entities with the configuration yet; retrying', {
            error: String(error),
            attempt,
            retryInMs: delayMs,
          });
        },
      });
      log.info('endpoint entities match the configuration', { ...report });
    } catch (error) {
      // Only a stopping worker ends the retries.
      log.warn('the worker stopped before the endpoint entities matched the configuration', { error: String(error) });
    }
  }

  /**
   * Registers the search attributes deliveries are started with, retrying while the server is not ready. Managed
   * clusters (Temporal Cloud) refuse the operator API: there an admin registers them, and a warning says so.
   */
  private async registerAttributes(connection: ConnectionLike, namespace: string, stopped: AbortSignal): Promise<void> {
    const log = Runtime.instance().logger;
    try {
      const added = await retryUntilDone(() => ensureSearchAttributes(connection, namespace, SEARCH_ATTRIBUTE_KEYS), {
        // Bounded, since the worker waits for it: the reconcile after it retries on its own as long as it must.
        signal: AbortSignal.any([stopped, AbortSignal.timeout(SEARCH_ATTRIBUTE_SETUP_MS)]),
        isPermanent: isRefusal,
        onRetry: ({ error, attempt, delayMs }) => {
          log.warn('could not check search attributes yet; retrying', { error: String(error), attempt, retryInMs: delayMs });
        },
      });
      if (added.length > 0) log.info('registered search attributes', { added });
    } catch (error) {
      // Deliveries start without the newest ones (WebhookRetryingEndpointIds is first written at a retry), so a
      // missing attribute shows only when a retry's workflow task is refused: say so now.
      log.warn('could not check search attributes; register them by hand (docs/operations.md), or deliveries stall at their first retry', {
        error: String(error),
        attributes: SEARCH_ATTRIBUTE_KEYS.map((key) => key.name),
      });
    }
  }

  // Registered when the worker is configured, before its session exists: each call finds the session of the worker
  // that runs it, by the namespace and task queue in its activity context.
  private activities(): Record<string, (...args: unknown[]) => Promise<unknown>> {
    const forward =
      (name: (typeof WEBHOOK_ACTIVITY_NAMES)[number]) =>
      (...args: unknown[]): Promise<unknown> => {
        const { activityNamespace, taskQueue } = Context.current().info;
        const open = this.sessions.get(sessionKey(activityNamespace, taskQueue));
        if (!open) throw new Error(`no running webhooks worker for task queue ${taskQueue}`);
        return (open.session.activities[name] as (...args: unknown[]) => Promise<unknown>)(...args);
      };
    return Object.fromEntries(
      WEBHOOK_ACTIVITY_NAMES.map((name) => {
        const forwarder = forward(name);
        FORWARDERS.add(forwarder);
        return [name, forwarder];
      }),
    );
  }
}

/** What a worker that bundles its own workflows needs: a module with ours too, and ours shared across executions. */
function bundledWithOurs(options: WorkerOptions | ReplayWorkerOptions): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions'> {
  return {
    workflowsPath: workflowsModuleFor(options.workflowsPath),
    bundlerOptions: { ...options.bundlerOptions, preloadModules: withSharedModules(options.bundlerOptions?.preloadModules) },
  };
}

function withSharedModules(preloaded: readonly string[] | undefined): string[] {
  return [...new Set([...(preloaded ?? []), ...SHARED_WORKFLOW_MODULES])];
}

function sessionKey(namespace: string, taskQueue: string): string {
  return `${namespace}\u0000${taskQueue}`;
}
