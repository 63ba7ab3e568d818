import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliverEvent } from '../../workflows/index.js';
import { anEvent, anOAuth2Client, aTarget } from '../support/builders.js';
import { eventsOfType } from '../support/history.js';
import { connectTestClient, startTestWorker, stopsWithin, uniqueTaskQueue } from '../support/temporal.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';

// A local first attempt that fails is tried once (delivery version 7): the same attempt runs at once as an ordinary
// activity, and the delivery goes on as ordinary attempts, whose retries the server keeps. Retried locally instead, as
// before, the SDK's core would back off inside the workflow task up to a minute, even on a worker asked to stop
// (temporalio/sdk-rust#709). Here the attempt fails because its OAuth2 token came so late that no time was left to send.

const CLIENT_ID = 'fallback-client';
const SECRET = 'fallback-s3cret';
// An endpoint with a 1 s timeout has 5 s for its whole attempt, token included, and sends only with a second left: a
// token that comes after 4.1 s always leaves less, and one that comes before 5 s is not given up on.
const TIMEOUT_MS = 1_000;
const SLOW_TOKEN_MS = 4_100;

let client: Client;
let receiver: Receiver;
let tokenServer: TokenServer;

beforeAll(async () => {
  client = await connectTestClient();
  receiver = await startReceiver();
  tokenServer = await startTokenServer({ [CLIENT_ID]: SECRET });
});

afterAll(async () => {
  await tokenServer.close();
  await receiver.close();
  await client.connection.close();
});

const { EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EVENT_TYPE_MARKER_RECORDED } = proto.temporal.api.enums.v1.EventType;
const SECRET_VARIABLE = 'FALLBACK_CLIENT_SECRET';
const SECRET_ENV = { [SECRET_VARIABLE]: SECRET };

/** Starts the delivery of a new event to an OAuth2 endpoint of the token server, with the given behaviour version. */
async function deliverWithToken(queue: string, version: number) {
  const event = anEvent();
  const auth = anOAuth2Client(tokenServer.url, CLIENT_ID, SECRET_VARIABLE);
  const handle = await client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(event.id),
    taskQueue: queue,
    args: [{ event, targets: [aTarget(receiver.url, { endpointId: 'ep-slow-token', timeoutMs: TIMEOUT_MS, auth })], version }],
  });
  return {
    event,
    handle,
    markers: async () => eventsOfType(await handle.fetchHistory(), EVENT_TYPE_MARKER_RECORDED),
    ordinaryAttempts: async () => eventsOfType(await handle.fetchHistory(), EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length,
  };
}

test('a local attempt that fails runs again at once as an ordinary activity; its worker stops, and the next one delivers', async () => {
  // Every attempt asks for a token (none is reused) and gets it too late to send.
  tokenServer.expiresInSeconds = 0;
  tokenServer.answerDelayMs = SLOW_TOKEN_MS;
  const queue = uniqueTaskQueue('local-fallback');
  const first = await startTestWorker(queue, { env: SECRET_ENV });
  const { event, handle, markers, ordinaryAttempts } = await deliverWithToken(queue, DELIVERY_VERSION);

  await expect.poll(ordinaryAttempts, { timeout: 30_000 }).toBe(1);
  // One local attempt, tried once: its marker holds why it failed.
  const found = await markers();
  expect(found).toHaveLength(1);
  expect(JSON.stringify(found[0]?.markerRecordedEventAttributes?.failure)).toMatch(/took all its time; nothing was sent/);
  // The ordinary attempts fail the same way, and Temporal retries them on the server: the worker stops within its grace.
  expect(await stopsWithin(first, 30_000)).toBe(true);

  // The authorization server recovers; the next worker's attempt gets its token in time.
  tokenServer.answerDelayMs = 0;
  const next = await startTestWorker(queue, { env: SECRET_ENV });
  try {
    const report = await handle.result();
    expect(report.status).toBe('succeeded');
    // Attempts that sent nothing are no attempts: the first one is the one that was sent.
    expect(report.deliveries[0]?.attempts).toEqual([expect.objectContaining({ attempt: 1, verdict: 'delivered' })]);
    const sent = receiver.requests.filter((request) => request.headers['webhook-id'] === event.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers['authorization']).toMatch(/^Bearer token-\d+$/);
    // Still one local attempt and one ordinary one in history, however often the server retried the latter.
    expect(await ordinaryAttempts()).toBe(1);
    expect(await markers()).toHaveLength(1);
  } finally {
    await next.stop();
  }
}, 180_000);

test('a delivery from before version 7 retries a failed local attempt inside its workflow task, as its workers did', async () => {
  // The first token comes too late for the first try, and is reused by the second, a second later.
  tokenServer.expiresInSeconds = 3_600;
  tokenServer.answerDelayMs = SLOW_TOKEN_MS;
  const queue = uniqueTaskQueue('local-retried');
  const worker = await startTestWorker(queue, { env: SECRET_ENV });
  const tokenRequestsBefore = tokenServer.requests.length;
  try {
    const { event, handle, markers, ordinaryAttempts } = await deliverWithToken(queue, 6);
    const report = await handle.result();
    expect(report.status).toBe('succeeded');
    expect(report.deliveries[0]?.attempts).toEqual([expect.objectContaining({ attempt: 1, verdict: 'delivered' })]);
    // The try that sent began after the slow token and the SDK's backoff, so the first had failed; one token was asked.
    const { startTime } = await handle.describe();
    const sentAt = Date.parse(report.deliveries[0]?.attempts[0]?.startedAt ?? '');
    expect(sentAt - startTime.getTime()).toBeGreaterThanOrEqual(SLOW_TOKEN_MS);
    expect(tokenServer.requests.filter((request) => request.clientId === CLIENT_ID)).toHaveLength(tokenRequestsBefore + 1);
    expect(receiver.requests.filter((request) => request.headers['webhook-id'] === event.id)).toHaveLength(1);
    // Both tries in one marker, which holds the result: no ordinary activity, as version 6 histories were written.
    const found = await markers();
    expect(found).toHaveLength(1);
    expect(found[0]?.markerRecordedEventAttributes?.failure).toBeFalsy();
    expect(await ordinaryAttempts()).toBe(0);
  } finally {
    await worker.stop();
  }
}, 120_000);
