import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent, type DeliverEventInput } from '../../workflows/index.js';
import { anEvent, aTarget } from '../support/builders.js';
import { storedHistory } from '../support/history.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue, type TestWorker } from '../support/temporal.js';

// Workers here are given their own environment and destination rules, so each test file's workers differ.

const SECRETS = {
  HOOK_TOKEN: 'tok-4f1e9c2b-never-in-history',
  HOOK_SECRET: 'whsec_' + Buffer.from('sign-me-but-never-store-me-0001').toString('base64'),
};

let client: Client;
let receiver: Receiver;
let guarded: { worker: TestWorker; taskQueue: string };
let withSecrets: { worker: TestWorker; taskQueue: string };

async function run(taskQueue: string, input: DeliverEventInput) {
  return client.workflow.execute(deliverEvent, { workflowId: eventWorkflowId(input.event.id), taskQueue, args: [input] });
}

beforeAll(async () => {
  client = await connectTestClient();
  receiver = await startReceiver();
  const guardedQueue = uniqueTaskQueue('guarded');
  const secretsQueue = uniqueTaskQueue('secrets');
  guarded = { taskQueue: guardedQueue, worker: await startTestWorker(guardedQueue, { allowDestinations: [] }) };
  withSecrets = { taskQueue: secretsQueue, worker: await startTestWorker(secretsQueue, { env: SECRETS }) };
});

afterAll(async () => {
  await guarded.worker.stop();
  await withSecrets.worker.stop();
  await receiver.close();
  await client.connection.close();
});

describe('outbound safety', () => {
  test.each([
    ['an IP literal', (port: string) => `http://127.0.0.1:${port}/webhooks`],
    ['a name that resolves to loopback', (port: string) => `http://localhost:${port}/webhooks`],
  ])('refuses a loopback destination given as %s, without retrying', async (_, url) => {
    const before = receiver.requests.length;
    const report = await run(guarded.taskQueue, { event: anEvent(), targets: [aTarget(url(new URL(receiver.url).port))] });

    expect(report.deliveries[0]?.attempts).toHaveLength(1);
    expect(report.deliveries[0]?.attempts[0]).toMatchObject({ errorClass: 'blocked_destination', verdict: 'rejected' });
    expect(report.deliveries[0]?.attempts[0]?.errorMessage).toMatch(/loopback address, which delivery.allow_destinations does not allow/);
    expect(receiver.requests.length).toBe(before);
  });
});

describe('secrets', () => {
  test('are read by the worker when sending, and never reach the workflow history', async () => {
    const event = anEvent();
    const report = await run(withSecrets.taskQueue, {
      event,
      targets: [
        aTarget(receiver.url, {
          auth: { type: 'bearer', tokenEnv: 'HOOK_TOKEN' },
          signing: { scheme: 'standard-webhooks', secretEnvs: ['HOOK_SECRET'], header: 'unused' },
        }),
      ],
    });
    expect(report.status).toBe('succeeded');
    const request = receiver.requests.find((r) => r.headers['webhook-id'] === event.id);
    expect(request?.headers['authorization']).toBe(`Bearer ${SECRETS.HOOK_TOKEN}`);

    const history = (await storedHistory(eventWorkflowId(event.id))).text;
    // The reference is there (so the search looks at the right text); the values are not.
    expect(history).toContain('"tokenEnv":"HOOK_TOKEN"');
    expect(history).not.toContain(SECRETS.HOOK_TOKEN);
    expect(history).not.toContain(SECRETS.HOOK_SECRET);
    expect(history).not.toContain(SECRETS.HOOK_SECRET.slice('whsec_'.length));
  });

  test('a secret missing from the worker environment is a retryable, named failure', async () => {
    const report = await run(withSecrets.taskQueue, {
      event: anEvent(),
      targets: [aTarget(receiver.url, { auth: { type: 'bearer', tokenEnv: 'NOT_SET_ANYWHERE' } })],
    });
    expect(report.deliveries[0]?.attempts[0]).toMatchObject({
      errorClass: 'missing_secret',
      verdict: 'retryable',
      errorMessage: 'environment variable NOT_SET_ANYWHERE is not set on the worker',
    });
  });
});
