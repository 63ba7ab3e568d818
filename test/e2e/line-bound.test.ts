import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { lineFullReason } from '../../domain/fifo-line.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { lineQuery } from '../../workflows/index.js';
import { apiCaller, startGateway, untilRouted, type TestGateway } from '../support/gateway.js';

// A FIFO line of at most three: a paused endpoint's line fills, and the events past it are cancelled, to redeliver.
const MAX_LINE = 3;

let gateway: TestGateway;
let receiver: Receiver;
const call = apiCaller(() => gateway);

const numbersReceived = (): number[] => receiver.requests.map((request) => (JSON.parse(request.body) as { data: { n: number } }).data.n);
const deliveryOf = async (eventId: string) =>
  ((await call('GET', `/v1/events/${eventId}`)).body['deliveries'] as { status: string; reason?: string; attempts: unknown[] }[])[0];

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway({ delivery: { max_line: MAX_LINE } });
});

afterAll(async () => {
  await gateway.stop();
  await receiver.close();
});

describe('the bound on a FIFO line', () => {
  test('cancels the events past a full line with a reason, delivers those in line in order, and takes a redelivery', async () => {
    const created = await call('POST', '/v1/endpoints', { id: 'short-line', url: receiver.url, events: ['short.*'], ordering: 'fifo' });
    expect(created.status).toBe(201);
    expect((await call('POST', '/v1/endpoints/short-line/pause', { reason: 'receiver down' })).status).toBe(200);
    await untilRouted(gateway, 'short.entry', 'short-line', (endpoint) => endpoint.status === 'paused');
    // One after another, each after the last one's 202: the line's order is the order of acceptance.
    for (let n = 1; n <= 6; n++)
      expect((await call('POST', '/v1/events', { id: `short-${n}`, type: 'short.entry', data: { n } })).status).toBe(202);

    const reason = lineFullReason('short-line', MAX_LINE);
    for (const n of [4, 5, 6])
      await expect.poll(() => deliveryOf(`short-${n}`), { timeout: 30_000 }).toMatchObject({ status: 'cancelled', reason, attempts: [] });
    const entity = gateway.client.workflow.getHandle(endpointWorkflowId('short-line'));
    expect((await entity.query(lineQuery)).waiting.map((waiting) => waiting.eventId)).toEqual(['short-1', 'short-2', 'short-3']);
    expect(receiver.requests).toHaveLength(0);

    // Resumed, the line moves in order; a later event finds room again.
    expect((await call('POST', '/v1/endpoints/short-line/resume')).status).toBe(200);
    await receiver.waitForRequests(3, 60_000);
    await untilRouted(gateway, 'short.entry', 'short-line', (endpoint) => endpoint.status === 'active');
    expect((await call('POST', '/v1/events', { id: 'short-7', type: 'short.entry', data: { n: 7 } })).status).toBe(202);
    await receiver.waitForRequests(4, 60_000);
    // A cancelled one, redelivered, goes out of line at once.
    expect((await call('POST', '/v1/events/short-4/redeliver', { endpoint_id: 'short-line' })).status).toBe(202);
    await receiver.waitForRequests(5, 60_000);
    expect(numbersReceived()).toEqual([1, 2, 3, 7, 4]);
    for (const n of [1, 2, 3, 7])
      await expect.poll(async () => (await deliveryOf(`short-${n}`))?.status, { timeout: 30_000 }).toBe('succeeded');
  }, 180_000);
});
