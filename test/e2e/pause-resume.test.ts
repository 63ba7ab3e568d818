import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { DeliveryReport } from '../../domain/delivery.js';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { reconcileEndpoints } from '../../gateway/reconcile.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import {
  deliveriesQuery,
  disableSignal,
  enableSignal,
  pauseSignal,
  resumeSignal,
  stateQuery,
  type deliverEvent,
} from '../../workflows/index.js';
import { postJson, startGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
let held: Receiver;
let steady: Receiver;

/** Posts an event and returns its workflow id, once the API has answered 202. */
async function post(id: string, type = 'job.finished'): Promise<string> {
  const response = await postJson(gateway, '/v1/events', { id, type });
  expect(response.status).toBe(202);
  return ((await response.json()) as { workflow_id: string }).workflow_id;
}

function handleOf(workflowId: string) {
  return gateway.client.workflow.getHandle<typeof deliverEvent>(workflowId);
}

function statusOf(workflowId: string): Promise<DeliveryReport> {
  return handleOf(workflowId).query(deliveriesQuery);
}

async function routedAs(status: string): Promise<void> {
  await expect.poll(() => gateway.registry.status('held-ep')?.status, { timeout: 10_000 }).toBe(status);
}

// Enough to be held in batches across the worker's restart; each test sends them twice over (HTTP, raw signals).
const HELD_EVENTS = 100;

function distinctIds(receiver: Receiver, prefix: string): Set<string> {
  return new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])).filter((id) => id.startsWith(prefix)));
}

const entity = () => gateway.client.workflow.getHandle(endpointWorkflowId('held-ep'));

beforeAll(async () => {
  [held, steady] = await Promise.all([startReceiver(), startReceiver()]);
  gateway = await startGateway(
    {
      delivery: { retry: { schedule: ['1s'] } },
      endpoints: [
        { id: 'held-ep', url: held.url, events: ['job.*'] },
        { id: 'steady-ep', url: steady.url, events: ['audit.*'] },
      ],
    },
    undefined,
    { workerProcess: true },
  );
  await reconcileEndpoints(gateway.client, gateway.config.temporal.task_queue, gateway.config.endpoints);
  // The registry must know the entity before the tests pause it (expect.poll is for tests, not hooks).
  for (const deadline = Date.now() + 10_000; gateway.registry.status('held-ep')?.status !== 'active';) {
    if (Date.now() > deadline) throw new Error('the registry never read the held-ep entity');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([held.close(), steady.close()]);
});

describe('pause and resume', () => {
  const pausedThroughACrash = async (prefix: string, pause: () => Promise<unknown>, resume: () => Promise<unknown>) => {
    await pause();
    await routedAs('paused');

    const ids = Array.from({ length: HELD_EVENTS }, (_, index) => `${prefix}${index}`);
    const workflowIds: string[] = [];
    for (let i = 0; i < ids.length; i += 20) workflowIds.push(...(await Promise.all(ids.slice(i, i + 20).map((id) => post(id)))));
    await expect.poll(async () => (await statusOf(workflowIds.at(-1) ?? '')).status, { timeout: 15_000 }).toBe('held');
    expect((await statusOf(workflowIds[0] ?? '')).deliveries[0]?.status).toBe('held');
    expect(distinctIds(held, prefix).size).toBe(0);

    await gateway.restartWorker();
    await resume();

    await Promise.all(workflowIds.map((workflowId) => handleOf(workflowId).result()));
    expect(distinctIds(held, prefix).size).toBe(HELD_EVENTS);
    expect(held.requests.filter((r) => String(r.headers['webhook-id']).startsWith(prefix))).toHaveLength(HELD_EVENTS);
    expect((await entity().query(stateQuery)).heldDeliveries).toEqual([]);
    await routedAs('active');
  };

  test('pause over HTTP holds 100 events; the worker is killed and restarted; resume delivers each exactly once', async () => {
    const api = (action: string) => postJson(gateway, `/v1/endpoints/held-ep/${action}`, { reason: 'maintenance' });
    await pausedThroughACrash(
      'evt_http_pause_',
      () => api('pause'),
      () => fetch(`${gateway.url}/v1/endpoints/held-ep/resume`, { method: 'POST' }),
    );
  }, 120_000);

  test('the same with pause and resume sent as raw Temporal signals', async () => {
    const cli = (name: string) =>
      promisify(execFile)(inject('temporalCliPath'), [
        'workflow',
        'signal',
        '--workflow-id',
        endpointWorkflowId('held-ep'),
        '--name',
        name,
        '--address',
        inject('temporalAddress'),
      ]);
    await pausedThroughACrash(
      'evt_raw_pause_',
      () => cli('pause'),
      () => cli('resume'),
    );
  }, 120_000);

  test('leaves no delivery held when resume races with new events, round after round', async () => {
    for (let round = 0; round < 5; round++) {
      await entity().signal(pauseSignal, `round ${round}`);
      await routedAs('paused');
      const prefix = `evt_race_${round}_`;
      const posting = Array.from({ length: 12 }, (_, index) => post(`${prefix}${index}`));
      await entity().signal(resumeSignal);
      const workflowIds = await Promise.all(posting);
      const reports = await Promise.all(workflowIds.map((workflowId) => handleOf(workflowId).result()));

      expect(reports.map((report) => report.status)).toEqual(workflowIds.map(() => 'succeeded'));
      expect(distinctIds(held, prefix).size).toBe(12);
      await routedAs('active');
    }
    expect((await entity().query(stateQuery)).heldDeliveries).toEqual([]);
  }, 120_000);

  test('a delivery waiting to retry when the pause comes sends nothing more until resume', async () => {
    held.script({ status: 503 });
    const workflowId = await post('evt_retry_then_pause');
    await expect.poll(async () => (await statusOf(workflowId)).deliveries[0]?.status).toBe('retrying');
    await entity().signal(pauseSignal, 'receiver is being fixed');
    await routedAs('paused');

    // The retry comes due after a second; the worker's view of the entity turns it into a hold, not a request.
    await expect.poll(async () => (await statusOf(workflowId)).deliveries[0]?.status, { timeout: 10_000 }).toBe('held');
    expect(held.requests.filter((r) => r.headers['webhook-id'] === 'evt_retry_then_pause')).toHaveLength(1);

    await entity().signal(resumeSignal);
    const report = await handleOf(workflowId).result();
    expect(report.deliveries[0]?.attempts.map((a) => a.statusCode)).toEqual([503, 200]);
    await routedAs('active');
  });

  test('disabling a paused endpoint cancels its held deliveries, and says why', async () => {
    await entity().signal(pauseSignal);
    await routedAs('paused');
    const workflowId = await post('evt_held_then_disabled');
    await expect.poll(async () => (await statusOf(workflowId)).status).toBe('held');

    await entity().signal(disableSignal, 'retired');
    const report = await handleOf(workflowId).result();
    expect(report.deliveries[0]).toMatchObject({ status: 'cancelled', reason: 'endpoint disabled (retired)', attempts: [] });

    await entity().signal(enableSignal);
    await routedAs('active');
  });

  test('adds no signal or query to deliveries to an endpoint that stays active', async () => {
    // A delivery to the endpoint paused and resumed earlier, and one to an endpoint never paused: each a single
    // successful attempt, and neither exchanges a signal with any entity. (Whether the attempt ran as a local or an
    // ordinary activity depends on the endpoint's health, which earlier tests here leave different.)
    const withHistory = await post('evt_history_entity', 'job.count');
    const untouched = await post('evt_history_plain', 'audit.count');
    for (const workflowId of [withHistory, untouched]) {
      const report = await handleOf(workflowId).result();
      expect(report.deliveries.map((delivery) => [delivery.status, delivery.attempts.length])).toEqual([['succeeded', 1]]);
      const history = await handleOf(workflowId).fetchHistory();
      const kinds = (history.events ?? []).map((e) => Object.keys(e).find((key) => key.endsWith('EventAttributes')) ?? '');
      expect(kinds.filter((kind) => /signal/i.test(kind))).toEqual([]);
    }
  });
});
