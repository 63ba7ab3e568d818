import type { Client } from '@temporalio/client';
import { Agent } from 'undici';
import { createGuardedLookup } from '../activities/destination.js';
import { createDeliveryActivities, createOperationalActivities, createSendActivities } from '../activities/index.js';
import { deliveryDefaultsFrom, type Config } from '../config/schema.js';
import { createTemporalRegistry } from '../gateway/endpoint-registry.js';
import { createEventLoader } from '../gateway/event-loader.js';
import { createHealthReporter } from '../gateway/health-reporter.js';
import { createCatalogue } from '../gateway/catalogue.js';
import { createIngest } from '../gateway/ingest.js';
import { createTemporalPublisher } from '../gateway/delivery-starter.js';

/** Every activity a worker of this project runs, by name. */
export type WebhookActivities = ReturnType<typeof createDeliveryActivities> &
  ReturnType<typeof createOperationalActivities> &
  ReturnType<typeof createSendActivities>;

/** The names workflows call the activities by: part of the contract between workflows and workers. */
export const WEBHOOK_ACTIVITY_NAMES = [
  'deliverAttempt',
  'publishOperationalEvent',
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
  readonly endpointPollIntervalMs?: number;
  readonly healthReportIntervalMs?: number;
}

/** What a running worker's activities use, and the way to release it when the worker stops. */
export interface WorkerSession {
  readonly activities: WebhookActivities;
  close(): Promise<void>;
}

/**
 * Opens what the activities of one running worker share: the endpoint list it polls, the health counters it
 * reports, and one outbound connection pool, whose keep-alive connections to busy receivers serve many attempts.
 */
export function openWorkerSession(options: WorkerSessionOptions): WorkerSession {
  const { client, taskQueue, config } = options;
  const allowDestinations = config.delivery.allow_destinations;
  const endpoints = createTemporalRegistry({
    client,
    taskQueue,
    configEndpoints: config.endpoints,
    ...(options.endpointPollIntervalMs ? { pollIntervalMs: options.endpointPollIntervalMs } : {}),
  });
  const health = createHealthReporter(client, options.healthReportIntervalMs);
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { lookup: createGuardedLookup(allowDestinations) } });
  const maxConcurrentDeliveries = config.delivery.max_concurrent_per_event;
  const publisher = createTemporalPublisher({ client, taskQueue, maxConcurrentDeliveries });
  // The API's own path for an event: routing, the catalogue and reserved ids, for the events workflows send.
  const ingest = createIngest({
    publisher,
    routes: () => endpoints.routes(),
    deliveryDefaults: deliveryDefaultsFrom(config),
    catalogue: createCatalogue(config.event_types),
    sourceIds: config.sources.map((source) => source.id),
  });
  const activities = {
    ...createDeliveryActivities({
      dispatcher,
      allowDestinations,
      userAgent: options.userAgent,
      env: options.env,
      events: createEventLoader(client),
      endpointStatus: (endpointId) => endpoints.status(endpointId),
      onAttempt: (endpointId, succeeded, at) => health.record(endpointId, succeeded, at),
    }),
    ...createOperationalActivities({ publisher, targets: (eventType) => ingest.targets(eventType) }),
    ...createSendActivities({ ingest, publisher, maxConcurrentDeliveries }),
  };
  return {
    activities,
    async close() {
      endpoints.close();
      await health.close();
      await dispatcher.close();
    },
  };
}
