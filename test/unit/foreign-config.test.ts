import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../../config/load.js';
import { intersectPatterns } from '../../domain/pattern.js';
import { renderPayload } from '../../domain/payload.js';
import { ConfigError } from '../../errors.js';
import { createLogger, logConfigMapping } from '../../host/logger.js';
import { seedBlocks } from '../support/seeds.js';

// Each seed's own config examples, read as they are written in its page.
const operator = seedBlocks('operator-webhook-notifications.md', 'toml');
const agentStack = seedBlocks('agentstack-webhooks.md', 'yaml');

function problemsOf(text: string, source: string): { path: string; message: string }[] {
  try {
    parseConfigText(text, source);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('an Operator config.toml', () => {
  test('the seed page has the seven examples this test reads', () => {
    expect(operator).toHaveLength(7);
  });

  test('[notifications.webhook] becomes endpoint "webhook" with Operator’s body and every event', () => {
    const { config, mapping } = parseConfigText(operator[0] ?? '', 'config.toml');
    expect(config.endpoints).toEqual([
      expect.objectContaining({
        id: 'webhook',
        name: 'webhook',
        url: 'https://your-service.com/webhook',
        events: ['*'],
        enabled: true,
        format: 'event',
      }),
    ]);
    expect(mapping?.from).toBe('an Operator config.toml');
    expect(mapping?.lines).toEqual(['notifications.webhook → endpoint "webhook": your-service.com, events *, body event']);
  });

  test('bearer and basic auth keep their secrets in the variables the file names', () => {
    expect(parseConfigText(operator[1] ?? '', 'config.toml').config.endpoints[0]?.auth).toEqual({
      type: 'bearer',
      token_env: 'WEBHOOK_TOKEN',
    });
    expect(parseConfigText(operator[2] ?? '', 'config.toml').config.endpoints[0]?.auth).toEqual({
      type: 'basic',
      username: 'operator',
      password_env: 'WEBHOOK_PASSWORD',
    });
  });

  test('[[notifications.webhooks]] become named endpoints with their own events and auth', () => {
    const { config, mapping } = parseConfigText(operator[3] ?? '', 'config.toml');
    expect(config.endpoints.map(({ id, name, events, format, auth }) => ({ id, name, events, format, auth }))).toEqual([
      { id: 'slack', name: 'slack', events: ['agent.completed', 'agent.failed'], format: 'slack', auth: undefined },
      {
        id: 'pagerduty',
        name: 'pagerduty',
        events: ['agent.failed'],
        format: 'event',
        auth: { type: 'bearer', token_env: 'PAGERDUTY_TOKEN' },
      },
    ]);
    // Slack hook URLs carry their token in the path: the summary shows hosts only.
    expect(mapping?.lines.join('\n')).not.toContain('/services/');
  });

  test('Slack and Discord hooks get the body their chats take', () => {
    expect(parseConfigText(operator[4] ?? '', 'config.toml').config.endpoints[0]?.format).toBe('slack');
    expect(parseConfigText(operator[5] ?? '', 'config.toml').config.endpoints[0]?.format).toBe('discord');
  });

  test('[notifications] events narrows every webhook, and one left with none is kept, disabled', () => {
    const { config, mapping } = parseConfigText(`${operator[3]}\n${operator[6]}`, 'config.toml');
    expect(config.endpoints.map(({ id, events, enabled }) => ({ id, events, enabled }))).toEqual([
      { id: 'slack', events: ['agent.completed'], enabled: true },
      { id: 'pagerduty', events: ['agent.failed'], enabled: false },
    ]);
    expect(mapping?.lines[1]).toContain('disabled: none of its events is in [notifications] events');
  });

  test('[notifications] alone, with no webhook, is an error naming it', () => {
    expect(problemsOf(operator[6] ?? '', 'config.toml')).toEqual([
      { path: 'notifications', message: 'has no [notifications.webhook] or [[notifications.webhooks]] to deliver to' },
    ]);
  });

  test('enabled = false keeps the endpoint, disabled', () => {
    const text = (operator[0] ?? '').replace('enabled = true', 'enabled = false');
    expect(parseConfigText(text, 'config.toml').config.endpoints[0]?.enabled).toBe(false);
  });

  test('a key it cannot map, a missing secret variable or a bad value is an error naming the key', () => {
    const text = `[[notifications.webhooks]]
name = "ops"
url = "ftp://example.com/hook"
retries = 3
auth_type = "bearer"

[[notifications.webhooks]]
name = "Ops"
url = "https://example.com/hook"
events = ["agent.completed", "not a pattern"]
`;
    expect(problemsOf(text, 'config.toml')).toEqual([
      expect.objectContaining({ path: 'notifications.webhooks[0].retries' }),
      { path: 'notifications.webhooks[0].url', message: 'must be an absolute http:// or https:// URL' },
      { path: 'notifications.webhooks[0].token_env', message: 'required with auth_type = "bearer"' },
      expect.objectContaining({ path: 'notifications.webhooks[1].events[1]' }),
    ]);
  });

  test('two webhooks whose names give one id are an error naming the second', () => {
    const text = `[[notifications.webhooks]]\nname = "On call"\nurl = "https://a.example.com/"\n\n[[notifications.webhooks]]\nname = "on-call"\nurl = "https://b.example.com/"\n`;
    expect(problemsOf(text, 'config.toml')).toEqual([
      {
        path: 'notifications.webhooks[1]',
        message: 'maps to endpoint id "on-call", as notifications.webhooks[0] does: give the webhooks different names',
      },
    ]);
  });

  test('what the gateway’s own schema refuses is reported at the Operator key it came from', () => {
    const text = `[notifications.webhook]\nurl = "https://example.com/"\nauth_type = "basic"\nusername = "${'u'.repeat(300)}"\npassword_env = "P"\n`;
    expect(problemsOf(text, 'config.toml').map((problem) => problem.path)).toEqual(['notifications.webhook.auth.username']);
  });

  test('the file’s other sections are Operator’s own and named in the summary', () => {
    const { mapping } = parseConfigText(`[agents]\nmax_parallel = 2\n\n${operator[0]}`, 'config.toml');
    expect(mapping?.lines.at(-1)).toBe('left to Operator: [agents]');
  });

  test('a file of this gateway’s own with a stray [notifications] is refused as ours, not mapped', () => {
    const problems = problemsOf(`${operator[0]}\n[delivery]\nformat = "event"\n`, 'config.toml');
    expect(problems).toEqual([expect.objectContaining({ path: '', message: expect.stringContaining('notifications') })]);
  });
});

describe('an Agent Stack config.yaml', () => {
  test('the seed page has the two examples this test reads', () => {
    expect(agentStack).toHaveLength(2);
  });

  test('each entry becomes an endpoint with an id from its URL, the flat body, and its credentials out of history', () => {
    const env: NodeJS.ProcessEnv = {};
    const { config, mapping } = parseConfigText(agentStack[0] ?? '', 'config.yaml', env);
    const [endpoint] = config.endpoints;
    expect(endpoint?.id).toMatch(/^example-com-[0-9a-f]{6}$/);
    const variable = `WEBHOOKS_${endpoint?.id.toUpperCase().replaceAll('-', '_')}_AUTHORIZATION`;
    expect(endpoint).toMatchObject({
      url: 'https://example.com/webhook',
      events: ['*'],
      format: 'flat',
      headers: { Authorization: { env: variable } },
    });
    expect(env[variable]).toBe('Bearer my-secret-token');
    expect(JSON.stringify(config)).not.toContain('my-secret-token');
    expect(mapping?.lines.join('\n')).not.toContain('my-secret-token');
  });

  test('a variable already set wins over the file’s value', () => {
    const first = parseConfigText(agentStack[0] ?? '', 'config.yaml', {}).config.endpoints[0];
    const variable = (first?.headers['Authorization'] as { env: string }).env;
    const env: NodeJS.ProcessEnv = { [variable]: 'Bearer rotated' };
    parseConfigText(agentStack[0] ?? '', 'config.yaml', env);
    expect(env[variable]).toBe('Bearer rotated');
  });

  test('several endpoints keep their events; ids do not change when the entries are reordered', () => {
    const { config } = parseConfigText(agentStack[1] ?? '', 'config.yaml', {});
    expect(config.endpoints.map(({ events, headers }) => ({ events, names: Object.keys(headers) }))).toEqual([
      { events: ['provider_build.*'], names: ['Authorization'] },
      { events: ['*'], names: ['X-API-Key'] },
    ]);
    const swapped = (agentStack[1] ?? '').split('\n    - url:');
    const reordered = [swapped[0], swapped[2], swapped[1]].join('\n    - url:');
    const again = parseConfigText(reordered, 'config.yaml', {}).config.endpoints.map((endpoint) => endpoint.id);
    expect(again.toReversed()).toEqual(config.endpoints.map((endpoint) => endpoint.id));
  });

  test('a key it cannot map is an error naming it', () => {
    const text = 'webhook:\n  endpoints:\n    - url: https://example.com/hook\n      retries: 3\n  timeout: 5\n';
    expect(problemsOf(text, 'config.yaml').map((problem) => problem.path)).toEqual(['webhook.timeout', 'webhook.endpoints[0].retries']);
  });
});

describe('the start-up log of a mapped file', () => {
  test('a headline, then one record per entry, with hosts and variable names but no URL path or secret', () => {
    const records: { msg: string }[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        records.push(
          ...String(chunk)
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { msg: string }),
        );
        done();
      },
    });
    const log = createLogger('api', 'info', destination);
    logConfigMapping(log, 'config.yaml', parseConfigText(agentStack[1] ?? '', 'config.yaml', {}));
    logConfigMapping(log, 'gateway.yaml', parseConfigText('endpoints: []', 'gateway.yaml'));
    const lines = records.map((record) => record.msg);
    expect(lines[0]).toBe('read an Agent Stack config.yaml as this gateway’s configuration: 2 endpoints');
    expect(lines[1]).toMatch(
      /^webhook\.endpoints\[0\] → endpoint "ci-example-com-[0-9a-f]{6}": ci\.example\.com, events provider_build\.\*, body flat, header Authorization from \$WEBHOOKS_CI_EXAMPLE_COM_[0-9A-F]{6}_AUTHORIZATION/,
    );
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).not.toMatch(/ci-token|monitoring-key|\/hooks\/agentstack/);
  });
});

describe('the seeds’ documented bodies', () => {
  const event = (type: string, data: unknown, timestamp: string) => ({ id: 'evt_1', type, timestamp, data });

  test('Agent Stack: the flat format gives its payload, field for field and in order', () => {
    const [documented] = seedBlocks('agentstack-webhooks.md', 'json');
    const { event: type, timestamp, ...data } = JSON.parse(documented ?? '') as Record<string, string>;
    expect(renderPayload('flat', event(String(type), data, String(timestamp)))).toBe(JSON.stringify(JSON.parse(documented ?? '')));
  });

  test('OpsKnight: the event format with data_key incident gives its payload', () => {
    const [documented] = seedBlocks('opsknight-webhooks.md', 'json');
    const { event: type, timestamp, incident } = JSON.parse(documented ?? '') as Record<string, unknown>;
    expect(renderPayload('event', event(String(type), incident, String(timestamp)), 'incident')).toBe(
      JSON.stringify(JSON.parse(documented ?? '')),
    );
  });

  test('Operator: the event format gives its payload', () => {
    const [documented] = seedBlocks('operator-webhook-notifications.md', 'json');
    const { event: type, timestamp, data } = JSON.parse(documented ?? '') as Record<string, unknown>;
    expect(renderPayload('event', event(String(type), data, String(timestamp)))).toBe(JSON.stringify(JSON.parse(documented ?? '')));
  });
});

describe('intersectPatterns', () => {
  test.each([
    [['*'], ['order.created'], ['order.created']],
    [['order.*'], ['*'], ['order.*']],
    [['order.*'], ['order.item.*', 'user.created'], ['order.item.*']],
    [['order.created', 'order.paid'], ['order.*'], ['order.created', 'order.paid']],
    [['order.created'], ['user.*'], []],
    [['order.*'], ['orders.created'], []],
  ])('%j ∩ %j = %j', (first, second, expected) => {
    expect(intersectPatterns(first, second)).toEqual(expected);
  });
});
