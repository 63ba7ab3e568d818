import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../host/logger.js';
import { startApi, type TestApi } from '../support/gateway.js';

// The API's logs are read by many more people than its secrets should be: no key, source secret or payload in them.

const SECRETS = { PRODUCER_KEY: 'producer-key-do-not-log-1234', HOOK_SECRET: 'hook-secret-do-not-log-5678' };
const PAYLOAD_MARKER = 'customer-card-4242-do-not-log';

let api: TestApi;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  api = await startApi(
    {
      api: { keys: [{ id: 'producer', key_env: 'PRODUCER_KEY', scopes: ['ingest', 'manage'] }] },
      sources: [{ id: 'hooks', event_type: 'hook.called', auth: { mode: 'secret', secret_env: 'HOOK_SECRET' } }],
    },
    SECRETS,
    createLogger('api', 'debug', sink),
  );
});

afterAll(async () => {
  await api?.stop();
});

describe('request logs', () => {
  test('have one line per request with method, path, status, time and key id, and never a secret or a payload', async () => {
    const auth = { authorization: `Bearer ${SECRETS.PRODUCER_KEY}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ type: 'order.paid', data: { note: PAYLOAD_MARKER } });
    expect((await fetch(`${api.url}/v1/events`, { method: 'POST', headers: auth, body })).status).toBe(202);
    expect((await fetch(`${api.url}/v1/events?token=${SECRETS.PRODUCER_KEY}`, { method: 'POST', headers: auth, body: '{' })).status).toBe(
      400,
    );
    const hook = { 'x-webhook-secret': SECRETS.HOOK_SECRET, 'content-type': 'application/json' };
    expect((await fetch(`${api.url}/v1/sources/hooks`, { method: 'POST', headers: hook, body })).status).toBe(202);
    expect(
      (await fetch(`${api.url}/v1/sources/hooks`, { method: 'POST', headers: { ...hook, 'x-webhook-secret': 'wrong' }, body })).status,
    ).toBe(401);
    const wrongKey = { ...auth, authorization: 'Bearer guessed-key-also-secret' };
    expect((await fetch(`${api.url}/v1/events`, { method: 'POST', headers: wrongKey, body })).status).toBe(401);

    await expect.poll(() => lines.filter((line) => line['msg'] === 'request').length).toBe(5);
    const requests = lines.filter((line) => line['msg'] === 'request');
    expect(requests[0]).toMatchObject({ component: 'api', method: 'POST', url: '/v1/events', status: 202, key: 'producer' });
    expect(requests[0]?.['ms']).toEqual(expect.any(Number));
    expect(requests[1]).toMatchObject({ url: '/v1/events', status: 400 });

    const everything = JSON.stringify(lines);
    for (const secret of [...Object.values(SECRETS), 'guessed-key-also-secret', PAYLOAD_MARKER]) expect(everything).not.toContain(secret);
  });
});
