import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { ConfigSchema } from '../../config/schema.js';
import { problemsOf } from '../support/config-problems.js';

const HASH = 'a'.repeat(64);

const pathsOf = (text: string): string[] => problemsOf(() => parseConfig(text, 'x.yaml')).map((p) => p.split(': ')[0] ?? '');

describe('api keys and the listening host', () => {
  test('refuses a non-loopback host without keys, at api.keys', () => {
    const problems = problemsOf(() => parseConfig('api: { host: 0.0.0.0 }', 'x.yaml'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^api\.keys: .*0\.0\.0\.0.*allow_anonymous/);
  });

  test('lets a non-loopback host run without keys when allow_anonymous is set', () => {
    expect(parseConfig('api: { host: 0.0.0.0, allow_anonymous: true }', 'x.yaml').api.allow_anonymous).toBe(true);
  });

  test('lets a non-loopback host run with a key', () => {
    const config = parseConfig('api: { host: 0.0.0.0, keys: [{ id: ci, key_env: CI_KEY }] }', 'x.yaml');
    expect(config.api.keys).toEqual([{ id: 'ci', key_env: 'CI_KEY', scopes: ['ingest'] }]);
  });

  test.each(['localhost', '127.0.0.1', '::1'])('needs no keys on %s', (host) => {
    const config = parseConfig(`api: { host: "${host}" }`, 'x.yaml');
    expect(config.api.host).toBe(host);
    expect(config.api.keys).toEqual([]);
  });

  test('refuses a key with both key_env and key_sha256, or with neither', () => {
    const problems = problemsOf(() => parseConfig(`api: { keys: [{ id: a, key_env: A, key_sha256: "${HASH}" }, { id: b }] }`, 'x.yaml'));
    expect(problems).toEqual([
      'api.keys[0]: give exactly one of key_env and key_sha256',
      'api.keys[1]: give exactly one of key_env and key_sha256',
    ]);
  });

  test('refuses a key_sha256 that is not 64 lowercase hex digits', () => {
    expect(pathsOf(`api: { keys: [{ id: a, key_sha256: "${HASH.toUpperCase()}" }] }`)).toEqual(['api.keys[0].key_sha256']);
  });

  test('refuses two keys with the same id', () => {
    const problems = problemsOf(() => parseConfig('api: { keys: [{ id: a, key_env: A }, { id: a, key_env: B }] }', 'x.yaml'));
    expect(problems).toEqual(['api.keys[1].id: duplicate id "a"']);
  });
});

describe('sources and event types', () => {
  test('refuses two sources with the same id', () => {
    const text = [
      'sources:',
      '  - { id: gh, event_type: push, auth: { mode: secret, secret_env: S } }',
      '  - { id: gh, event_type: push, auth: { mode: hmac-sha256, secret_env: S } }',
    ].join('\n');
    expect(problemsOf(() => parseConfig(text, 'x.yaml'))).toEqual(['sources[1].id: duplicate id "gh"']);
  });

  test('fills the defaults of a source', () => {
    const config = parseConfig('sources: [{ id: sw, event_type: push, auth: { mode: standard-webhooks, secret_env: S } }]', 'x.yaml');
    expect(config.sources[0]).toEqual({
      id: 'sw',
      event_type: 'push',
      enabled: true,
      auth: { mode: 'standard-webhooks', secret_env: 'S', tolerance: 300_000 },
    });
  });

  test('refuses two event types with the same type', () => {
    const problems = problemsOf(() => parseConfig('event_types: [{ type: order.created }, { type: order.created }]', 'x.yaml'));
    expect(problems).toEqual(['event_types[1].type: duplicate type "order.created"']);
  });

  test('refuses an event type whose schema is not a valid JSON Schema', () => {
    const problems = problemsOf(() => parseConfig('event_types: [{ type: ping, schema: { type: not-a-type } }]', 'x.yaml'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^event_types\[0\]\.schema: not a usable JSON Schema/);
  });

  test('keeps a valid schema as given', () => {
    const schema = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } };
    expect(ConfigSchema.parse({ event_types: [{ type: 'ping', schema }] }).event_types[0]?.schema).toEqual(schema);
  });
});

describe('rate limits', () => {
  test('default to 1000 global, 600 per key, 100 per source and 30 failed authentications, each per minute', () => {
    expect(parseConfig('', 'x.yaml').api.rate_limits).toEqual({
      global: { limit: 1_000, window: 60_000 },
      per_key: { limit: 600, window: 60_000 },
      per_source: { limit: 100, window: 60_000 },
      auth_failures: { limit: 30, window: 60_000 },
    });
  });

  test('refuse a window under a second, which would count nothing', () => {
    expect(pathsOf('api: { rate_limits: { global: { limit: 5, window: 0s } } }')).toEqual(['api.rate_limits.global.window']);
  });

  test('may each be turned off with null', () => {
    const config = parseConfig('api: { rate_limits: { global: null, per_key: null, per_source: null, auth_failures: null } }', 'x.yaml');
    expect(config.api.rate_limits).toEqual({ global: null, per_key: null, per_source: null, auth_failures: null });
  });

  test('read windows as durations and keep the other defaults', () => {
    const config = parseConfig('api: { rate_limits: { per_key: { limit: 5, window: 1s } } }', 'x.yaml');
    expect(config.api.rate_limits.per_key).toEqual({ limit: 5, window: 1_000 });
    expect(config.api.rate_limits.global).toEqual({ limit: 1_000, window: 60_000 });
  });

  test('refuse a limit below 1', () => {
    expect(pathsOf('api: { rate_limits: { global: { limit: 0, window: 1m } } }')).toEqual(['api.rate_limits.global.limit']);
  });
});
