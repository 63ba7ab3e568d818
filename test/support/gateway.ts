import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import type { RoutableEndpoint } from '../../domain/endpoint-state.js';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ConfigSchema, type Config, type ConfigInput } from '../../config/schema.js';
import { dataConverterFrom } from '../../temporal/data-converter.js';
import { createTemporalRegistry, type EndpointRegistry } from '../../gateway/endpoint-registry.js';
import { buildAppFromConfig } from '../../server/index.js';
import {
  connectTestClient,
  startProcessWorker,
  startTestWorker,
  uniqueTaskQueue,
  type ProcessWorker,
  type TestWorker,
} from './temporal.js';

/** The API and a worker on a task queue of their own, as `npm start` runs them, against the run's dev server. */
export interface TestGateway {
  readonly app: FastifyInstance;
  /** Base URL of the API, listening on a free loopback port. */
  readonly url: string;
  readonly client: Client;
  readonly config: Config;
  /** What the API routes by: the endpoint entities of the gateway's task queue, followed through their change log. */
  readonly registry: EndpointRegistry;
  /** Stops the worker (kills it, with `workerProcess`) and starts a new one on the same task queue. */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a gateway from a config; its receivers are on loopback, so that is allowed unless the config says
 * otherwise. `env` is where the worker reads referenced secrets.
 */
export async function startGateway(
  input: Omit<ConfigInput, 'temporal'> = {},
  env?: NodeJS.ProcessEnv,
  options: GatewayOptions = {},
): Promise<TestGateway> {
  const config = ConfigSchema.parse({ ...input, delivery: { allow_destinations: ['loopback'], ...input.delivery } });
  return startConfiguredGateway(config, env, options);
}

export interface GatewayOptions {
  /**
   * Run the worker in a process of its own (loopback allowed, default settings), so that `restartWorker` kills it
   * with SIGKILL instead of shutting it down.
   */
  readonly workerProcess?: boolean;
  /** Create the config's endpoints as entities when the worker starts, as `npm start` does, so the API lists them. */
  readonly reconcileEndpoints?: boolean;
  /** Where the API logs; nowhere by default. */
  readonly logger?: FastifyBaseLogger;
}

/** Starts a gateway from a parsed config, on a task queue of its own. */
export async function startConfiguredGateway(parsed: Config, env?: NodeJS.ProcessEnv, options: GatewayOptions = {}): Promise<TestGateway> {
  const config: Config = { ...parsed, temporal: { ...parsed.temporal, task_queue: uniqueTaskQueue('gateway') } };
  const taskQueue = config.temporal.task_queue;
  const client = await connectTestClient(dataConverterFrom(config, env ?? process.env));
  const workerOptions = { config, ...(env ? { env } : {}), ...(options.reconcileEndpoints ? { reconcileEndpoints: true } : {}) };
  const startWorker = (): Promise<TestWorker | ProcessWorker> =>
    options.workerProcess ? startProcessWorker(taskQueue) : startTestWorker(taskQueue, workerOptions);
  let worker = await startWorker();
  const { app, url, registry } = await listenApi(config, client, env ?? process.env, options.logger);
  return {
    app,
    url,
    client,
    config,
    registry,
    async restartWorker() {
      await ('kill' in worker ? worker.kill() : worker.stop());
      worker = await startWorker();
    },
    async stop() {
      await app.close();
      await worker.stop();
      await client.connection.close();
    },
  };
}

/** Waits (30 s at most) until the API routes events of `type` to `endpointId`, in the state `check` wants. */
export async function untilRouted(
  gateway: Pick<TestGateway, 'registry'>,
  type: string,
  endpointId: string,
  check: (endpoint: RoutableEndpoint) => boolean = () => true,
): Promise<void> {
  const seen = (): boolean => {
    const endpoint = gateway.registry
      .routes()
      .route(type)
      .find((candidate) => candidate.id === endpointId);
    return endpoint !== undefined && check(endpoint);
  };
  await expect.poll(seen, { timeout: 30_000 }).toBe(true);
}

/** An API answer: its status and its JSON body. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Calls the API of `gateway` (resolved at each call, so it may be started later) with an optional JSON body. */
export function apiCaller(gateway: () => Pick<TestGateway, 'url'>): (method: string, path: string, body?: unknown) => Promise<ApiAnswer> {
  return async (method, path, body) => {
    const response = await fetch(`${gateway().url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

/** POSTs `body` as JSON to the gateway's `path`. */
export function postJson(gateway: TestGateway, path: string, body: unknown): Promise<Response> {
  return fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** POSTs an event, and answers the workflow id of its delivery once the API has accepted it. */
export async function postEvent(gateway: TestGateway, id: string, type: string): Promise<string> {
  const response = await postJson(gateway, '/v1/events', { id, type });
  expect(response.status).toBe(202);
  return ((await response.json()) as { workflow_id: string }).workflow_id;
}

/**
 * An API endpoint subscribed to `<id>.*`, paused, with `count` events of type `<id>.x` posted once routing sees the
 * pause: each event's delivery is held (or turned away). Their workflow ids, in order.
 */
export async function pausedEndpointWithEvents(gateway: TestGateway, id: string, url: string, count: number): Promise<string[]> {
  expect((await postJson(gateway, '/v1/endpoints', { id, url, events: [`${id}.*`] })).status).toBe(201);
  expect((await postJson(gateway, `/v1/endpoints/${id}/pause`, {})).status).toBe(200);
  await untilRouted(gateway, `${id}.x`, id, (endpoint) => endpoint.status === 'paused');
  return Promise.all(Array.from({ length: count }, (_, index) => postEvent(gateway, `evt_${id}_${index}`, `${id}.x`)));
}

/** The API alone, on a task queue no worker polls: events are started and stay put, which is all an API test needs. */
export interface TestApi {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly client: Client;
  readonly config: Config;
  stop(): Promise<void>;
}

/** Starts the API from a config, with keys and source secrets read from `env`. */
export async function startApi(
  input: Omit<ConfigInput, 'temporal'> = {},
  env: NodeJS.ProcessEnv = {},
  logger?: FastifyBaseLogger,
): Promise<TestApi> {
  const parsed = ConfigSchema.parse(input);
  const config: Config = { ...parsed, temporal: { ...parsed.temporal, task_queue: uniqueTaskQueue('api') } };
  const client = await connectTestClient();
  const { app, url } = await listenApi(config, client, env, logger);
  return testApi(app, url, client, config);
}

/**
 * Another API process of a running gateway, as a cluster has: the same config and task queue (`config` may change
 * it otherwise, as a new release of the file would), its own client, directory and state.
 */
export async function startApiReplica(
  gateway: Pick<TestGateway, 'config'>,
  env: NodeJS.ProcessEnv,
  config: Config = gateway.config,
): Promise<TestApi> {
  const client = await connectTestClient(dataConverterFrom(config, env));
  const { app, url } = await listenApi(config, client, env);
  return testApi(app, url, client, config);
}

function testApi(app: FastifyInstance, url: string, client: Client, config: Config): TestApi {
  return {
    app,
    url,
    client,
    config,
    async stop() {
      await app.close();
      await client.connection.close();
    },
  };
}

// The API on a free loopback port, routing by the entities of the config's task queue.
async function listenApi(config: Config, client: Client, env: NodeJS.ProcessEnv, logger?: FastifyBaseLogger) {
  const taskQueue = config.temporal.task_queue;
  const registry = createTemporalRegistry({ client, taskQueue, configEndpoints: config.endpoints });
  const app = buildAppFromConfig(config, client, { registry, env, ...(logger ? { logger } : {}) });
  return { app, registry, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}
