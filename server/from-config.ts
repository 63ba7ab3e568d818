import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { createRouteIndex } from '../domain/routing.js';
import { buildApp } from './app.js';
import { createTemporalPublisher } from './publisher.js';

const READY_TIMEOUT_MS = 2_000;

/** The API as the config describes it, publishing through `client`. */
export function buildAppFromConfig(
  config: Config,
  client: Client,
  options: { logger?: FastifyBaseLogger; startTimeoutMs?: number } = {},
): FastifyInstance {
  const routes = createRouteIndex(config.endpoints);
  return buildApp({
    ...(options.logger ? { logger: options.logger } : {}),
    bodyLimitBytes: config.api.body_limit_bytes,
    publisher: createTemporalPublisher({
      client,
      taskQueue: config.temporal.task_queue,
      maxConcurrentDeliveries: config.delivery.max_concurrent_per_event,
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    }),
    routes: () => routes,
    deliveryDefaults: {
      timeoutMs: config.delivery.timeout,
      retry: config.delivery.retry,
      format: config.delivery.format,
      ...(config.delivery.signing ? { signing: config.delivery.signing } : {}),
    },
    checkReady: async () => {
      await client.connection.withDeadline(Date.now() + READY_TIMEOUT_MS, () => client.connection.workflowService.getSystemInfo({}));
    },
  });
}
