import { describe, expect, test } from 'vitest';
import { EndpointSchema, toEndpointInput } from '../../domain/endpoint.js';
import type { RoutableEndpoint } from '../../domain/endpoint-state.js';
import { toDeliveryTarget, toRoutedTarget } from '../../domain/target.js';
import { ConfigSchema, deliveryDefaultsFrom } from '../../config/schema.js';

const base = { id: 'ep', url: 'https://hooks.example.com/x' };

function issues(input: object): string[] {
  const result = EndpointSchema.safeParse({ ...base, ...input });
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('EndpointSchema', () => {
  test('takes a rate limit and gives it back as written, and refuses one out of bounds', () => {
    const parsed = EndpointSchema.parse({ ...base, rate_limit: { requests: 5, per: '1s' } });
    expect(parsed.rate_limit).toEqual({ requests: 5, per: 1_000 });
    expect(toEndpointInput(parsed).rate_limit).toEqual({ requests: 5, per: '1s' });
    expect(toDeliveryTarget(parsed, deliveryDefaultsFrom(ConfigSchema.parse({}))).rateLimit).toEqual({ requests: 5, perMs: 1_000 });
    expect(issues({ rate_limit: { requests: 0, per: '1s' } })).toEqual(['rate_limit.requests: Too small: expected number to be >=1']);
    expect(issues({ rate_limit: { requests: 5, per: '10ms' } })).toEqual(['rate_limit.per: between 100ms and 1d']);
  });

  test('refuses a filter naming __proto__, which parsing would otherwise drop without a word', () => {
    const input = JSON.parse('{"filter": {"type": "order.created", "data": {"__proto__": {"admin": true}}}}') as object;
    expect(issues(input)).toEqual(['filter: __proto__ is not a field a filter may name']);
  });

  test('takes TLS settings by variable, for an https URL only, the certificate and key together', () => {
    expect(issues({ tls: { client_cert_env: 'C', client_key_env: 'K', ca_env: 'CA' } })).toEqual([]);
    expect(issues({ tls: { ca_env: 'CA' } })).toEqual([]);
    expect(issues({ tls: { client_key_env: 'K' } })).toEqual(['tls: client_cert_env and client_key_env go together']);
    expect(issues({ tls: {} })).toEqual(['tls: name a client certificate and key, a CA, or both']);
    expect(issues({ url: 'http://hooks.example.com/x', tls: { ca_env: 'CA' } })).toEqual(['tls: tls applies to an https:// url']);
  });

  test('takes an OAuth2 client whose secret is a variable, authenticating by HTTP Basic unless told otherwise', () => {
    const auth = { type: 'oauth2', token_url: 'https://auth.example.com/token', client_id: 'gw', client_secret_env: 'SECRET' };
    expect(EndpointSchema.parse({ ...base, auth }).auth).toEqual({ ...auth, client_auth: 'basic' });
    expect(issues({ auth: { ...auth, client_secret: 'inline' } })).not.toEqual([]);
    expect(issues({ auth: { ...auth, token_url: 'ftp://auth.example.com' } })).toEqual([
      'auth.token_url: token_url must be an absolute http:// or https:// URL',
    ]);
  });

  test('accepts bearer and basic auth by environment reference', () => {
    expect(issues({ auth: { type: 'bearer', token_env: 'PAGERDUTY_TOKEN' } })).toEqual([]);
    expect(issues({ auth: { type: 'basic', username: 'operator', password_env: 'WEBHOOK_PASSWORD' } })).toEqual([]);
  });

  test('refuses a secret written into the config instead of referenced', () => {
    expect(issues({ auth: { type: 'bearer', token: 'abc' } })).not.toEqual([]);
    expect(issues({ auth: { type: 'bearer', token_env: 'not a name' } })[0]).toMatch(/environment variable/);
  });

  test('signs with Standard Webhooks unless told otherwise, and takes one secret or several', () => {
    expect(EndpointSchema.parse({ ...base, signing: { secret_env: 'S' } }).signing).toEqual({
      scheme: 'standard-webhooks',
      secret_env: ['S'],
    });
    expect(EndpointSchema.parse({ ...base, signing: { secret_env: ['NEW', 'OLD'] } }).signing?.secret_env).toEqual(['NEW', 'OLD']);
  });

  test('allows a signature header only for the hex scheme', () => {
    expect(issues({ signing: { scheme: 'hmac-sha256', secret_env: 'S', header: 'X-Sig' } })).toEqual([]);
    expect(issues({ signing: { secret_env: 'S', header: 'X-Sig' } })).toEqual([
      'signing.header: header applies to the hmac-sha256 scheme only',
    ]);
  });

  test('takes a schedule or exponential backoff, not both', () => {
    expect(issues({ retry: { schedule: ['1m'], exponential: {} } })).toEqual(['retry: give either schedule or exponential, not both']);
  });

  test('takes a data key for the keyed formats only, and never one of the envelope’s own fields', () => {
    expect(issues({ format: 'event', data_key: 'incident' })).toEqual([]);
    expect(issues({ data_key: 'incident' })).toEqual([]);
    expect(issues({ format: 'slack', data_key: 'incident' })).toEqual([
      'data_key: data_key applies to the standard and event formats only',
    ]);
    expect(issues({ data_key: 'timestamp' })).toEqual(['data_key: type, event and timestamp are the envelope’s own fields']);
    expect(issues({ data_key: 'a b' })).toEqual(['data_key: letters, digits, _ and -, starting with a letter or _ (up to 64)']);
  });

  test('refuses headers the gateway sets itself', () => {
    expect(issues({ headers: { 'Webhook-Signature': 'x' } })).toEqual([
      'headers.Webhook-Signature: this header is set by the gateway and cannot be configured',
    ]);
  });
});

describe('toDeliveryTarget', () => {
  const config = ConfigSchema.parse({
    delivery: { timeout: '10s', format: 'event', signing: { secret_env: 'GLOBAL_SECRET' }, retry: { schedule: ['1m'], jitter: 0 } },
  });
  const defaults = {
    timeoutMs: config.delivery.timeout,
    retry: config.delivery.retry,
    format: config.delivery.format,
    ...(config.delivery.signing ? { signing: config.delivery.signing } : {}),
  };

  test('fills what the endpoint leaves out from the delivery defaults', () => {
    expect(toDeliveryTarget(EndpointSchema.parse(base), defaults)).toEqual({
      endpointId: 'ep',
      url: base.url,
      headers: {},
      signing: { scheme: 'standard-webhooks', secretEnvs: ['GLOBAL_SECRET'], header: 'X-Webhook-Signature' },
      format: 'event',
      timeoutMs: 10_000,
      retry: { scheduleMs: [60_000], jitter: 0, retryAfterMaxMs: 3_600_000 },
      retryOnStatus: [],
    });
  });

  test('carries a data key other than data, from the endpoint or the defaults', () => {
    expect(toDeliveryTarget(EndpointSchema.parse({ ...base, data_key: 'incident' }), defaults)).toMatchObject({ dataKey: 'incident' });
    expect(toDeliveryTarget(EndpointSchema.parse(base), { ...defaults, dataKey: 'payload' })).toMatchObject({ dataKey: 'payload' });
    expect(toDeliveryTarget(EndpointSchema.parse(base), { ...defaults, dataKey: 'data' })).not.toHaveProperty('dataKey');
  });

  test('keeps what the endpoint says, and carries only references to secrets', () => {
    const endpoint = EndpointSchema.parse({
      ...base,
      auth: { type: 'bearer', token_env: 'TOKEN' },
      signing: { scheme: 'hmac-sha256', secret_env: 'HEX' },
      format: 'slack',
      timeout: '2s',
      retry: { exponential: { maximum_attempts: 3 }, retry_on_status: [404] },
    });
    expect(toDeliveryTarget(endpoint, defaults)).toMatchObject({
      auth: { type: 'bearer', tokenEnv: 'TOKEN' },
      signing: { scheme: 'hmac-sha256', secretEnvs: ['HEX'], header: 'X-Webhook-Signature' },
      format: 'slack',
      timeoutMs: 2_000,
      retry: { exponential: { initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 3_600_000, maximumAttempts: 3 } },
      retryOnStatus: [404],
    });
  });
});

describe('toRoutedTarget', () => {
  const endpoint = EndpointSchema.parse(base);
  const defaults = deliveryDefaultsFrom(ConfigSchema.parse({}));

  test.each<[string, RoutableEndpoint, Record<string, unknown>]>([
    [
      'an active endpoint is delivered to, first inside the workflow task',
      { ...endpoint, status: 'active', statusVersion: 4 },
      { statusVersion: 4 },
    ],
    [
      'a paused one is held before its first attempt',
      { ...endpoint, status: 'paused', statusReason: 'deploying' },
      { holdReason: 'deploying' },
    ],
    [
      'a disabled one is recorded as skipped',
      { ...endpoint, status: 'disabled', statusReason: 'gone' },
      { skipReason: 'skipped: endpoint disabled (gone)' },
    ],
    ['a failing one starts with an ordinary activity', { ...endpoint, status: 'active', failing: true }, { firstAttemptAsActivity: true }],
  ])('%s', (_name, routable, expected) => {
    const target = toRoutedTarget(routable, defaults);
    expect(target).toMatchObject(expected);
    for (const key of ['holdReason', 'skipReason', 'firstAttemptAsActivity'].filter((name) => !(name in expected))) {
      expect(target).not.toHaveProperty(key);
    }
  });

  test('with delivery.fast_path off, every first attempt is an ordinary activity', () => {
    const off = deliveryDefaultsFrom(ConfigSchema.parse({ delivery: { fast_path: false } }));
    expect(toRoutedTarget({ ...endpoint, status: 'active' }, off)).toMatchObject({ firstAttemptAsActivity: true });
  });
});
