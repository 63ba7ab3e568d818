import { afterEach, describe, expect, test } from 'vitest';
import type { z } from 'zod';
import type { ApiKeySchema } from '../../config/ingest.js';
import { startApi, type TestApi } from '../support/gateway.js';

type ApiKeyInput = z.input<typeof ApiKeySchema>;

// The per-key and global limits, with short windows; the per-source limit is in sources.test.ts.

const ENV = { KEY_A: 'key-a-0123456789abcdef', KEY_B: 'key-b-0123456789abcdef' };
const keys: ApiKeyInput[] = [
  { id: 'a', key_env: 'KEY_A', scopes: ['ingest', 'read'] },
  { id: 'b', key_env: 'KEY_B', scopes: ['ingest', 'read'] },
];

let api: TestApi | undefined;

afterEach(async () => {
  await api?.stop();
  api = undefined;
});

function sendAs(key: string) {
  return fetch(`${api?.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ type: 'rate.probe' }),
  });
}

describe('rate limits', () => {
  test('per key: a key past its limit gets 429 with Retry-After while another key goes on', async () => {
    api = await startApi({ api: { keys: [...keys], rate_limits: { global: null, per_key: { limit: 2, window: '1m' } } } }, ENV);
    const a = [await sendAs(ENV.KEY_A), await sendAs(ENV.KEY_A), await sendAs(ENV.KEY_A)];

    expect(a.map((response) => response.status)).toEqual([202, 202, 429]);
    expect(a[0]?.headers.get('x-ratelimit-limit')).toBe('2');
    expect(a[0]?.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(a[0]?.headers.get('x-ratelimit-reset'))).toBeGreaterThan(50);
    expect(Number(a[2]?.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(a[2]?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await a[2]?.json()).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), status: 429, title: 'Too Many Requests' });
    expect((await sendAs(ENV.KEY_B)).status).toBe(202);
  });

  test('global: every caller shares the limit, and a refused request counts against no one', async () => {
    api = await startApi(
      { api: { keys: [...keys], rate_limits: { global: { limit: 3, window: '1500ms' }, per_key: { limit: 2, window: '1m' } } } },
      ENV,
    );
    const statuses = [await sendAs(ENV.KEY_A), await sendAs(ENV.KEY_B), await sendAs(ENV.KEY_B), await sendAs(ENV.KEY_A)].map(
      (r) => r.status,
    );
    expect(statuses).toEqual([202, 202, 202, 429]);

    // Key a was refused by the global limit, so it still has one request of its own left when the window turns.
    await expect.poll(async () => (await sendAs(ENV.KEY_A)).status, { interval: 300 }).toBe(202);
    expect((await sendAs(ENV.KEY_A)).status).toBe(429);
  });

  test('a batch costs its events, and failed keys count apart, so they use up nobody’s allowance', async () => {
    api = await startApi(
      {
        api: {
          keys: [...keys],
          rate_limits: {
            global: { limit: 8, window: '1m' },
            per_key: { limit: 4, window: '1m' },
            auth_failures: { limit: 3, window: '1m' },
          },
        },
      },
      ENV,
    );
    const batch = (key: string) =>
      fetch(`${api?.url}/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ events: [{ type: 'rate.probe' }, { type: 'rate.probe' }, { type: 'rate.probe' }] }),
      });
    expect((await batch(ENV.KEY_A)).status).toBe(202);
    const second = await batch(ENV.KEY_A);
    expect(second.status).toBe(429);
    expect(second.headers.get('x-ratelimit-remaining')).toBe('0');

    const guesses = [];
    for (let index = 0; index < 4; index++) guesses.push((await sendAs(`guess-${index}-0123456789abcdef`)).status);
    expect(guesses).toEqual([401, 401, 401, 429]);
    // A real key from the same address still gets in, and the guesses took nothing from the global limit.
    expect((await batch(ENV.KEY_B)).status).toBe(202);
    expect((await sendAs(ENV.KEY_B)).status).toBe(202);
  });

  test('without keys, callers are told apart by address; health and docs are never limited', async () => {
    api = await startApi({ api: { rate_limits: { global: null, per_key: { limit: 1, window: '1m' } } } });
    const post = () =>
      fetch(`${api?.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"rate.probe"}' });
    expect([(await post()).status, (await post()).status]).toEqual([202, 429]);
    for (let index = 0; index < 3; index++) {
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${api.url}/openapi.json`)).status).toBe(200);
    }
  });
});
