import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// Per-endpoint delivery controls, end to end: each through the API, on a real worker, to a real receiver.

let gateway: TestGateway;
let big: Receiver;
let everything: Receiver;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits until routing (the API's view of the entities) sees `endpointId`, among the subscribers of `type`, pass `check`. */
async function routedWith(type: string, endpointId: string, check: (endpoint: Record<string, unknown>) => boolean): Promise<void> {
  const seen = (): boolean => {
    const endpoint = gateway.registry
      .routes()
      .route(type)
      .find((candidate) => candidate.id === endpointId);
    return endpoint !== undefined && check(endpoint as unknown as Record<string, unknown>);
  };
  await expect.poll(seen, { timeout: 30_000 }).toBe(true);
}

beforeAll(async () => {
  [big, everything] = await Promise.all([startReceiver(), startReceiver()]);
  gateway = await startGateway({});
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([big.close(), everything.close()]);
});

describe('payload filters', () => {
  test('route only the events that pass, and the event’s report names the endpoints left out and why', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'big-orders',
      url: big.url,
      events: ['order.*'],
      filter: { 'data.total': { $gt: 100 }, $or: [{ 'data.currency': 'EUR' }, { 'data.customer.tier': { $in: ['gold'] } }] },
    });
    expect(created.status).toBe(201);
    expect(created.body['filter']).toEqual({
      'data.total': { $gt: 100 },
      $or: [{ 'data.currency': 'EUR' }, { 'data.customer.tier': { $in: ['gold'] } }],
    });
    expect((await call('POST', '/v1/endpoints', { id: 'all-orders', url: everything.url, events: ['order.*'] })).status).toBe(201);
    await routedWith('order.created', 'big-orders', (endpoint) => endpoint['filter'] !== undefined);
    await routedWith('order.created', 'all-orders', () => true);

    const small = { id: 'filter-small', type: 'order.created', data: { total: 50, currency: 'EUR' } };
    const large = { id: 'filter-large', type: 'order.created', data: { total: 500, currency: 'USD', customer: { tier: 'gold' } } };
    for (const event of [small, large]) expect((await call('POST', '/v1/events', event)).status).toBe(202);

    const received = await everything.waitForRequests(2, 30_000);
    expect(received.map((request) => (JSON.parse(request.body) as { data: { total: number } }).data.total).sort()).toEqual([50, 500]);
    const [only] = await big.waitForRequests(1, 30_000);
    expect(JSON.parse(only?.body ?? '{}')).toMatchObject({ data: { total: 500 } });

    await expect.poll(async () => (await call('GET', '/v1/events/filter-small')).body['status'], { timeout: 30_000 }).toBe('succeeded');
    const report = (await call('GET', '/v1/events/filter-small')).body;
    expect(report['unrouted']).toEqual([{ endpoint_id: 'big-orders', reason: 'filter: data.total is 50, which fails $gt 100' }]);
    expect((report['deliveries'] as { endpoint_id: string }[]).map((delivery) => delivery.endpoint_id)).toEqual(['all-orders']);
    expect((await call('GET', '/v1/events/filter-large')).body['unrouted']).toBeUndefined();
    // A later event that passes still arrives, and the one filtered out never did.
    expect(big.requests).toHaveLength(1);
  });

  test('a filter changed by PATCH applies to the next event, and null removes it', async () => {
    await call('POST', '/v1/endpoints', { id: 'tiers', url: big.url, events: ['tier.*'], filter: { 'data.tier': 'gold' } });
    const changed = await call('PATCH', '/v1/endpoints/tiers', { filter: { 'data.tier': { $in: ['gold', 'silver'] } } });
    expect(changed).toMatchObject({ status: 200, body: { revision: 2 } });
    await routedWith('tier.changed', 'tiers', (endpoint) => JSON.stringify(endpoint['filter']).includes('silver'));
    const before = big.requests.length;
    expect((await call('POST', '/v1/events', { id: 'tier-silver', type: 'tier.changed', data: { tier: 'silver' } })).status).toBe(202);
    await big.waitForRequests(before + 1, 30_000);

    const removed = await call('PATCH', '/v1/endpoints/tiers', { filter: null });
    expect(removed.status).toBe(200);
    expect(removed.body['filter']).toBeUndefined();
    await routedWith('tier.changed', 'tiers', (endpoint) => endpoint['filter'] === undefined);
    expect((await call('POST', '/v1/events', { id: 'tier-bronze', type: 'tier.changed', data: { tier: 'bronze' } })).status).toBe(202);
    await big.waitForRequests(before + 2, 30_000);
  });

  test('a bad filter is refused with the path of each bad part', async () => {
    const refused = await call('POST', '/v1/endpoints', {
      id: 'bad-filter',
      url: big.url,
      filter: { 'data.total': { $gt: [1] }, 'data.kind': { $regex: 'x' } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body['errors']).toEqual([
      { path: '/filter/data.total/$gt', message: '$gt compares with a number or a string' },
      { path: '/filter/data.kind/$regex', message: expect.stringContaining('unknown operator') },
    ]);
    expect((await call('GET', '/v1/endpoints/bad-filter')).status).toBe(404);
  });
});
