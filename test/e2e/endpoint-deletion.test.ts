import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DeliveryReport } from '../../domain/delivery.js';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { createTemporalRegistry } from '../../gateway/endpoint-registry.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { stateQuery, type deliverEvent } from '../../workflows/index.js';
import {
  apiCaller,
  pausedEndpointWithEvents,
  postEvent,
  postJson,
  startGateway,
  untilRouted,
  type TestGateway,
} from '../support/gateway.js';

// A deleted endpoint's entity sends its held deliveries away at the resume rate: at one a second, twenty of them keep
// it running well past the checks made meanwhile, even on a loaded machine, so that each check meets a running one.
const HELD = 20;

let gateway: TestGateway;
let receiver: Receiver;
const call = apiCaller(() => gateway);
const entity = () => gateway.client.workflow.getHandle(endpointWorkflowId('leaving'));

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway({ delivery: { resume_rate: 1 } });
});

afterAll(async () => {
  await gateway.stop();
  await receiver.close();
});

describe('deleting an endpoint with held deliveries', () => {
  test('the endpoint is gone from the API and routing at once, while its entity still sends them away', async () => {
    const workflowIds = await pausedEndpointWithEvents(gateway, 'leaving', receiver.url, HELD);
    await expect.poll(async () => (await call('GET', '/v1/endpoints/leaving')).body['held_deliveries'], { timeout: 30_000 }).toBe(HELD);

    const deleted = await call('DELETE', '/v1/endpoints/leaving');
    expect(deleted).toMatchObject({ status: 200, body: { status: 'disabled', status_reason: 'deleted' } });

    // Gone for every operation of the API, for a listing, and for a registry that starts reading only now.
    for (const [method, path, body] of [
      ['GET', '/v1/endpoints/leaving', undefined],
      ['POST', '/v1/endpoints/leaving/pause', {}],
      ['POST', '/v1/endpoints/leaving/enable', {}],
      ['POST', '/v1/endpoints/leaving/test', undefined],
      ['PATCH', '/v1/endpoints/leaving', { url: receiver.url }],
      ['DELETE', '/v1/endpoints/leaving', undefined],
    ] as const) {
      expect([method, path, (await call(method, path, body)).status]).toEqual([method, path, 404]);
    }
    const listedIds = async (path: string) => ((await call('GET', path)).body['data'] as { id: string }[]).map((e) => e.id);
    await expect.poll(() => listedIds('/v1/endpoints'), { timeout: 10_000 }).toEqual([]);
    expect(await listedIds('/v1/endpoints/health')).toEqual([]);
    // Its deliveries stay listed: the history of what was routed to it is kept.
    await expect
      .poll(async () => ((await call('GET', '/v1/endpoints/leaving/deliveries?page_size=100')).body['data'] as unknown[]).length, {
        timeout: 10_000,
      })
      .toBe(HELD);
    const fresh = createTemporalRegistry({ client: gateway.client, taskQueue: gateway.config.temporal.task_queue, configEndpoints: [] });
    try {
      await fresh.statusesRead;
      expect(fresh.list()).toEqual([]);
      expect(fresh.status('leaving')).toMatchObject({ status: 'disabled', statusReason: 'deleted', deletedAt: expect.any(String) });
    } finally {
      await fresh.close();
    }

    // The id is taken until the backlog is gone: a create says so, and when to try again.
    const early = await postJson(gateway, '/v1/endpoints', { id: 'leaving', url: receiver.url, events: ['leaving.*'] });
    expect(early.status).toBe(409);
    // The held count over the resume rate (one a second here), and a second for the entity to end.
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(early.headers.get('retry-after'))).toBeLessThanOrEqual(HELD + 1);
    expect(((await early.json()) as { detail: string }).detail).toMatch(/^endpoint leaving was deleted and is still sending its \d+ held/);

    // Each check above met the entity still at work, not one that had ended.
    expect((await entity().describe()).status.name).toBe('RUNNING');
    expect((await entity().query(stateQuery)).heldDeliveries.length).toBeGreaterThan(0);

    const reports = await Promise.all(
      workflowIds.map((workflowId) => gateway.client.workflow.getHandle<typeof deliverEvent>(workflowId).result()),
    );
    expect(new Set(reports.map((report: DeliveryReport) => JSON.stringify(report.deliveries.map((d) => [d.status, d.reason]))))).toEqual(
      new Set([JSON.stringify([['cancelled', 'endpoint disabled (deleted)']])]),
    );
    expect(receiver.requests).toHaveLength(0);

    // Once the entity has ended, the id is free: made again, the endpoint is a new one that takes events.
    await expect
      .poll(async () => (await call('POST', '/v1/endpoints', { id: 'leaving', url: receiver.url, events: ['leaving.*'] })).status, {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(201);
    expect((await call('GET', '/v1/endpoints/leaving')).body).toMatchObject({ status: 'active', revision: 1, held_deliveries: 0 });
    await untilRouted(gateway, 'leaving.x', 'leaving', (endpoint) => endpoint.status === 'active');
    await postEvent(gateway, 'evt_leaving_again', 'leaving.x');
    const [request] = await receiver.waitForRequests(1, 30_000);
    expect(request?.headers['webhook-id']).toBe('evt_leaving_again');
  }, 120_000);
});
