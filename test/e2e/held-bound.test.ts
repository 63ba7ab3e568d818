import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliveriesQuery, stateQuery, type deliverEvent } from '../../workflows/index.js';
import { apiCaller, pausedEndpointWithEvents, startGateway, type TestGateway } from '../support/gateway.js';
import { timerSummaries } from '../support/history.js';

// A bound of three held deliveries, and a first wait of a second for those past it, so that they ask again within
// the test; eight events are held, five of them on timers of their own.
const MAX_HELD = 3;
const EVENTS = 8;

let gateway: TestGateway;
let receiver: Receiver;
const call = apiCaller(() => gateway);
const entity = () => gateway.client.workflow.getHandle(endpointWorkflowId('bounded'));
const delivery = (workflowId: string) => gateway.client.workflow.getHandle<typeof deliverEvent>(workflowId);

/** How many times each delivery was turned away by the endpoint's entity so far, fewest first. */
async function timesTurnedAway(endpointId: string, workflowIds: readonly string[]): Promise<number[]> {
  const histories = await Promise.all(workflowIds.map((workflowId) => delivery(workflowId).fetchHistory()));
  return histories
    .map((history) => timerSummaries(history).filter((summary) => summary.startsWith(`held past ${endpointId}'s bound`)).length)
    .sort((a, b) => a - b);
}

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway({ delivery: { max_held: MAX_HELD, ask_again_after: '1s' } });
});

afterAll(async () => {
  await gateway.stop();
  await receiver.close();
});

describe('the bound on held deliveries', () => {
  test('a paused endpoint holds at most its bound; the rest wait on their own timers, and all are delivered once resumed', async () => {
    const workflowIds = await pausedEndpointWithEvents(gateway, 'bounded', receiver.url, EVENTS);
    const statuses = () => Promise.all(workflowIds.map(async (workflowId) => (await delivery(workflowId).query(deliveriesQuery)).status));
    await expect.poll(statuses, { timeout: 30_000 }).toEqual(workflowIds.map(() => 'held'));
    // Those past the bound ask again and again, and are turned away each time: the entity never holds more.
    const asksAgain = () => timesTurnedAway('bounded', workflowIds);
    await expect.poll(async () => (await asksAgain()).filter((count) => count >= 2).length, { timeout: 30_000 }).toBe(EVENTS - MAX_HELD);
    expect((await asksAgain()).slice(0, MAX_HELD)).toEqual([0, 0, 0]);
    expect((await entity().query(stateQuery)).heldDeliveries).toHaveLength(MAX_HELD);
    expect((await call('GET', '/v1/endpoints/bounded')).body['held_deliveries']).toBe(MAX_HELD);
    // The health view counts those the entity holds; every one waiting shows held in its own status.
    const health = (await call('GET', '/v1/endpoints/health')).body['data'] as { id: string; held: number }[];
    expect(health.find((endpoint) => endpoint.id === 'bounded')?.held).toBe(MAX_HELD);
    await expect
      .poll(
        async () => ((await call('GET', '/v1/endpoints/bounded/deliveries?status=held&page_size=100')).body['data'] as unknown[]).length,
        {
          timeout: 10_000,
        },
      )
      .toBe(EVENTS);
    expect(receiver.requests).toHaveLength(0);

    expect((await call('POST', '/v1/endpoints/bounded/resume')).status).toBe(200);
    const reports = await Promise.all(workflowIds.map((workflowId) => delivery(workflowId).result()));
    expect(reports.map((report) => report.deliveries.map((d) => d.status))).toEqual(workflowIds.map(() => ['succeeded']));
    const received = receiver.requests.map((request) => String(request.headers['webhook-id'])).sort();
    expect(received).toEqual(Array.from({ length: EVENTS }, (_, index) => `evt_bounded_${index}`).sort());
  }, 120_000);

  test('a delivery turned away whose endpoint is deleted meanwhile ends cancelled when it asks again, never sent', async () => {
    const workflowIds = await pausedEndpointWithEvents(gateway, 'bounded-gone', receiver.url, MAX_HELD + 2);
    // Turned away four times: each is now in a wait of eight seconds or more, which outlasts the deletion below (the
    // entity sends its three held away in one batch, and DELETE answers once it has ended).
    await expect
      .poll(async () => Math.min(...(await timesTurnedAway('bounded-gone', workflowIds)).slice(MAX_HELD)), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(4);
    expect((await call('DELETE', '/v1/endpoints/bounded-gone')).status).toBe(200);
    expect((await gateway.client.workflow.getHandle(endpointWorkflowId('bounded-gone')).describe()).status.name).toBe('COMPLETED');

    const reports = await Promise.all(workflowIds.map((workflowId) => delivery(workflowId).result()));
    const outcomes = reports.map((report) => report.deliveries.map((d) => `${d.status}: ${d.reason ?? ''}`).join()).sort();
    expect(outcomes).toEqual([
      ...Array.from(
        { length: 2 },
        () => 'cancelled: endpoint bounded-gone ended while this delivery waited to ask again (deleted or terminated)',
      ),
      ...Array.from({ length: MAX_HELD }, () => 'cancelled: endpoint disabled (deleted)'),
    ]);
    expect(receiver.requests.filter((request) => String(request.headers['webhook-id']).startsWith('evt_bounded-gone_'))).toHaveLength(0);
  }, 120_000);
});
