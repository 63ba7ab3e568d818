import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// Inbound sources as the Kubiya docs describe them: a URL per source that outside systems call with a shared
// secret or a signature, a log of the calls, disabled sources that refuse and deleted ones that are gone.

const SECRETS = {
  ALERTS_SECRET: 'alerts-shared-secret',
  GITHUB_SECRET: 'github-hmac-secret',
  BILLING_SECRET: `whsec_${Buffer.from('billing secret of 32 bytes......').toString('base64')}`,
  READ_KEY: 'reader-key-0123456789',
};

let gateway: TestGateway;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway(
    {
      api: { keys: [{ id: 'reader', key_env: 'READ_KEY', scopes: ['read'] }], rate_limits: { per_source: { limit: 50, window: '1m' } } },
      sources: [
        { id: 'alerts', name: 'Monitoring alerts', event_type: 'alert.fired', auth: { mode: 'secret', secret_env: 'ALERTS_SECRET' } },
        {
          id: 'github',
          event_type: 'ci.push',
          auth: { mode: 'hmac-sha256', secret_env: 'GITHUB_SECRET' },
          id_header: 'x-github-delivery',
        },
        { id: 'billing', event_type: 'billing.invoice', auth: { mode: 'standard-webhooks', secret_env: 'BILLING_SECRET' } },
        { id: 'retired', event_type: 'alert.fired', enabled: false, auth: { mode: 'secret', secret_env: 'ALERTS_SECRET' } },
        {
          id: 'chatty',
          event_type: 'alert.fired',
          auth: { mode: 'secret', secret_env: 'ALERTS_SECRET' },
          rate_limit: { limit: 3, window: '2s' },
        },
      ],
      delivery: { retry: { schedule: [] } },
      endpoints: [{ id: 'all', url: receiver.url, events: ['*'] }],
    },
    SECRETS,
  );
});

afterAll(async () => {
  await gateway?.stop();
  await receiver?.close();
});

function call(source: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${gateway.url}/v1/sources/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function deliveredBody(eventId: string): Promise<unknown> {
  await expect.poll(() => receiver.requests.some((request) => request.headers['webhook-id'] === eventId)).toBe(true);
  const request = receiver.requests.find((candidate) => candidate.headers['webhook-id'] === eventId);
  return JSON.parse(request?.body ?? 'null') as unknown;
}

interface Invocation {
  readonly result: string;
  readonly status: number;
  readonly source_ip: string;
  readonly payload_excerpt: string;
  readonly event_id?: string;
}

async function invocations(source: string): Promise<Invocation[]> {
  const response = await fetch(`${gateway.url}/v1/sources/${source}/invocations`, {
    headers: { authorization: `Bearer ${SECRETS.READ_KEY}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: Invocation[] }).data;
}

describe('inbound sources', () => {
  test('turn a call with the shared secret into an event of the source’s type, with or without a message field', async () => {
    for (const body of ['{"message":"disk 91% full on db-1","severity":"high"}', '{"check":"latency","p99_ms":840}']) {
      const response = await call('alerts', body, { 'x-webhook-secret': SECRETS.ALERTS_SECRET });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      expect(await deliveredBody(id)).toMatchObject({ type: 'alert.fired', data: JSON.parse(body) as object });
    }
  });

  test('refuse a missing or wrong secret with 401, and log every call with its result', async () => {
    expect((await call('alerts', '{"message":"no secret"}')).status).toBe(401);
    const wrong = await call('alerts', '{"message":"wrong secret"}', { 'x-webhook-secret': 'guess' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ type: expect.stringMatching(/\/unauthorized$/), status: 401 });

    const log = await invocations('alerts');
    expect(log[0]).toMatchObject({
      result: 'unauthorized',
      status: 401,
      source_ip: '127.0.0.1',
      payload_excerpt: '{"message":"wrong secret"}',
    });
    expect(log[1]).toMatchObject({ result: 'unauthorized', payload_excerpt: '{"message":"no secret"}' });
    expect(log.filter((entry) => entry.result === 'accepted').length).toBeGreaterThanOrEqual(2);
    expect(log.find((entry) => entry.result === 'accepted')?.event_id).toBeDefined();
  });

  test('check a sha256= HMAC over the raw bytes, and take the event id from the sender’s delivery header', async () => {
    // Spacing and key order as sent: re-serialized JSON would not match the signature.
    const body = '{ "ref": "refs/heads/main",  "commits": 3 }';
    const signature = `sha256=${createHmac('sha256', SECRETS.GITHUB_SECRET).update(body).digest('hex')}`;
    const headers = { 'x-hub-signature-256': signature, 'x-github-delivery': 'f1d2-77aa' };

    const first = await call('github', body, headers);
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ id: 'github.f1d2-77aa' });
    const retried = await call('github', body, headers);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await deliveredBody('github.f1d2-77aa')).toMatchObject({ type: 'ci.push', data: { commits: 3 } });

    expect((await call('github', body.replace('3', '4'), headers)).status).toBe(401);
  });

  test('check a Standard Webhooks signature, refusing one made for another body', async () => {
    const body = JSON.stringify({ invoice: 'in_42', amount_due: 1900 });
    const signature = new Webhook(SECRETS.BILLING_SECRET).sign('msg_billing_1', new Date(), body);
    const headers = {
      'webhook-id': 'msg_billing_1',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': signature,
    };

    const response = await call('billing', body, headers);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ id: 'billing.msg_billing_1' });
    expect((await call('billing', body.replace('1900', '19'), headers)).status).toBe(401);
  });

  test('answer 403 for a disabled source, whose URL stays, and 404 for one that does not exist', async () => {
    const disabled = await call('retired', '{}', { 'x-webhook-secret': SECRETS.ALERTS_SECRET });
    expect(disabled.status).toBe(403);
    expect(await disabled.json()).toMatchObject({ type: expect.stringMatching(/\/source-disabled$/), status: 403 });
    expect((await invocations('retired'))[0]).toMatchObject({ result: 'disabled', status: 403 });

    const missing = await call('deleted-long-ago', '{}', { 'x-webhook-secret': SECRETS.ALERTS_SECRET });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('refuse a body that is not JSON with 400, and a form body with 415', async () => {
    const headers = { 'x-webhook-secret': SECRETS.ALERTS_SECRET };
    expect((await call('alerts', '{"message": ', headers)).status).toBe(400);
    const form = await fetch(`${gateway.url}/v1/sources/alerts`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'message=hi',
    });
    expect(form.status).toBe(415);
  });

  test('answer 429 with Retry-After and rate-limit headers past the source’s limit, and let calls in again after the window', async () => {
    const headers = { 'x-webhook-secret': SECRETS.ALERTS_SECRET };
    const answers = [];
    for (let index = 0; index < 4; index++) answers.push(await call('chatty', `{"n":${index}}`, headers));

    expect(answers.map((response) => response.status)).toEqual([202, 202, 202, 429]);
    expect(answers[0]?.headers.get('x-ratelimit-limit')).toBe('3');
    expect(answers[2]?.headers.get('x-ratelimit-remaining')).toBe('0');
    const refused = answers[3];
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(await refused?.json()).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), status: 429 });
    expect((await invocations('chatty'))[0]).toMatchObject({ result: 'rate_limited', status: 429 });

    await expect.poll(async () => (await call('chatty', '{"n":"later"}', headers)).status, { interval: 500 }).toBe(202);
  });

  test('are listed for readers without their secrets', async () => {
    const response = await fetch(`${gateway.url}/v1/sources`, { headers: { authorization: `Bearer ${SECRETS.READ_KEY}` } });
    const text = await response.text();
    expect(response.status).toBe(200);
    for (const secret of [SECRETS.ALERTS_SECRET, SECRETS.GITHUB_SECRET, SECRETS.BILLING_SECRET]) expect(text).not.toContain(secret);
    const { data } = JSON.parse(text) as { data: { id: string; url: string; enabled: boolean; auth: { mode: string } }[] };
    expect(data.map((source) => [source.id, source.enabled, source.auth.mode])).toEqual([
      ['alerts', true, 'secret'],
      ['github', true, 'hmac-sha256'],
      ['billing', true, 'standard-webhooks'],
      ['retired', false, 'secret'],
      ['chatty', true, 'secret'],
    ]);
    expect(data[0]?.url).toBe('/v1/sources/alerts');
    // The limit in force: the source's own, or api.rate_limits.per_source.
    expect(data.map((source) => (source as { rate_limit?: unknown }).rate_limit)).toEqual([
      { limit: 50, window_ms: 60_000 },
      { limit: 50, window_ms: 60_000 },
      { limit: 50, window_ms: 60_000 },
      { limit: 50, window_ms: 60_000 },
      { limit: 3, window_ms: 2_000 },
    ]);
    expect((await fetch(`${gateway.url}/v1/sources/alerts/invocations`)).status).toBe(401);
  });
});
