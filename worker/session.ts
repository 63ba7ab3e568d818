import type { Client } from '@temporalio/client';
import { Agent } from 'undici';
import { createGuardedLookup } from '../activities/destination.js';
import {
  createAccessTokens,
  createClientTlsPools,
  createDeliveryActivities,
  createOperationalActivities,
  createSendActivities,
} from '../activities/index.js';
import { transformLimitsFrom, type Config } from '../config/schema.js';
import type { AttemptObservation } from '../domain/observations.js';
import { createGateway, type Gateway, type GatewayObserver, createHealthReporter, type ReconcileReport } from '../gateway/index.js';
import { createTransformer } from '../transform/index.js';

/** Every activity a worker of this project runs, by name. */
export type WebhookActivities = ReturnType<typeof createDeliveryActivities> &
  ReturnType<typeof createOperationalActivities> &
  ReturnType<typeof createSendActivities>;

/** The names workflows call the activities by: part of the contract between workflows and workers. */
export const WEBHOOK_ACTIVITY_NAMES = [
  'deliverAttempt',
  'publishOperationalEvent',
  'lineDeliveryState',
  'prepareWebhookEvent',
  'webhookEventMatches',
] as const satisfies readonly (keyof WebhookActivities)[];
// And every activity is listed: one left out here would be missing from the plugin's workers, found only when a
// workflow calls it.
type UnlistedActivity = Exclude<keyof WebhookActivities, (typeof WEBHOOK_ACTIVITY_NAMES)[number]>;
type EveryActivityListed = [UnlistedActivity] extends [never] ? true : { readonly unlisted: UnlistedActivity };
true satisfies EveryActivityListed;

export interface WorkerSessionOptions {
  /** A client of the worker's namespace, with the worker's data converter. */
  readonly client: Client;
  readonly taskQueue: string;
  readonly config: Config;
  readonly env: NodeJS.ProcessEnv;
  readonly userAgent: string;
  readonly healthReportIntervalMs?: number;
  /** The gateway this process already built on the worker's task queue (a gateway node); the session then shares it. */
  readonly gateway?: Gateway;
  /** The process's metrics, told of every attempt (and, for a gateway of the session's own, of its endpoints). */
  readonly metrics?: WorkerObserver;
}

/** What a worker tells a process's metrics (`GatewayMetrics` is one). */
export interface WorkerObserver extends GatewayObserver {
  attemptFinished(attempt: AttemptObservation): void;
  /** The session runs attempts until the function returned is called (see `GatewayMetrics.runsDeliveries`). */
  runsDeliveries?(): () => void;
}

/** What a running worker's activities use, and the way to release it when the worker stops. */
export interface WorkerSession {
  readonly activities: WebhookActivities;
  /** Makes the endpoint entities of the worker's task queue match the config file. */
  reconcile(): Promise<ReconcileReport>;
  close(): Promise<void>;
}

/**
 * Opens what the activities of one running worker share: the gateway's services on the worker's task queue, the
 * health counters it reports, and one outbound connection pool, whose keep-alive connections to busy receivers serve
 * many attempts. Each activity gets only the functions it declares it needs.
 */
export function openWorkerSession(options: WorkerSessionOptions): WorkerSession {
  const { client, config } = options;
  const shared = options.gateway?.taskQueue === options.taskQueue ? options.gateway : undefined;
  const gateway: Gateway =
    shared ??
    createGateway(config, client, {
      taskQueue: options.taskQueue,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
  const { metrics } = options;
  const stopReportingDeliveries = metrics?.runsDeliveries?.() ?? (() => undefined);
  const health = createHealthReporter(client, {
    ...(options.healthReportIntervalMs ? { intervalMs: options.healthReportIntervalMs } : {}),
    isFailing: (endpointId) => gateway.endpoints.status(endpointId)?.failing === true,
  });
  const allowDestinations = config.delivery.allow_destinations;
  const lookup = createGuardedLookup(allowDestinations);
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { lookup } });
  // Endpoints with a client certificate or a CA of their own get pools of their own, through the same guard.
  const clientTls = createClientTlsPools({ lookup });
  // OAuth2 tokens are cached per process and fetched through the same guarded pool as deliveries.
  const accessTokens = createAccessTokens({ dispatcher, allowDestinations });
  // Its processes start with the first transform: a worker whose endpoints have none runs none.
  const transformer = createTransformer(transformLimitsFrom(config));
  const activities = {
    ...createDeliveryActivities({
      dispatcher,
      allowDestinations,
      userAgent: options.userAgent,
      env: options.env,
      clientTls,
      accessTokens,
      transformer,
      loadEvent: (run) => gateway.events.load(run),
      endpointStatus: (endpointId) => gateway.endpoints.status(endpointId),
      endpointDeletion: (endpointId) => gateway.endpoints.deletion(endpointId),
      endpointStatusesRead: gateway.endpoints.statusesRead,
      reserveSendSlot: (endpointId, request) => gateway.sendSlots.reserve(endpointId, request),
      recordAttempt: (endpointId, succeeded, at, failureReason) => health.record(endpointId, succeeded, at, failureReason),
      ...(metrics ? { observeAttempt: (attempt) => metrics.attemptFinished(attempt) } : {}),
    }),
    ...createOperationalActivities({
      announce: (notice) => gateway.ingest.announce(notice),
      workflowState: (workflowId) => gateway.reports.state(workflowId),
    }),
    ...createSendActivities({
      prepareEvent: (event) => gateway.ingest.prepare(event),
      storedFingerprint: (workflowId) => gateway.ingest.storedFingerprint(workflowId),
      maxConcurrentDeliveries: config.delivery.max_concurrent_per_event,
    }),
  };
  return {
    activities,
    reconcile: () => gateway.reconcile(),
    async close() {
      // A shared gateway is its builder's to close.
      if (!shared) await gateway.close();
      stopReportingDeliveries();
      await health.close();
      await dispatcher.close();
      await clientTls.close();
      await transformer.close();
    },
  };
}
