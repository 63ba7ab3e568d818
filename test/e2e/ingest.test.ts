import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import type { deliverEvent } from '../../workflows/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// The producer's side of the API with keys and an event-type catalogue: auth and scopes, idempotent repeats,
// batches and CloudEvents, each followed through to what the receiver got.

const KEYS = {
  INGEST_KEY: 'ingest-key-0123456789abcdef',
  READ_KEY: 'read-key-0123456789abcdef',
  MANAGE_KEY: 'manage-key-0123456789abcdef',
};

let gateway: TestGateway;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway(
    {
      api: {
        keys: [
          { id: 'producer', key_env: 'INGEST_KEY', scopes: ['ingest'] },
          { id: 'dashboard', key_env: 'READ_KEY', scopes: ['read'] },
          { id: 'operator', key_env: 'MANAGE_KEY', scopes: ['manage'] },
        ],
        batch_max: 5,
      },
      event_types: [
        {
          type: 'order.created',
          description: 'a customer placed an order',
          schema: {
            type: 'object',
            required: ['order_id', 'total'],
            properties: { order_id: { type: 'string' }, total: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } },
          },
        },
        { type: 'order.shipped' },
      ],
      delivery: { retry: { schedule: [] } },
      endpoints: [{ id: 'all', url: receiver.url, events: ['*'] }],
    },
    KEYS,
  );
});

afterAll(async () => {
  await gateway?.stop();
  await receiver?.close();
});

function send(path: string, body: unknown, options: { key?: string; type?: string; headers?: Record<string, string> } = {}) {
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': options.type ?? 'application/json',
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
}

interface ProblemBody {
  readonly type: string;
  readonly status: number;
  readonly errors: { path: string; message: string }[];
}
interface BatchBody {
  readonly accepted: number;
  readonly failed: number;
  readonly data: { id: string; status: string; workflow_id?: string }[];
}
const readJson = async <T = { id: string; workflow_id: string }>(response: Response): Promise<T> => (await response.json()) as T;

const get = (path: string, key?: string) => fetch(`${gateway.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
const deliveredIds = () => receiver.requests.map((request) => String(request.headers['webhook-id']));

describe('API keys', () => {
  test('answer 401 without a key or with a wrong one, with a problem body and WWW-Authenticate', async () => {
    for (const key of [undefined, 'not-a-key']) {
      const response = await send('/v1/events', { type: 'order.shipped' }, key ? { key } : {});
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({ type: expect.stringMatching(/\/unauthorized$/), status: 401, title: 'Unauthorized' });
    }
  });

  test('answer 403 when the key lacks the scope, and let each scope do its own part', async () => {
    const readerSends = await send('/v1/events', { type: 'order.shipped' }, { key: KEYS.READ_KEY });
    expect(readerSends.status).toBe(403);
    expect(await readerSends.json()).toMatchObject({ type: expect.stringMatching(/\/insufficient-scope$/), status: 403 });
    expect((await get('/v1/endpoints', KEYS.INGEST_KEY)).status).toBe(403);
    expect((await send('/v1/endpoints/all/pause', {}, { key: KEYS.READ_KEY })).status).toBe(403);

    expect((await get('/v1/endpoints', KEYS.READ_KEY)).status).toBe(200);
    expect((await get('/v1/endpoints', KEYS.MANAGE_KEY)).status).toBe(200); // manage includes read
    expect((await send('/v1/events', { type: 'order.shipped' }, { key: KEYS.INGEST_KEY })).status).toBe(202);
  });

  test('are not needed for health and the API description', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/openapi.json')).status).toBe(200);
  });
});

describe('idempotent repeats', () => {
  test('an Idempotency-Key without an event id answers the first answer again and delivers once', async () => {
    const headers = { 'idempotency-key': 'checkout-7f3a' };
    const first = await send('/v1/events', { type: 'order.shipped', data: { n: 1 } }, { key: KEYS.INGEST_KEY, headers });
    const again = await send('/v1/events', { type: 'order.shipped', data: { n: 1 } }, { key: KEYS.INGEST_KEY, headers });
    const body = await readJson(first);

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await gateway.client.workflow.getHandle<typeof deliverEvent>(body.workflow_id).result();
    expect(deliveredIds().filter((id) => id === body.id)).toHaveLength(1);
  });

  test('a repeated id with other content is a 409, not a silent drop', async () => {
    const first = await send('/v1/events', { id: 'evt_reuse', type: 'order.shipped', data: { parcel: 1 } }, { key: KEYS.INGEST_KEY });
    const other = await send('/v1/events', { id: 'evt_reuse', type: 'order.shipped', data: { parcel: 2 } }, { key: KEYS.INGEST_KEY });
    expect(first.status).toBe(202);
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ type: expect.stringMatching(/\/idempotency-conflict$/), status: 409 });
  });
});

describe('event ids the gateway derives', () => {
  test('a reused Idempotency-Key with another event is a 422, as the Idempotency-Key draft says', async () => {
    const headers = { 'idempotency-key': 'refund-91' };
    expect((await send('/v1/events', { type: 'order.shipped', data: { n: 1 } }, { key: KEYS.INGEST_KEY, headers })).status).toBe(202);
    const other = await send('/v1/events', { type: 'order.shipped', data: { n: 2 } }, { key: KEYS.INGEST_KEY, headers });
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ type: expect.stringMatching(/\/idempotency-conflict$/), status: 422 });
  });

  test('cannot be chosen by a producer, so no one can take another’s Idempotency-Key ahead of them', async () => {
    const response = await send('/v1/events', { id: 'idem_abc', type: 'order.shipped' }, { key: KEYS.INGEST_KEY });
    expect(response.status).toBe(400);
    expect((await readJson<ProblemBody>(response)).errors[0]?.path).toBe('/id');
  });
});

describe('the event-type catalogue', () => {
  test('refuses a type it does not list with 422', async () => {
    const response = await send('/v1/events', { type: 'order.teleported' }, { key: KEYS.INGEST_KEY });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      type: expect.stringMatching(/\/unknown-event-type$/),
      errors: [{ path: '/type', message: 'not in the catalogue' }],
    });
  });

  test('refuses data that breaks the type’s schema with 400 and a path for each problem', async () => {
    const response = await send('/v1/events', { type: 'order.created', data: { total: -1, email: 'nope' } }, { key: KEYS.INGEST_KEY });
    expect(response.status).toBe(400);
    const problem = await readJson<ProblemBody>(response);
    expect(problem.type).toMatch(/\/validation-failed$/);
    expect(problem.errors.map((error) => error.path).sort()).toEqual(['/data', '/data/email', '/data/total']);
  });

  test('accepts valid data and lists the catalogue for readers', async () => {
    const response = await send('/v1/events', { type: 'order.created', data: { order_id: 'o_9', total: 12.5 } }, { key: KEYS.INGEST_KEY });
    expect(response.status).toBe(202);
    const catalogue = await readJson<{ data: { type: string; description?: string }[] }>(await get('/v1/event-types', KEYS.READ_KEY));
    expect(catalogue.data.map((entry) => entry.type)).toEqual(['order.created', 'order.shipped']);
    expect(catalogue.data[0]?.description).toBe('a customer placed an order');
  });
});

describe('POST /v1/events/batch', () => {
  test('accepts every event, in order, and delivers each once', async () => {
    const events = [1, 2, 3].map((n) => ({ id: `evt_batch_${n}`, type: 'order.shipped', data: { n } }));
    const response = await send('/v1/events/batch', { events }, { key: KEYS.INGEST_KEY });
    expect(response.status).toBe(202);
    const body = await readJson<BatchBody>(response);
    expect(body).toMatchObject({ accepted: 3, failed: 0 });
    expect(body.data.map((item) => [item.id, item.status])).toEqual([
      ['evt_batch_1', 'accepted'],
      ['evt_batch_2', 'accepted'],
      ['evt_batch_3', 'accepted'],
    ]);
    await expect
      .poll(() =>
        deliveredIds()
          .filter((id) => id?.startsWith('evt_batch_'))
          .sort(),
      )
      .toEqual(['evt_batch_1', 'evt_batch_2', 'evt_batch_3']);

    const again = await readJson<BatchBody>(await send('/v1/events/batch', { events }, { key: KEYS.INGEST_KEY }));
    expect(again.data.map((item) => item.status)).toEqual(['replayed', 'replayed', 'replayed']);
  });

  test('refuses the whole batch when one event is invalid, starting none', async () => {
    const events = [
      { id: 'evt_batch_bad_1', type: 'order.shipped' },
      { id: 'evt_batch_bad_2', type: 'order.created', data: { order_id: 'x' } },
    ];
    const response = await send('/v1/events/batch', { events }, { key: KEYS.INGEST_KEY });
    expect(response.status).toBe(400);
    expect((await readJson<ProblemBody>(response)).errors).toEqual([{ path: '/events/1/data', message: 'must have property total' }]);
    expect((await get('/v1/events/evt_batch_bad_1', KEYS.READ_KEY)).status).toBe(404);
  });

  test('refuses more events than batch_max, a repeated id, an unknown type, and an empty batch', async () => {
    const many = Array.from({ length: 6 }, () => ({ type: 'order.shipped' }));
    expect((await send('/v1/events/batch', { events: many }, { key: KEYS.INGEST_KEY })).status).toBe(400);
    const twice = await send(
      '/v1/events/batch',
      {
        events: [
          { id: 'evt_twice', type: 'order.shipped' },
          { id: 'evt_twice', type: 'order.shipped' },
        ],
      },
      { key: KEYS.INGEST_KEY },
    );
    expect((await readJson<ProblemBody>(twice)).errors).toEqual([
      { path: '/events/1/id', message: 'this id is used earlier in the batch' },
    ]);
    const unknown = await send(
      '/v1/events/batch',
      { events: [{ type: 'order.shipped' }, { type: 'order.lost' }] },
      { key: KEYS.INGEST_KEY },
    );
    expect(unknown.status).toBe(422);
    expect((await readJson<ProblemBody>(unknown)).errors).toEqual([
      { path: '/events/1/type', message: '"order.lost" is not in the event-type catalogue' },
    ]);
    expect((await send('/v1/events/batch', { events: [] }, { key: KEYS.INGEST_KEY })).status).toBe(400);
  });
});

describe('CloudEvents (structured mode)', () => {
  const cloudEvent = {
    specversion: '1.0',
    id: 'ce-1234',
    source: 'https://ci.example.com/pipelines/42',
    type: 'order.shipped',
    time: '2026-11-23T08:00:00Z',
    datacontenttype: 'application/json',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    data: { carrier: 'ups' },
  };

  test('accepts one CloudEvent and delivers its data under its id, type and time', async () => {
    const response = await send('/v1/events', cloudEvent, { key: KEYS.INGEST_KEY, type: 'application/cloudevents+json' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ id: 'ce-1234', workflow_id: 'event/ce-1234' });
    await expect.poll(() => receiver.requests.find((request) => request.headers['webhook-id'] === 'ce-1234')).toBeDefined();
    const delivered = receiver.requests.find((request) => request.headers['webhook-id'] === 'ce-1234');
    expect(JSON.parse(delivered?.body ?? '')).toMatchObject({
      type: 'order.shipped',
      timestamp: '2026-11-23T08:00:00Z',
      data: { carrier: 'ups' },
    });
  });

  test('accepts a batch of CloudEvents, with JSON data in data_base64', async () => {
    const encoded = { ...cloudEvent, id: 'ce-b64', data: undefined, data_base64: Buffer.from('{"carrier":"dhl"}').toString('base64') };
    const batch = [{ ...cloudEvent, id: 'ce-batch-1' }, encoded];
    const response = await send('/v1/events/batch', batch, { key: KEYS.INGEST_KEY, type: 'application/cloudevents-batch+json' });
    expect(response.status).toBe(202);
    expect((await readJson<BatchBody>(response)).accepted).toBe(2);
    await expect
      .poll(() => receiver.requests.find((request) => request.headers['webhook-id'] === 'ce-b64')?.body)
      .toContain('"carrier":"dhl"');
  });

  test('tells two sources that reuse an id apart: the second is a conflict, not a silent repeat', async () => {
    const first = { ...cloudEvent, id: 'ce-shared', source: 'https://a.example.com' };
    const second = { ...first, source: 'https://b.example.com' };
    const type = 'application/cloudevents+json';
    expect((await send('/v1/events', first, { key: KEYS.INGEST_KEY, type })).status).toBe(202);
    expect((await send('/v1/events', first, { key: KEYS.INGEST_KEY, type })).status).toBe(202);
    expect((await send('/v1/events', second, { key: KEYS.INGEST_KEY, type })).status).toBe(409);
  });

  test('refuses an invalid CloudEvent with the paths of its problems', async () => {
    const response = await send(
      '/v1/events',
      { ...cloudEvent, specversion: '0.3', source: '' },
      { key: KEYS.INGEST_KEY, type: 'application/cloudevents+json' },
    );
    expect(response.status).toBe(400);
    const paths = (await readJson<ProblemBody>(response)).errors.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['/specversion', '/source']));
  });

  test('refuses a CloudEvent under the plain JSON media type, where it is not an event', async () => {
    const response = await send('/v1/events', cloudEvent, { key: KEYS.INGEST_KEY });
    expect(response.status).toBe(400);
  });
});
