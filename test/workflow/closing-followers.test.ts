import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTemporalRegistry } from '../../gateway/endpoint-registry.js';
import { createSourceStore, followSources } from '../../gateway/source-store.js';
import { connectTestClient, uniqueTaskQueue } from '../support/temporal.js';

// What follows Temporal in the background (routing's endpoints, the inbound source book) must have no call in flight
// once it is closed: the connection is closed next, and the SDK retries a call that fails then on the closed channel,
// from a timer, where the error it throws can only crash the process (CI saw it after a test with no worker).

type ServiceMethod = 'getWorkflowExecutionHistory' | 'updateWorkflowExecution';

let client: Client;
const inFlight: Record<ServiceMethod, number> = { getWorkflowExecutionHistory: 0, updateWorkflowExecution: 0 };

beforeAll(async () => {
  client = await connectTestClient();
  const service = client.workflowService;
  for (const method of Object.keys(inFlight) as ServiceMethod[]) {
    const call = (service[method] as (...args: unknown[]) => Promise<unknown>).bind(service);
    (service as unknown as Record<ServiceMethod, (...args: unknown[]) => Promise<unknown>>)[method] = async (...args) => {
      inFlight[method]++;
      try {
        return await call(...args);
      } finally {
        inFlight[method]--;
      }
    };
  }
});

afterAll(async () => {
  await client.connection.close();
});

describe('closing a follower', () => {
  test('the endpoint registry cancels its long poll and settles after it', async () => {
    const registry = createTemporalRegistry({ client, taskQueue: uniqueTaskQueue('closing'), configEndpoints: [] });
    await registry.ready;
    // Nothing changes on this queue: the change log's long poll waits until it is cancelled.
    await expect.poll(() => inFlight.getWorkflowExecutionHistory).toBe(1);

    await registry.close();

    expect(inFlight.getWorkflowExecutionHistory).toBe(0);
  });

  test('the source follower cancels an update no worker answers, rather than leaving it to its deadline', async () => {
    // No worker runs this queue: reconciling the book is an update that would wait out its 10 s deadline.
    const taskQueue = uniqueTaskQueue('closing');
    const errors: unknown[] = [];
    const follower = followSources({
      store: createSourceStore(client, taskQueue),
      client,
      configSources: [],
      onBook: () => undefined,
      onError: (error) => errors.push(error),
    });
    await expect.poll(() => inFlight.updateWorkflowExecution).toBe(1);

    await follower.close();

    expect(inFlight.updateWorkflowExecution).toBe(0);
    // A cancellation on close is not a failure to report.
    expect(errors).toEqual([]);
  });
});
