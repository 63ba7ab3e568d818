import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { buildAppFromConfig } from '../../server/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { findFreePort } from '../support/ports.js';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startGateway({ api: { body_limit_bytes: 4096 } });
});

afterAll(async () => {
  await gateway.stop();
});

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  readonly type: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

const cases: Case[] = [
  { name: 'malformed JSON', headers: JSON_HEADERS, body: '{"type": "order.created",', status: 400, type: 'malformed-json' },
  { name: 'an empty JSON body', headers: JSON_HEADERS, body: '', status: 400, type: 'malformed-json' },
  { name: 'a JSON array instead of an object', headers: JSON_HEADERS, body: '[]', status: 400, type: 'validation-failed' },
  { name: 'a missing type', headers: JSON_HEADERS, body: '{"data": {}}', status: 400, type: 'validation-failed' },
  {
    name: 'a type that is not dot-separated words',
    headers: JSON_HEADERS,
    body: '{"type": "order created"}',
    status: 400,
    type: 'validation-failed',
  },
  { name: 'an unknown field', headers: JSON_HEADERS, body: '{"type": "a.b", "event": "a.b"}', status: 400, type: 'validation-failed' },
  { name: 'an id with a slash', headers: JSON_HEADERS, body: '{"type": "a.b", "id": "a/b"}', status: 400, type: 'validation-failed' },
  {
    name: 'a prototype-poisoning key',
    headers: JSON_HEADERS,
    body: '{"type": "a.b", "__proto__": {"x": 1}}',
    status: 400,
    type: 'malformed-json',
  },
  {
    name: 'a wrong content type',
    headers: { 'content-type': 'text/plain' },
    body: 'type=order.created',
    status: 415,
    type: 'unsupported-media-type',
  },
  {
    name: 'a body over the limit',
    headers: JSON_HEADERS,
    body: JSON.stringify({ type: 'a.b', data: 'x'.repeat(5000) }),
    status: 413,
    type: 'payload-too-large',
  },
  { name: 'an unknown route', path: '/v1/nope', headers: JSON_HEADERS, body: '{}', status: 404, type: 'not-found' },
  { name: 'a wrong method', method: 'GET', status: 405, type: 'method-not-allowed' },
  {
    name: 'JSON nested 2,000 deep',
    headers: JSON_HEADERS,
    body: `{"type": "a.b", "data": ${'['.repeat(2_000)}${']'.repeat(2_000)}}`,
    status: 400,
    type: 'too-deeply-nested',
  },
  { name: 'a broken percent-encoding in the path', method: 'GET', path: '/v1/events/%E0%A4%A', status: 400, type: 'bad-url' },
  { name: 'a path parameter over 256 characters', method: 'GET', path: `/v1/events/${'e'.repeat(300)}`, status: 414, type: 'uri-too-long' },
];

describe('bad input to POST /v1/events', () => {
  test.each(cases)('answers $name with $status and a problem body', async ({ method, path, headers, body, status, type }) => {
    const response = await fetch(`${gateway.url}${path ?? '/v1/events'}`, {
      method: method ?? 'POST',
      ...(headers ? { headers } : {}),
      ...(body === undefined ? {} : { body }),
    });

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await response.json();
    expect(problem).toMatchObject({ status, type: expect.stringMatching(new RegExp(`/${type}$`)), title: expect.any(String) });
  });

  test('lists every validation problem with a JSON pointer to it', async () => {
    const response = await fetch(`${gateway.url}/v1/events`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ id: '', timestamp: 'yesterday', data: {} }),
    });
    const problem = (await response.json()) as { errors: { path: string }[] };

    expect(problem.errors.map((error) => error.path).sort()).toEqual(['/id', '/timestamp', '/type']);
  });

  test('answers a body without a content type with 415', async () => {
    const response = await gateway.app.inject({ method: 'POST', url: '/v1/events', payload: Buffer.from('{"type": "a.b"}') });
    expect(response.statusCode).toBe(415);
  });

  test('reads an event with an id of 200 characters, the longest allowed', async () => {
    const id = `evt_${'x'.repeat(196)}`;
    const accepted = await fetch(`${gateway.url}/v1/events`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ id, type: 'a.b' }),
    });
    expect(accepted.status).toBe(202);
    await expect.poll(async () => (await fetch(`${gateway.url}/v1/events/${id}`)).status).toBe(200);
  });

  test('names the allowed methods on a 405', async () => {
    const response = await fetch(`${gateway.url}/v1/events`, { method: 'DELETE' });
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('when Temporal is unreachable', () => {
  let app: FastifyInstance;
  let client: Client;

  beforeAll(async () => {
    // A lazy connection to a closed port: every call fails the way it does while Temporal is down.
    client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await findFreePort()}`, connectTimeout: 500 }) });
    app = buildAppFromConfig(ConfigSchema.parse({ endpoints: [] }), client, { startTimeoutMs: 1_000 });
  });

  afterAll(async () => {
    await app.close();
  });

  test('refuses an event with 503 and Retry-After, so the producer knows nothing was accepted', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/events', payload: { type: 'order.created' } });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ status: 503, type: expect.stringMatching(/temporal-unavailable$/) });
  });

  test('gives an event sent without an id the id it was named, so that it can be retried without a second delivery', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/events', payload: { type: 'order.created' } });
    expect(response.statusCode).toBe(503);
    const body = response.json<{ event_ids: string[]; detail: string }>();
    expect(body.event_ids).toEqual([expect.stringMatching(/^evt_/)]);
    expect(body.detail).toMatch(/send them again with those ids/);

    const named = await app.inject({ method: 'POST', url: '/v1/events', payload: { id: 'evt_mine', type: 'order.created' } });
    expect(named.json()).not.toHaveProperty('event_ids');
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/events/batch',
      payload: { events: [{ id: 'evt_b0', type: 'a.b' }, { type: 'a.b' }] },
    });
    expect(batch.statusCode).toBe(503);
    expect(batch.json<{ event_ids: string[] }>().event_ids).toEqual(['evt_b0', expect.stringMatching(/^evt_/)]);
  });

  test('answers a batch none of whose events was accepted with 503, not a 2xx', async () => {
    const payload = {
      events: [
        { id: 'evt_b1', type: 'a.b' },
        { id: 'evt_b2', type: 'a.b' },
      ],
    };
    const response = await app.inject({ method: 'POST', url: '/v1/events/batch', payload });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).not.toHaveProperty('event_ids');
  });

  test('says a failed read is a failed read, not a refused event', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/events/evt_1' });
    expect(response.statusCode).toBe(503);
    expect(response.json<{ detail: string }>().detail).toMatch(/did not answer in time/);
  });

  test('reports not ready on /readyz while /healthz stays up', async () => {
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
