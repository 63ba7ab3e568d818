import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { makeTestCertificates, type TestCertificates } from '../support/certificates.js';
import { apiCaller, untilRouted, startGateway, type TestGateway } from '../support/gateway.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';

// Per-endpoint delivery controls, end to end: each through the API, on a real worker, to a real receiver.

const SIGNING_SECRET = `whsec_${Buffer.from('the delivery-controls signing secret').toString('base64')}`;

let certificates: TestCertificates;
let mutual: Receiver;
let tokenServer: TokenServer;
let protectedReceiver: Receiver;
let composite: Receiver;

let gateway: TestGateway;
let big: Receiver;
let everything: Receiver;
let shaped: Receiver;

const call = apiCaller(() => gateway);

beforeAll(async () => {
  certificates = makeTestCertificates();
  tokenServer = await startTokenServer({ 'webhooks-gateway': 'client-s3cret' });
  protectedReceiver = await startReceiver();
  composite = await startReceiver({ tls: { ...certificates.server, clientCa: certificates.ca } });
  [big, everything, shaped, mutual] = await Promise.all([
    startReceiver(),
    startReceiver(),
    startReceiver(),
    startReceiver({ tls: { ...certificates.server, clientCa: certificates.ca } }),
  ]);
  gateway = await startGateway(
    {},
    {
      WEBHOOKS_ENDPOINT_SHAPED_SECRET: SIGNING_SECRET,
      WEBHOOKS_ENDPOINT_CLIENT_CERT: certificates.client.cert,
      // As a single-line variable often holds a PEM: line breaks written as \n.
      WEBHOOKS_ENDPOINT_CLIENT_KEY: certificates.client.key.replace(/\n/g, '\\n'),
      WEBHOOKS_ENDPOINT_RECEIVER_CA: certificates.ca,
      WEBHOOKS_ENDPOINT_STRANGER_CERT: certificates.stranger.cert,
      WEBHOOKS_ENDPOINT_STRANGER_KEY: certificates.stranger.key,
      WEBHOOKS_ENDPOINT_OAUTH_SECRET: 'client-s3cret',
      WEBHOOKS_ENDPOINT_WRONG_SECRET: 'not-the-secret',
    },
  );
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([
    big.close(),
    everything.close(),
    shaped.close(),
    mutual.close(),
    protectedReceiver.close(),
    tokenServer.close(),
    composite.close(),
  ]);
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
    await untilRouted(gateway, 'order.created', 'big-orders', (endpoint) => endpoint.filter !== undefined);
    await untilRouted(gateway, 'order.created', 'all-orders', () => true);

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
    await untilRouted(gateway, 'tier.changed', 'tiers', (endpoint) => JSON.stringify(endpoint.filter).includes('silver'));
    const before = big.requests.length;
    expect((await call('POST', '/v1/events', { id: 'tier-silver', type: 'tier.changed', data: { tier: 'silver' } })).status).toBe(202);
    await big.waitForRequests(before + 1, 30_000);

    const removed = await call('PATCH', '/v1/endpoints/tiers', { filter: null });
    expect(removed.status).toBe(200);
    expect(removed.body['filter']).toBeUndefined();
    await untilRouted(gateway, 'tier.changed', 'tiers', (endpoint) => endpoint.filter === undefined);
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

describe('transformations', () => {
  const expression =
    '{"text": "Order " & id & ": " & $formatNumber(data.total, "#,##0.00") & " " & data.currency, "lines": $count(data.items)}';

  test('make the body a receiver gets, and the signature covers exactly that body', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'shaped',
      url: shaped.url,
      events: ['invoice.*'],
      transform: expression,
      signing: { secret_env: 'WEBHOOKS_ENDPOINT_SHAPED_SECRET' },
    });
    expect(created.status).toBe(201);
    await untilRouted(gateway, 'invoice.paid', 'shaped', (endpoint) => endpoint.transform === expression);
    const event = { id: 'inv-1', type: 'invoice.paid', data: { total: 1234.5, currency: 'EUR', items: [{}, {}, {}] } };
    expect((await call('POST', '/v1/events', event)).status).toBe(202);

    const [received] = await shaped.waitForRequests(1, 30_000);
    expect(JSON.parse(received?.body ?? '')).toEqual({ text: 'Order inv-1: 1,234.50 EUR', lines: 3 });
    const headers = Object.fromEntries(Object.entries(received?.headers ?? {}).map(([name, value]) => [name, String(value)]));
    expect(new Webhook(SIGNING_SECRET).verify(received?.body ?? '', headers)).toEqual({ text: 'Order inv-1: 1,234.50 EUR', lines: 3 });
  });

  test('a transform that fails on an event is one recorded attempt with its error, not retried, and the worker goes on', async () => {
    await call('POST', '/v1/endpoints', {
      id: 'picky',
      url: shaped.url,
      events: ['picky.*'],
      transform: 'data.customer ? {"customer": data.customer} : $error("this event has no customer")',
      retry: { schedule: ['1s', '1s'] },
    });
    await untilRouted(gateway, 'picky.created', 'picky', () => true);
    expect((await call('POST', '/v1/events', { id: 'picky-1', type: 'picky.created', data: {} })).status).toBe(202);
    await expect.poll(async () => (await call('GET', '/v1/events/picky-1')).body['status'], { timeout: 30_000 }).toBe('failed');
    const [delivery] = (await call('GET', '/v1/events/picky-1')).body['deliveries'] as Record<string, unknown>[];
    expect(delivery?.['attempts']).toEqual([
      expect.objectContaining({
        attempt: 1,
        verdict: 'rejected',
        error_class: 'transform_failed',
        error_message: 'transform: D3137: this event has no customer (at character 53)',
      }),
    ]);

    const before = shaped.requests.length;
    expect((await call('POST', '/v1/events', { id: 'picky-2', type: 'picky.created', data: { customer: 'cus_1' } })).status).toBe(202);
    const received = await shaped.waitForRequests(before + 1, 30_000);
    expect(JSON.parse(received.at(-1)?.body ?? '')).toEqual({ customer: 'cus_1' });
  });

  test('the preview route runs the endpoint’s transform, or one to try, on a sample event', async () => {
    const sample = { event: { id: 'inv-9', type: 'invoice.paid', data: { total: 5, currency: 'USD', items: [] } } };
    expect(await call('POST', '/v1/endpoints/shaped/transform/preview', sample)).toEqual({
      status: 200,
      body: { body: { text: 'Order inv-9: 5.00 USD', lines: 0 }, bytes: 42 },
    });
    expect(await call('POST', '/v1/endpoints/shaped/transform/preview', { ...sample, transform: '$uppercase(data.currency)' })).toEqual({
      status: 200,
      body: { body: 'USD', bytes: 5 },
    });
    const failing = await call('POST', '/v1/endpoints/shaped/transform/preview', { ...sample, transform: '$error("nope")' });
    expect(failing).toMatchObject({
      status: 422,
      body: { type: expect.stringContaining('transform-failed'), detail: 'D3137: nope (at character 7)' },
    });
    const invalid = await call('POST', '/v1/endpoints/shaped/transform/preview', { ...sample, transform: '{"a": ' });
    expect(invalid.status).toBe(400);
    expect((invalid.body['errors'] as { path: string }[])[0]?.path).toBe('/transform');
    expect((await call('POST', '/v1/endpoints/tiers/transform/preview', sample)).status).toBe(409);
    expect((await call('POST', '/v1/endpoints/nobody/transform/preview', sample)).status).toBe(404);
  });
});

describe('mutual TLS', () => {
  /** The first attempt of an event's only delivery, once it has one. */
  async function firstAttempt(eventId: string): Promise<Record<string, unknown>> {
    let attempt: Record<string, unknown> | undefined;
    await expect
      .poll(
        async () => {
          const deliveries = (await call('GET', `/v1/events/${eventId}`)).body['deliveries'] as { attempts: Record<string, unknown>[] }[];
          attempt = deliveries[0]?.attempts[0];
          return attempt !== undefined;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    return attempt as Record<string, unknown>;
  }

  test('presents the endpoint’s client certificate to a receiver that requires one, and trusts its private CA', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'mutual',
      url: mutual.url,
      events: ['mtls.*'],
      tls: {
        client_cert_env: 'WEBHOOKS_ENDPOINT_CLIENT_CERT',
        client_key_env: 'WEBHOOKS_ENDPOINT_CLIENT_KEY',
        ca_env: 'WEBHOOKS_ENDPOINT_RECEIVER_CA',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body['tls']).toEqual({
      client_cert_env: 'WEBHOOKS_ENDPOINT_CLIENT_CERT',
      client_key_env: 'WEBHOOKS_ENDPOINT_CLIENT_KEY',
      ca_env: 'WEBHOOKS_ENDPOINT_RECEIVER_CA',
    });
    await untilRouted(gateway, 'mtls.ping', 'mutual', (endpoint) => endpoint.tls !== undefined);
    expect((await call('POST', '/v1/events', { id: 'mtls-1', type: 'mtls.ping', data: { n: 1 } })).status).toBe(202);
    const [received] = await mutual.waitForRequests(1, 30_000);
    expect(received?.clientCertificate).toBe('gateway');
    expect(JSON.parse(received?.body ?? '')).toMatchObject({ type: 'mtls.ping', data: { n: 1 } });
    await expect.poll(async () => (await call('GET', '/v1/events/mtls-1')).body['status'], { timeout: 30_000 }).toBe('succeeded');
  });

  test('a client certificate the receiver refuses, or none, is a failed attempt to retry, and so is a receiver not trusted', async () => {
    const receiverCa = { ca_env: 'WEBHOOKS_ENDPOINT_RECEIVER_CA' };
    const endpoints = [
      {
        id: 'mtls-stranger',
        tls: { client_cert_env: 'WEBHOOKS_ENDPOINT_STRANGER_CERT', client_key_env: 'WEBHOOKS_ENDPOINT_STRANGER_KEY', ...receiverCa },
      },
      { id: 'mtls-none', tls: receiverCa },
      {
        id: 'mtls-unset',
        tls: { client_cert_env: 'WEBHOOKS_ENDPOINT_NOT_SET', client_key_env: 'WEBHOOKS_ENDPOINT_CLIENT_KEY', ...receiverCa },
      },
      // Without the private CA, the receiver's own certificate is not trusted.
      { id: 'mtls-public-ca', tls: { client_cert_env: 'WEBHOOKS_ENDPOINT_CLIENT_CERT', client_key_env: 'WEBHOOKS_ENDPOINT_CLIENT_KEY' } },
    ];
    for (const { id, tls } of endpoints) {
      const created = await call('POST', '/v1/endpoints', { id, url: mutual.url, events: [`${id}.*`], tls, retry: { schedule: ['1h'] } });
      expect(created.status).toBe(201);
      await untilRouted(gateway, `${id}.ping`, id, () => true);
      expect((await call('POST', '/v1/events', { id: `${id}-1`, type: `${id}.ping` })).status).toBe(202);
    }
    // Over TLS 1.3 the receiver's refusal reaches the sender as a closed connection, explained in the message.
    const refusedCertificate = {
      verdict: 'retryable',
      error_class: 'connection_reset',
      error_message: 'other side closed (the receiver may have refused the client certificate, or wanted one)',
    };
    expect(await firstAttempt('mtls-stranger-1')).toMatchObject(refusedCertificate);
    expect(await firstAttempt('mtls-none-1')).toMatchObject(refusedCertificate);
    expect(await firstAttempt('mtls-unset-1')).toMatchObject({
      verdict: 'retryable',
      error_class: 'missing_secret',
      error_message: 'environment variable WEBHOOKS_ENDPOINT_NOT_SET is not set on the worker',
    });
    expect(await firstAttempt('mtls-public-ca-1')).toMatchObject({ verdict: 'retryable', error_class: 'tls' });
    expect(mutual.requests.every((request) => request.clientCertificate === 'gateway')).toBe(true);
  });

  test('is refused on an http:// URL, half a key pair, or a variable an API endpoint may not read', async () => {
    const refused = async (body: Record<string, unknown>) =>
      (await call('POST', '/v1/endpoints', { id: 'mtls-bad', ...body })).body['errors'];
    expect(await refused({ url: 'http://127.0.0.1:9/x', tls: { ca_env: 'WEBHOOKS_ENDPOINT_RECEIVER_CA' } })).toEqual([
      { path: '/tls', message: 'tls applies to an https:// url' },
    ]);
    expect(await refused({ url: mutual.url, tls: { client_cert_env: 'WEBHOOKS_ENDPOINT_CLIENT_CERT' } })).toEqual([
      { path: '/tls', message: 'client_cert_env and client_key_env go together' },
    ]);
    expect(await refused({ url: mutual.url, tls: { ca_env: 'HOME' } })).toEqual([
      { path: '/tls/ca_env', message: expect.stringContaining('may only name a variable starting with WEBHOOKS_ENDPOINT_') },
    ]);
  });
});

describe('OAuth2 client credentials', () => {
  const oauth2 = (secretEnv: string) => ({
    type: 'oauth2',
    token_url: tokenServer.url,
    client_id: 'webhooks-gateway',
    client_secret_env: secretEnv,
    scope: 'webhooks:receive',
  });
  const authorizationOf = (index: number): string | undefined => protectedReceiver.requests[index]?.headers.authorization;

  test('sends each delivery with a bearer token from the token endpoint, fetched once and reused', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'oauth',
      url: protectedReceiver.url,
      events: ['oauth.*'],
      auth: oauth2('WEBHOOKS_ENDPOINT_OAUTH_SECRET'),
    });
    expect(created.status).toBe(201);
    expect(created.body['auth']).toEqual({ ...oauth2('WEBHOOKS_ENDPOINT_OAUTH_SECRET'), client_auth: 'basic' });
    await untilRouted(gateway, 'oauth.ping', 'oauth', (endpoint) => endpoint.auth !== undefined);
    for (const n of [1, 2, 3]) expect((await call('POST', '/v1/events', { id: `oauth-${n}`, type: 'oauth.ping' })).status).toBe(202);
    await protectedReceiver.waitForRequests(3, 30_000);
    expect([0, 1, 2].map(authorizationOf)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1']);
    expect(tokenServer.requests).toEqual([
      {
        clientId: 'webhooks-gateway',
        secret: 'client-s3cret',
        via: 'basic',
        form: { grant_type: 'client_credentials', scope: 'webhooks:receive' },
      },
    ]);
  });

  test('a receiver that refuses the token (401) gets a new one in the same attempt', async () => {
    protectedReceiver.script({ status: 401, body: 'token revoked' });
    expect((await call('POST', '/v1/events', { id: 'oauth-revoked', type: 'oauth.ping' })).status).toBe(202);
    await protectedReceiver.waitForRequests(5, 30_000);
    expect([3, 4].map(authorizationOf)).toEqual(['Bearer token-1', 'Bearer token-2']);
    await expect.poll(async () => (await call('GET', '/v1/events/oauth-revoked')).body['status'], { timeout: 30_000 }).toBe('succeeded');
    const [delivery] = (await call('GET', '/v1/events/oauth-revoked')).body['deliveries'] as { attempts: unknown[] }[];
    expect(delivery?.attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, verdict: 'delivered' })]);
    expect(tokenServer.requests).toHaveLength(2);
  });

  test('a wrong client secret is an attempt that fails before anything is sent, with the token endpoint’s reason', async () => {
    await call('POST', '/v1/endpoints', {
      id: 'oauth-wrong',
      url: protectedReceiver.url,
      events: ['wrong.*'],
      auth: oauth2('WEBHOOKS_ENDPOINT_WRONG_SECRET'),
      retry: { schedule: ['1h'] },
    });
    await untilRouted(gateway, 'wrong.ping', 'oauth-wrong', () => true);
    const before = protectedReceiver.requests.length;
    expect((await call('POST', '/v1/events', { id: 'oauth-wrong-1', type: 'wrong.ping' })).status).toBe(202);
    await expect.poll(async () => (await call('GET', '/v1/events/oauth-wrong-1')).body['status'], { timeout: 30_000 }).toBe('retrying');
    const [delivery] = (await call('GET', '/v1/events/oauth-wrong-1')).body['deliveries'] as { attempts: unknown[] }[];
    expect(delivery?.attempts).toEqual([
      expect.objectContaining({
        verdict: 'retryable',
        error_class: 'auth_failed',
        error_message: `token request to 127.0.0.1:${new URL(tokenServer.url).port} refused: invalid_client: client authentication failed (HTTP 401)`,
      }),
    ]);
    expect(protectedReceiver.requests).toHaveLength(before);
  });

  test('an API endpoint may name only its own variables for the client secret', async () => {
    const refused = await call('POST', '/v1/endpoints', { id: 'oauth-bad', url: protectedReceiver.url, auth: oauth2('TEMPORAL_API_KEY') });
    expect(refused.status).toBe(400);
    expect(refused.body['errors']).toEqual([{ path: '/auth/client_secret_env', message: expect.stringContaining('WEBHOOKS_ENDPOINT_') }]);
  });
});

describe('every control on one endpoint', () => {
  test('a filter, a transform, mutual TLS, OAuth2, a rate limit and FIFO compose, through a retry, a pause and a redelivery', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'composite',
      url: composite.url,
      events: ['combo.*'],
      filter: { 'data.n': { $gte: 0 } },
      transform: '{"n": data.n, "kind": type}',
      tls: {
        client_cert_env: 'WEBHOOKS_ENDPOINT_CLIENT_CERT',
        client_key_env: 'WEBHOOKS_ENDPOINT_CLIENT_KEY',
        ca_env: 'WEBHOOKS_ENDPOINT_RECEIVER_CA',
      },
      auth: {
        type: 'oauth2',
        token_url: tokenServer.url,
        client_id: 'webhooks-gateway',
        client_secret_env: 'WEBHOOKS_ENDPOINT_OAUTH_SECRET',
      },
      rate_limit: { requests: 2, per: '1s' },
      ordering: 'fifo',
      retry: { schedule: ['500ms'], jitter: 0 },
    });
    expect(created.status).toBe(201);
    await untilRouted(gateway, 'combo.tick', 'composite', (endpoint) => endpoint.ordering === 'fifo');
    // Event 2's first try fails: the line waits for its retry.
    composite.script({ status: 200 }, { status: 200 }, { status: 500 });
    const send = async (n: number) =>
      expect((await call('POST', '/v1/events', { id: `combo-${n}`, type: 'combo.tick', data: { n } })).status).toBe(202);
    for (const n of [0, 1, -1, 2, 3]) await send(n);
    await composite.waitForRequests(5, 60_000);

    // Paused, the line holds; resumed, it goes on in order.
    expect((await call('POST', '/v1/endpoints/composite/pause', { reason: 'maintenance' })).status).toBe(200);
    await untilRouted(gateway, 'combo.tick', 'composite', (endpoint) => endpoint.status === 'paused');
    for (const n of [4, 5]) await send(n);
    // A paused endpoint gives no turn: the events sent meanwhile wait in line, and nothing more is sent.
    for (const n of [4, 5]) {
      await expect
        .poll(async () => ((await call('GET', `/v1/events/combo-${n}`)).body['deliveries'] as { reason?: string }[])[0]?.reason, {
          timeout: 30_000,
        })
        .toBe('waiting for the deliveries of earlier events (ordering: fifo)');
    }
    expect(composite.requests).toHaveLength(5);
    expect((await call('POST', '/v1/endpoints/composite/resume')).status).toBe(200);
    await composite.waitForRequests(7, 60_000);

    expect(await call('POST', '/v1/events/combo-3/redeliver', { endpoint_id: 'composite' })).toMatchObject({ status: 202 });
    const received = await composite.waitForRequests(8, 60_000);
    expect(received.map((request) => JSON.parse(request.body) as unknown)).toEqual(
      [0, 1, 2, 2, 3, 4, 5, 3].map((n) => ({ n, kind: 'combo.tick' })),
    );
    expect(
      received.every(
        (request) => request.clientCertificate === 'gateway' && /^Bearer token-\d+$/.test(request.headers.authorization ?? ''),
      ),
    ).toBe(true);
    // Two a second at most: the third request after any comes a second or more after it.
    const arrivals = received.map((request) => request.receivedAt);
    expect(Math.min(...arrivals.slice(2).map((at, index) => at - (arrivals[index] as number)))).toBeGreaterThanOrEqual(1_000);
    expect((await call('GET', '/v1/events/combo--1')).body['unrouted']).toEqual([
      { endpoint_id: 'composite', reason: 'filter: data.n is -1, which fails $gte 0' },
    ]);
  }, 120_000);
});
