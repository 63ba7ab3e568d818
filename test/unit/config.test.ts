import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { configPathFrom, loadConfig, parseConfig } from '../../config/load.js';
import { problemsOf } from '../support/config-problems.js';
import { endpointSettingsFrom } from '../../config/schema.js';

describe('parseConfig', () => {
  test('fills every default from the schema for an empty file', () => {
    const config = parseConfig('', 'empty.yaml');
    expect(config).toMatchObject({
      log_level: 'info',
      temporal: { namespace: 'default', task_queue: 'webhooks', tls: false },
      api: { host: '127.0.0.1', port: 3000, body_limit_bytes: 262_144 },
      embedded: { data_dir: '.data', port: 7233, ui_port: 8233, retention: 7 * 86_400_000 },
      delivery: { timeout: 15_000, max_concurrent_per_event: 100 },
      endpoints: [],
    });
    expect(config.delivery.retry).toEqual({ jitter: 0.1, retry_after_max: 3_600_000, retry_on_status: [] });
    expect(config.delivery).toMatchObject({ format: 'standard', allow_destinations: [] });
    expect(config.temporal.address).toBeUndefined();
  });

  test('reads YAML and TOML into the same configuration', () => {
    const yaml = parseConfig(
      [
        'delivery:',
        '  retry: { schedule: [1m, 5m, 15m], jitter: 0 }',
        'endpoints:',
        '  - id: ci',
        '    url: https://ci.example.com/hook',
        '    events: ["build.*"]',
      ].join('\n'),
      'a.yaml',
    );
    const toml = parseConfig(
      [
        '[delivery]',
        'retry = { schedule = ["1m", "5m", "15m"], jitter = 0 }',
        '[[endpoints]]',
        'id = "ci"',
        'url = "https://ci.example.com/hook"',
        'events = ["build.*"]',
      ].join('\n'),
      'a.toml',
    );
    expect(toml).toEqual(yaml);
    expect(yaml.delivery.retry.schedule).toEqual([60_000, 300_000, 900_000]);
    expect(yaml.endpoints[0]).toEqual({ id: 'ci', url: 'https://ci.example.com/hook', events: ['build.*'], headers: {}, enabled: true });
  });

  test('lists every problem with its path, not just the first', () => {
    const problems = problemsOf(() =>
      parseConfig(
        [
          'log_level: loud',
          'api: { port: -1 }',
          'embedded: { retention: 15 }',
          'endpoints:',
          '  - { id: a, url: "not a url" }',
          '  - { id: a, url: "https://x.test", headers: { Content-Type: text/plain } }',
          'unknown: 1',
        ].join('\n'),
        'bad.yaml',
      ),
    );
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      '',
      'api.port',
      'embedded.retention',
      'endpoints[0].url',
      'endpoints[1].headers.Content-Type',
      'endpoints[1].id',
      'log_level',
    ]);
    expect(problems.find((p) => p.startsWith('endpoints[1].headers'))).toMatch(/set by the gateway/);
    expect(problems.at(-1)).toMatch(/Unrecognized key: "unknown"/);
  });

  test('bounds the held deliveries, and refuses a wait to ask again under a second', () => {
    const parsed = parseConfig('delivery: { max_held: 1000, ask_again_after: 30s }', 'held.yaml');
    expect(parsed.delivery).toMatchObject({ max_held: 1000, ask_again_after: 30_000 });
    expect(parseConfig('{}', 'defaults.yaml').delivery).toMatchObject({ max_held: 50_000, ask_again_after: 60_000 });
    expect(problemsOf(() => parseConfig('delivery: { max_held: 80001, ask_again_after: 0s }', 'bad.yaml'))).toEqual([
      expect.stringMatching(/^delivery\.max_held: /),
      'delivery.ask_again_after: must be at least 1s',
    ]);
  });

  test('bounds a FIFO line, and hands the bound to every endpoint entity', () => {
    const parsed = parseConfig('delivery: { max_line: 500 }', 'line.yaml');
    expect([parsed.delivery.max_line, endpointSettingsFrom(parsed).maxLineLength]).toEqual([500, 500]);
    expect(parseConfig('{}', 'defaults.yaml').delivery.max_line).toBe(30_000);
    expect(problemsOf(() => parseConfig('delivery: { max_line: 60001 }', 'bad.yaml'))).toEqual([
      expect.stringMatching(/^delivery\.max_line: /),
    ]);
    // Held ids and the line share the next run's input: together they stay within it.
    expect(parseConfig('delivery: { max_held: 20000, max_line: 60000 }', 'shared.yaml').delivery.max_line).toBe(60_000);
    expect(problemsOf(() => parseConfig('delivery: { max_held: 60000 }', 'too-much.yaml'))).toEqual([
      "delivery.max_line: max_held and max_line come to 80000 at most: both go into a paused endpoint's next run, which Temporal bounds at 2 MB",
    ]);
  });

  test('refuses two endpoints with the same id', () => {
    const problems = problemsOf(() =>
      parseConfig('endpoints: [{ id: a, url: "https://x.test" }, { id: a, url: "https://y.test" }]', 'dup.yaml'),
    );
    expect(problems).toEqual(['endpoints[1].id: duplicate id "a"']);
  });

  test('refuses a generated signing secret in the file, which has no answer to show it in', () => {
    const text =
      'delivery: { signing: { scheme: standard-webhooks } }\nendpoints: [{ id: a, url: "https://x.test", signing: { scheme: hmac-sha256 } }]';
    expect(problemsOf(() => parseConfig(text, 'generated.yaml'))).toEqual([
      expect.stringMatching(/^delivery\.signing\.secret_env: a generated secret is for endpoints made through the API/),
      expect.stringMatching(/^endpoints\[0\]\.signing\.secret_env: a generated secret is for endpoints made through the API/),
    ]);
  });

  test('reports a syntax error with its line', () => {
    expect(problemsOf(() => parseConfig('api:\n  port: [\n', 'broken.yaml'))[0]).toMatch(/^: YAML syntax, line \d+/);
    expect(problemsOf(() => parseConfig('[api\nport = 1', 'broken.toml'))[0]).toMatch(/^: TOML syntax, line 1/);
  });

  test('refuses a file whose extension names no known format', () => {
    expect(problemsOf(() => parseConfig('{}', 'config.json'))[0]).toMatch(/\.yaml, \.yml or \.toml/);
  });

  test('lets environment variables override the file, and validates what they say', () => {
    const env = {
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      WEBHOOKS_API_PORT: '8080',
      TEMPORAL_TLS: 'true',
      WEBHOOKS_LOG_LEVEL: 'debug',
    };
    const config = parseConfig('api: { port: 3000 }', 'a.yaml', env);
    expect(config.temporal).toMatchObject({ address: 'temporal.internal:7233', tls: true });
    expect(config.api.port).toBe(8080);
    expect(config.log_level).toBe('debug');
    expect(problemsOf(() => parseConfig('', 'a.yaml', { WEBHOOKS_API_PORT: 'eighty' }))[0]).toMatch(/^api\.port:/);
  });

  test('takes a Redis for API replicas from the file or WEBHOOKS_REDIS_URL, with a key prefix of its own', () => {
    expect(parseConfig('', 'a.yaml').api).toMatchObject({ redis_key_prefix: 'webhooks:' });
    expect(parseConfig('', 'a.yaml').api.redis_url).toBeUndefined();
    const config = parseConfig('api: { redis_url: "rediss://cache.internal:6380/2", redis_password_env: REDIS_PASSWORD }', 'a.yaml');
    expect(config.api).toMatchObject({ redis_url: 'rediss://cache.internal:6380/2', redis_password_env: 'REDIS_PASSWORD' });
    expect(parseConfig('', 'a.yaml', { WEBHOOKS_REDIS_URL: 'redis://127.0.0.1:6379/0' }).api.redis_url).toBe('redis://127.0.0.1:6379/0');
  });

  test.each([
    ['http://cache.internal:6379', /redis:\/\/ or rediss:\/\/ URL/],
    ['redis://', /with a host/],
    ['redis://:secret@cache.internal:6379', /api\.redis_password_env/],
  ])('refuses api.redis_url %s', (url, message) => {
    const [problem] = problemsOf(() => parseConfig(`api: { redis_url: "${url}" }`, 'a.yaml'));
    expect(problem).toMatch(/^api\.redis_url:/);
    expect(problem).toMatch(message);
  });
});

describe('loadConfig', () => {
  test('says which file it cannot read', async () => {
    await expect(loadConfig('/nonexistent/config.yaml')).rejects.toThrow(
      /Invalid configuration in \/nonexistent\/config.yaml:\n {2}- cannot read the file \(ENOENT\)/,
    );
  });

  test.each(readdirSync('examples').filter((name) => /\.(ya?ml|toml)$/.test(name)))('examples/%s is valid', async (name) => {
    const config = await loadConfig(join('examples', name), {});
    expect(config.endpoints.length).toBeGreaterThan(0);
  });

  test('examples/compose.yaml is valid as the api container reads it, listening on all interfaces', async () => {
    const config = await loadConfig('examples/compose.yaml', { WEBHOOKS_API_HOST: '0.0.0.0' });
    expect(config.api.keys.map((key) => key.id)).toEqual(['producer', 'operator', 'metrics']);
  });
});

describe('configPathFrom', () => {
  test('prefers --config, then WEBHOOKS_CONFIG, then the quickstart example', () => {
    expect(configPathFrom(['node', 'x', '--config', 'a.yaml'], { WEBHOOKS_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(configPathFrom(['node', 'x', '--config=c.toml'], {})).toBe('c.toml');
    expect(configPathFrom(['node', 'x'], { WEBHOOKS_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(configPathFrom(['node', 'x'], {})).toBe('examples/quickstart.yaml');
  });
});
