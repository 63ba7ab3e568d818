import { Client, isGrpcCancelledError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { createTemporalRegistry } from '../../gateway/endpoint-registry.js';
import { createSourceStore, followSources } from '../../gateway/source-store.js';
import { buildAppFromConfig } from '../../server/index.js';
import { webhookDataConverter } from '../../temporal/data-converter.js';
import { connectTestClient, installQuietRuntime, uniqueTaskQueue } from '../support/temporal.js';

// What follows Temporal in the background (routing's endpoints, the inbound source book) must have no request in
// flight once closed on a grpc-js connection: the connection is closed next, and the SDK retries a request that fails
// then on the closed channel, from a timer, where the error it throws crashes the process (CI saw it after a test with
// no worker). On the worker's NativeConnection, which cannot cancel, closing must not wait out a long poll.

const CANCELLED_ANSWER_DELAY_MS = 200;

type ServiceMethod = 'getWorkflowExecutionHistory' | 'updateWorkflowExecution';

/** Counts a client's requests of each kind in flight, and how many ended cancelled. */
function watchRequests(client: Client) {
  const inFlight: Record<ServiceMethod, number> = { getWorkflowExecutionHistory: 0, updateWorkflowExecution: 0 };
  const cancelled: Record<ServiceMethod, number> = { getWorkflowExecutionHistory: 0, updateWorkflowExecution: 0 };
  const service = client.workflowService as unknown as Record<ServiceMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const method of Object.keys(inFlight) as ServiceMethod[]) {
    const request = service[method].bind(service);
    service[method] = async (...args) => {
      inFlight[method]++;
      try {
        return await request(...args);
      } catch (error) {
        if (isGrpcCancelledError(error)) {
          cancelled[method]++;
          // A cancelled request's answer may take a while over a real network: only a close that waits for it sees
          // nothing left in flight.
          await new Promise((resolve) => setTimeout(resolve, CANCELLED_ANSWER_DELAY_MS));
        }
        throw error;
      } finally {
        inFlight[method]--;
      }
    };
  }
  return { inFlight, cancelled };
}

let client: Client;
let requests: ReturnType<typeof watchRequests>;

beforeAll(async () => {
  client = await connectTestClient();
  requests = watchRequests(client);
});

// Cancellations are counted per test; nothing is in flight between tests, each closing what it started.
beforeEach(() => {
  requests.cancelled.getWorkflowExecutionHistory = 0;
  requests.cancelled.updateWorkflowExecution = 0;
});

afterAll(async () => {
  await client.connection.close();
});

describe('closing a follower on a grpc-js connection', () => {
  test('the endpoint registry cancels its long poll, and settles after it', async () => {
    const registry = createTemporalRegistry({ client, taskQueue: uniqueTaskQueue('closing'), configEndpoints: [] });
    try {
      await registry.ready;
      // Nothing changes on this queue: the change log's long poll waits until it is cancelled.
      await expect.poll(() => requests.inFlight.getWorkflowExecutionHistory).toBe(1);
    } finally {
      await registry.close();
    }

    expect(requests.inFlight.getWorkflowExecutionHistory).toBe(0);
    expect(requests.cancelled.getWorkflowExecutionHistory).toBe(1);
  });

  test('the source follower cancels an update no worker answers, rather than leaving it to its deadline', async () => {
    // No worker runs this queue: reconciling the book is an update that would wait out its 10 s deadline.
    const errors: unknown[] = [];
    const follower = followSources({
      store: createSourceStore(client, uniqueTaskQueue('closing')),
      client,
      configSources: [],
      onBook: () => undefined,
      onError: (error) => errors.push(error),
    });
    try {
      await expect.poll(() => requests.inFlight.updateWorkflowExecution).toBe(1);
    } finally {
      await follower.close();
    }

    expect(requests.inFlight.updateWorkflowExecution).toBe(0);
    expect(requests.cancelled.updateWorkflowExecution).toBe(1);
    // A cancellation on close is not a failure to report.
    expect(errors).toEqual([]);
  });
});

describe('closing the API', () => {
  test('cancels its followers’ calls before it settles, so that its connection may be closed next', async () => {
    // The CI failure: an API with no worker on its queue, closed while its source book's reconcile waited.
    const config = ConfigSchema.parse({ temporal: { task_queue: uniqueTaskQueue('closing-api') } });
    const app = buildAppFromConfig(config, client, { env: {} });
    try {
      await app.ready();
      await expect.poll(() => requests.inFlight.updateWorkflowExecution).toBe(1);
    } finally {
      await app.close();
    }

    expect(requests.inFlight.updateWorkflowExecution).toBe(0);
    expect(requests.inFlight.getWorkflowExecutionHistory).toBe(0);
    expect(requests.cancelled.updateWorkflowExecution).toBe(1);
  });
});

describe('closing a follower on the worker’s NativeConnection', () => {
  test('does not wait out the long poll it cannot cancel; closing the connection ends it', async () => {
    installQuietRuntime();
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const native = new Client({ connection, dataConverter: webhookDataConverter() });
    const nativeRequests = watchRequests(native);
    const registry = createTemporalRegistry({ client: native, taskQueue: uniqueTaskQueue('closing'), configEndpoints: [] });
    try {
      await registry.ready;
      await expect.poll(() => nativeRequests.inFlight.getWorkflowExecutionHistory).toBe(1);

      await registry.close();

      // The poll waits for news that never comes (for 20 s, the server's long-poll limit): close did not wait for it.
      expect(nativeRequests.inFlight.getWorkflowExecutionHistory).toBe(1);
    } finally {
      await registry.close();
      await connection.close();
    }
    await expect.poll(() => nativeRequests.inFlight.getWorkflowExecutionHistory).toBe(0);
  });
});
