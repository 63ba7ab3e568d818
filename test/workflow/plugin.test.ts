import { randomBytes } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { verifyHexSha256 } from '../../signing/signatures.js';
import { fingerprintOf } from '../../gateway/ingest.js';
import { webhookDataConverter } from '../../temporal/data-converter.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { defineConfig, WebhooksPlugin } from '../../index.js';
import { EVENT_ID_CONFLICT_FAILURE, INVALID_EVENT_FAILURE, type EventToSend } from '../../workflow.js';
import { DEFAULT_ENDPOINT_SETTINGS } from '../../domain/endpoint-state.js';
import { endpointEntityStart } from '../../gateway/endpoint-entities.js';
import { webhookEndpoint } from '../../workflows/index.js';
import { eventTypeKey } from '../../workflows/search-attributes.js';
import type { checkout, sendAs, sendThroughGateway } from '../fixtures/shop-workflows.js';
import { storedHistory } from '../support/history.js';
import { connectTestClient, installQuietRuntime, startTestWorker, uniqueTaskQueue } from '../support/temporal.js';

// An existing worker, with its own workflows module, adds the plugin and nothing else: its workflow sends an event
// with `sendEvent`, and the receiver gets it, signed, through the plugin's workflows, activities and codecs.

const SHOP_WORKFLOWS = fileURLToPath(new URL('../fixtures/shop-workflows.ts', import.meta.url));
const ENV = { SHOP_SIGNING_SECRET: 'whsec-shop-0123456789', SHOP_ENCRYPTION_KEY: randomBytes(32).toString('hex') };

describe('WebhooksPlugin on a user worker', () => {
  let receiver: Receiver;
  let connection: NativeConnection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('plugin');

  beforeAll(async () => {
    installQuietRuntime();
    receiver = await startReceiver();
    const plugin = new WebhooksPlugin({
      config: defineConfig({
        delivery: { allow_destinations: ['loopback'], retry: { schedule: ['1s'] } },
        // The API's catalogue applies to events sent from workflows too.
        event_types: [
          {
            type: 'order.paid',
            schema: { type: 'object', required: ['orderId', 'total'], properties: { total: { type: 'number' } } },
          },
        ],
        encryption: { keys: [{ id: 'shop-1', key_env: 'SHOP_ENCRYPTION_KEY' }] },
        endpoints: [
          {
            // Endpoint ids are one space per namespace: this one is no other test file's.
            id: 'shop-crm',
            url: `${receiver.url}/crm-secret-path`,
            events: ['order.*'],
            signing: { scheme: 'hmac-sha256', secret_env: 'SHOP_SIGNING_SECRET' },
          },
        ],
      }),
      env: ENV,
      healthReportIntervalMs: 200,
    });
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    // The user's worker as it was, plus `plugins`: it bundles its own workflows module and the plugin adds ours.
    worker = await Worker.create({ connection, taskQueue, workflowsPath: SHOP_WORKFLOWS, plugins: [plugin] });
    running = worker.run();
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }), plugins: [plugin] });
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await client?.connection.close();
    await receiver?.close();
  });

  test("a user workflow's event reaches the endpoint, signed, and the workflow gets the delivery report", async () => {
    const result = await client.workflow.execute<typeof checkout>('checkout', {
      workflowId: `checkout-${taskQueue}-1`,
      taskQueue,
      args: ['1001', true],
    });

    expect(result).toEqual({ eventWorkflowId: 'event/order-1001.paid', duplicate: false, deliveryStatus: 'succeeded', attempts: 1 });
    const [request] = receiver.requests;
    expect(request?.path).toBe('/webhooks/crm-secret-path');
    expect(request?.headers['webhook-id']).toBe('order-1001.paid');
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ type: 'order.paid', data: { orderId: '1001', total: 4200 } });
    expect(verifyHexSha256(ENV.SHOP_SIGNING_SECRET, request?.body ?? '', String(request?.headers['x-webhook-signature']))).toBe(true);

    // The delivery is an event like those the API accepts: its own workflow, with the same search attributes.
    const description = await client.workflow.getHandle(result.eventWorkflowId).describe();
    expect(description.typedSearchAttributes.get(eventTypeKey)).toBe('order.paid');
    expect(description.parentExecution?.workflowId).toBe(`checkout-${taskQueue}-1`);
    // With the content's fingerprint, the very one the API computes: a POST reusing the id for other content is a 409.
    expect(description.memo?.['fingerprint']).toBe(
      fingerprintOf({ id: 'order-1001.paid', type: 'order.paid', data: { orderId: '1001', total: 4200 } }),
    );
    // And the plugin's codecs applied to what the user's workflow started: the stored history is ciphertext.
    const history = await storedHistory(result.eventWorkflowId);
    expect(history.text).not.toContain('crm-secret-path');
    expect(new Set(history.encodings)).toEqual(new Set(['binary/encrypted']));
  });

  test('a workflow that does not wait ends at once, and its event is still delivered', async () => {
    const result = await client.workflow.execute<typeof checkout>('checkout', {
      workflowId: `checkout-${taskQueue}-2`,
      taskQueue,
      args: ['1002', false],
    });

    expect(result).toEqual({ eventWorkflowId: 'event/order-1002.paid', duplicate: false });
    await expect.poll(() => receiver.requests.some((request) => request.headers['webhook-id'] === 'order-1002.paid')).toBe(true);
    const report = await client.workflow.getHandle(result.eventWorkflowId).result();
    expect(report).toMatchObject({ eventId: 'order-1002.paid', status: 'succeeded' });
  });

  test('sending an event id again starts nothing and says so', async () => {
    const result = await client.workflow.execute<typeof checkout>('checkout', {
      workflowId: `checkout-${taskQueue}-3`,
      taskQueue,
      args: ['1001', true],
    });

    expect(result).toEqual({ eventWorkflowId: 'event/order-1001.paid', duplicate: true });
    expect(receiver.requests.filter((request) => request.headers['webhook-id'] === 'order-1001.paid')).toHaveLength(1);
  });

  test.each<[string, EventToSend, string, RegExp]>([
    ['a malformed type', { type: 'not a type!' }, INVALID_EVENT_FAILURE, /^cannot send event: type: event type must be dot-separated/],
    ['a timestamp that is not ISO 8601', { type: 'order.paid', timestamp: 'Jan 1 2026' }, INVALID_EVENT_FAILURE, /timestamp/],
    [
      'a type the catalogue does not list',
      { type: 'order.refunded' },
      INVALID_EVENT_FAILURE,
      /"order\.refunded" is not in the event-type catalogue/,
    ],
    [
      'data that breaks the schema',
      { type: 'order.paid', data: { orderId: '7' } },
      INVALID_EVENT_FAILURE,
      /\/data: must have property total/,
    ],
    [
      'an id the gateway reserves',
      { id: 'idem_mine', type: 'order.paid', data: { orderId: '7', total: 1 } },
      INVALID_EVENT_FAILURE,
      /idem_/,
    ],
    [
      'an id already sent with other content',
      { id: 'order-1001.paid', type: 'order.paid', data: { orderId: '1001', total: 1 } },
      EVENT_ID_CONFLICT_FAILURE,
      /already sent with other content/,
    ],
  ])('%s fails the sending workflow with a typed, non-retryable failure', async (_case, event, type, message) => {
    const failure = await client.workflow
      .execute<typeof sendAs>('sendAs', { workflowId: `refused-${taskQueue}-${type}-${_case.length}`, taskQueue, args: [event] })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type, nonRetryable: true });
    expect((cause as ApplicationFailure).message).toMatch(message);
  });

  test('a prebuilt bundle made with the plugin holds the user workflows and the gateway workflows', async () => {
    const plugin = new WebhooksPlugin();
    const { code } = await bundleWorkflowCode({
      workflowsPath: SHOP_WORKFLOWS,
      plugins: [plugin],
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    });
    for (const workflow of ['checkout', 'sendAs', 'deliverEvent', 'webhookEndpoint']) {
      expect(code).toMatch(new RegExp(`\\b${workflow}\\b`));
    }
    // The worker then takes the bundle as it is: no second module is generated around it.
    expect(plugin.configureWorker({ taskQueue, workflowBundle: { code } }).workflowsPath).toBeUndefined();
  });

  test('refuses a worker whose own activities have the names the gateway workflows call', () => {
    const activities = { deliverAttempt: () => Promise.resolve(), chargeCard: () => Promise.resolve() };
    expect(() => new WebhooksPlugin().configureWorker({ taskQueue, activities })).toThrow(
      'WebhooksPlugin: the worker already has activities named deliverAttempt; rename them',
    );
    // Configuring twice (the plugin on the connection and on the worker) finds only its own activities: no clash.
    const plugin = new WebhooksPlugin();
    const once = plugin.configureWorker({ taskQueue, activities: { chargeCard: activities.chargeCard } });
    expect(Object.keys(plugin.configureWorker(once).activities ?? {})).toContain('chargeCard');
  });

  test('gives a worker without one the delivery shutdown grace, and leaves a worker’s own alone', () => {
    const plugin = new WebhooksPlugin({ config: defineConfig({ delivery: { timeout: '20s' } }) });
    expect(plugin.configureWorker({ taskQueue }).shutdownGraceTime).toBe(20_000);
    expect(plugin.configureWorker({ taskQueue, shutdownGraceTime: '2s' }).shutdownGraceTime).toBe('2s');
    const graced = new WebhooksPlugin({ config: defineConfig({ delivery: { shutdown_grace: '45s' } }) });
    expect(graced.configureWorker({ taskQueue }).shutdownGraceTime).toBe(45_000);
  });

  test('a worker still stops when an endpoint entity it reconciles is run by no worker', async () => {
    // The entity of this endpoint id runs on a queue no worker polls, so the configure update the plugin sends it
    // when the worker starts is never run. Stopping the worker must not wait for it for long.
    const endpointId = `orphan-${taskQueue}`;
    const [orphan] = defineConfig({ endpoints: [{ id: endpointId, url: receiver.url, events: ['*'] }] }).endpoints;
    if (!orphan) throw new Error('no endpoint');
    const entity = await client.workflow.start(
      webhookEndpoint,
      endpointEntityStart(orphan, 'config', uniqueTaskQueue('orphan'), DEFAULT_ENDPOINT_SETTINGS),
    );
    const plugin = new WebhooksPlugin({
      config: defineConfig({
        delivery: { allow_destinations: ['loopback'] },
        endpoints: [{ id: endpointId, url: receiver.url, events: ['order.*'] }],
      }),
    });
    const stuck = await Worker.create({
      connection,
      taskQueue: uniqueTaskQueue('reconcile'),
      workflowBundle: { codePath: inject('workflowBundlePath') },
      plugins: [plugin],
    });
    const stopped = stuck.run();
    // Long enough for the reconciliation to list the entities and send its update.
    await setTimeout(1_500);
    stuck.shutdown();

    // A hang check, not a speed check: the bound of one reconciling update is 10 s, the server would hold the call
    // for about a minute without it.
    await expect(Promise.race([stopped, setTimeout(30_000, 'still running')])).resolves.toBeUndefined();
    await entity.terminate('test over');
  });
});

describe('sendEvent to a gateway on another task queue', () => {
  test("a worker without the plugin sends through the gateway's queue, with only the gateway's data converter", async () => {
    installQuietRuntime();
    const receiver = await startReceiver();
    const gatewayQueue = uniqueTaskQueue('gateway');
    const gateway = await startTestWorker(gatewayQueue, {
      config: defineConfig({
        delivery: { allow_destinations: ['loopback'] },
        endpoints: [{ id: `remote-${gatewayQueue}`, url: receiver.url, events: ['invoice.*'] }],
      }),
    });
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const userQueue = uniqueTaskQueue('shop');
    // The user's worker as it was: its own workflows, the gateway's codecs, no plugin.
    const worker = await Worker.create({
      connection,
      taskQueue: userQueue,
      workflowsPath: SHOP_WORKFLOWS,
      dataConverter: webhookDataConverter(),
    });
    const client = await connectTestClient();
    try {
      const status = await worker.runUntil(
        client.workflow.execute<typeof sendThroughGateway>('sendThroughGateway', {
          workflowId: `remote-${userQueue}`,
          taskQueue: userQueue,
          args: [{ id: `invoice-${userQueue}`, type: 'invoice.sent', data: { amount: 12 } }, gatewayQueue],
        }),
      );

      expect(status).toBe('succeeded');
      expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([`invoice-${userQueue}`]);
    } finally {
      await client.connection.close();
      await connection.close();
      await gateway.stop();
      await receiver.close();
    }
  });
});
