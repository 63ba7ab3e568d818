import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { createRouteIndex } from '../domain/routing.js';
import { buildApp } from './app.js';
import { createTemporalPublisher } from './publisher.js';

/** The API as the config describes it, publishing through `client`. */
export function buildAppFromConfig(config: Config, client: Client, logger?: FastifyBaseLogger): FastifyInstance {
  const routes = createRouteIndex(config.endpoints);
  return buildApp({
    ...(logger ? { logger } : {}),
    bodyLimitBytes: config.api.body_limit_bytes,
    publisher: createTemporalPublisher({
      client,
      taskQueue: config.temporal.task_queue,
      maxConcurrentDeliveries: config.delivery.max_concurrent_per_event,
    }),
    routes: () => routes,
    deliveryDefaults: { timeoutMs: config.delivery.timeout, retryScheduleMs: config.delivery.retry_schedule },
    checkReady: async () => {
      await client.connection.workflowService.getSystemInfo({});
    },
  });
}
