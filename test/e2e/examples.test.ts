import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { DeliveryReport } from '../../domain/delivery.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliveriesQuery, type deliverEvent } from '../../workflows/index.js';
import { postJson, startConfiguredGateway, type GatewayOptions, type TestGateway } from '../support/gateway.js';
import { storedHistory } from '../support/history.js';
import { seedBlocks } from '../support/seeds.js';
import { endpointWorkflowId, eventWorkflowId } from '../../domain/workflow-ids.js';

// Each seed scenario's example config, run as written except that every endpoint's URL points at a local receiver.

interface Example {
  readonly config: Config;
  readonly gateway: TestGateway;
  readonly receivers: Readonly<Record<string, Receiver>>;
}

let running: Example | undefined;

async function startExample(path: string, secrets: NodeJS.ProcessEnv, options: GatewayOptions = {}): Promise<Example> {
  // A foreign file's own secrets land in the environment the gateway sends with, as in a real process.
  const env = { ...secrets };
  const config = await loadConfig(path, env);
  const receivers: Record<string, Receiver> = {};
  for (const endpoint of config.endpoints) receivers[endpoint.id] = await startReceiver();
  const gateway = await startConfiguredGateway(
    {
      ...config,
      delivery: { ...config.delivery, allow_destinations: ['loopback'] },
      endpoints: config.endpoints.map((endpoint) => ({ ...endpoint, url: receivers[endpoint.id]?.url ?? endpoint.url })),
    },
    env,
    options,
  );
  running = { config, gateway, receivers };
  return running;
}

async function send(example: Example, event: object): Promise<DeliveryReport> {
  const response = await postJson(example.gateway, '/v1/events', event);
  expect(response.status).toBe(202);
  const { workflow_id } = (await response.json()) as { workflow_id: string };
  return example.gateway.client.workflow.getHandle<typeof deliverEvent>(workflow_id).result();
}

function bodyOf(receiver: Receiver | undefined, index = 0): unknown {
  return JSON.parse(receiver?.requests[index]?.body ?? 'null');
}

afterEach(async () => {
  if (!running) return;
  await running.gateway.stop();
  await Promise.all(Object.values(running.receivers).map((receiver) => receiver.close()));
  running = undefined;
});

describe('examples/operator.toml', () => {
  test('routes by name and filter, authenticates with bearer and basic auth, and speaks Slack and Discord', async () => {
    const example = await startExample('examples/operator.toml', { PAGERDUTY_TOKEN: 'pd-token', WEBHOOK_PASSWORD: 'op-pass' });
    const { slack, discord, pagerduty, 'operator-api': api } = example.receivers;
    const data = { ticket_id: 'PROJ-123', agent: 'claude', project: 'backend', duration_seconds: 342, result: 'success' };

    const completed = await send(example, { type: 'agent.completed', timestamp: '2024-01-15T10:30:00Z', data });
    expect(completed.deliveries.map((d) => d.endpointId)).toEqual(['slack', 'discord', 'operator-api']);
    expect(bodyOf(slack)).toEqual({
      text: '*agent.completed* · ticket_id: PROJ-123 · agent: claude · project: backend · duration_seconds: 342 · result: success',
    });
    expect(bodyOf(discord)).toMatchObject({ content: expect.stringMatching(/^\*\*agent\.completed\*\* · ticket_id: PROJ-123/) });
    expect(bodyOf(api)).toEqual({ event: 'agent.completed', timestamp: '2024-01-15T10:30:00Z', data });
    expect(api?.requests[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('operator:op-pass').toString('base64')}`);

    const failed = await send(example, { type: 'agent.failed', data: { ticket_id: 'PROJ-124', result: 'error' } });
    expect(failed.deliveries.map((d) => d.endpointId)).toEqual(['slack', 'discord', 'pagerduty', 'operator-api']);
    expect(pagerduty?.requests).toHaveLength(1);
    expect(pagerduty?.requests[0]?.headers['authorization']).toBe('Bearer pd-token');
  });
});

describe('examples/agentstack.yaml', () => {
  test('sends custom headers, with secrets from the environment, to * and provider.* subscribers', async () => {
    const example = await startExample('examples/agentstack.yaml', {
      AGENTSTACK_CI_TOKEN: 'ci-token',
      MONITORING_API_KEY: 'monitoring-key',
    });
    const { ci, 'provider-registry': registry, monitoring } = example.receivers;
    const resource = { resource_type: 'provider', resource_id: '550e8400-e29b-41d4-a716-446655440000' };

    const created = await send(example, { type: 'provider.created', data: resource });
    expect(created.deliveries.map((d) => d.endpointId)).toEqual(['provider-registry', 'monitoring']);
    expect(registry?.requests[0]?.headers['x-source']).toBe('agentstack');
    expect(monitoring?.requests[0]?.headers['x-api-key']).toBe('monitoring-key');
    expect(bodyOf(monitoring)).toEqual({ event: 'provider.created', ...resource, timestamp: expect.any(String) });

    const build = await send(example, { type: 'provider_build.updated', data: { resource_type: 'provider_build' } });
    expect(build.deliveries.map((d) => d.endpointId)).toEqual(['ci', 'monitoring']);
    expect(ci?.requests[0]?.headers['authorization']).toBe('Bearer ci-token');
  });
});

describe('examples/opsknight.yaml', () => {
  // The receiver-side check from the OpsKnight documentation.
  function verifySignature(payload: string, signature: string, secret: string): boolean {
    const expected = 'sha256=' + createHmac('sha256', secret).update(payload).digest('hex');
    return signature === expected;
  }

  test('signs with X-OpsKnight-Signature and schedules the first retry of its 1m, 5m, 15m policy a minute later', async () => {
    const example = await startExample('examples/opsknight.yaml', { OPSKNIGHT_WEBHOOK_SECRET: 'opsknight-secret' });
    const { itsm, dashboard } = example.receivers;
    itsm?.script({ status: 503 });
    const incident = { id: 'inc_abc123', title: 'Database connection timeout', status: 'triggered', severity: 'critical' };

    const response = await postJson(example.gateway, '/v1/events', { type: 'incident.triggered', data: incident });
    const { workflow_id } = (await response.json()) as { workflow_id: string };
    const handle = example.gateway.client.workflow.getHandle<typeof deliverEvent>(workflow_id);
    await dashboard?.waitForRequests(1);
    await itsm?.waitForRequests(1);

    const request = dashboard?.requests[0];
    expect(JSON.parse(request?.body ?? '')).toEqual({ event: 'incident.triggered', timestamp: expect.any(String), incident });
    expect(verifySignature(request?.body ?? '', String(request?.headers['x-opsknight-signature']), 'opsknight-secret')).toBe(true);
    expect(
      verifySignature(itsm?.requests[0]?.body ?? '', String(itsm?.requests[0]?.headers['x-opsknight-signature']), 'opsknight-secret'),
    ).toBe(true);

    await expect.poll(async () => (await handle.query(deliveriesQuery)).deliveries[0]?.status).toBe('retrying');
    const itsmDelivery = (await handle.query(deliveriesQuery)).deliveries[0];
    const attempt = itsmDelivery?.attempts[0];
    const waitMs = Date.parse(itsmDelivery?.nextAttemptAt ?? '') - Date.parse(attempt?.startedAt ?? '') - (attempt?.durationMs ?? 0);
    expect(waitMs).toBeGreaterThanOrEqual(59_000);
    expect(waitMs).toBeLessThanOrEqual(61_000);
    await handle.terminate('test over: the retry schedule is what was checked');
  });
});

describe('the seeds’ own config files, read as they are', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seed-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('an Agent Stack config.yaml: its headers, secrets kept out of history, and its flat body', async () => {
    const path = join(dir, 'config.yaml');
    await writeFile(path, seedBlocks('agentstack-webhooks.md', 'yaml')[1] ?? '');
    // The endpoints' entities are made as a worker makes them from its config file, so their histories can be read.
    const example = await startExample(path, {}, { reconcileEndpoints: true });
    // Ids come from the URLs, so the endpoints are found by their events.
    const [ciId, monitoringId] = example.config.endpoints.map((endpoint) => endpoint.id);
    const ci = example.receivers[ciId ?? ''];
    const monitoring = example.receivers[monitoringId ?? ''];
    const resource = { resource_type: 'provider_build', resource_id: '550e8400-e29b-41d4-a716-446655440000', user_id: null };

    const report = await send(example, { type: 'provider_build.updated', data: resource });
    expect(report.deliveries.map((delivery) => delivery.status)).toEqual(['succeeded', 'succeeded']);
    expect(ci?.requests[0]?.headers['authorization']).toBe('Bearer ci-token');
    expect(monitoring?.requests[0]?.headers['x-api-key']).toBe('monitoring-key');
    expect(bodyOf(ci)).toEqual({ event: 'provider_build.updated', ...resource, timestamp: expect.any(String) });

    // The event's history and the endpoint's own carry the variable's name, never the token the file holds.
    expect((await storedHistory(eventWorkflowId(report.eventId))).text).not.toContain('ci-token');
    const entity = await vi.waitFor(() => storedHistory(endpointWorkflowId(ciId ?? '')), { timeout: 30_000, interval: 250 });
    expect(entity.text).toContain(`WEBHOOKS_${(ciId ?? '').toUpperCase().replaceAll('-', '_')}_AUTHORIZATION`);
    expect(entity.text).not.toContain('ci-token');
  });

  test('an Operator config.toml: named webhooks, their events, bearer auth, and Slack’s body for a Slack hook', async () => {
    const path = join(dir, 'config.toml');
    await writeFile(path, seedBlocks('operator-webhook-notifications.md', 'toml')[3] ?? '');
    const example = await startExample(path, { PAGERDUTY_TOKEN: 'pd-token' });
    const { slack, pagerduty } = example.receivers;

    const failed = await send(example, { type: 'agent.failed', data: { ticket_id: 'PROJ-124', result: 'error' } });
    expect(failed.deliveries.map((delivery) => delivery.endpointId)).toEqual(['slack', 'pagerduty']);
    expect(bodyOf(slack)).toEqual({ text: '*agent.failed* · ticket_id: PROJ-124 · result: error' });
    expect(pagerduty?.requests[0]?.headers['authorization']).toBe('Bearer pd-token');
    expect(bodyOf(pagerduty)).toEqual({
      event: 'agent.failed',
      timestamp: expect.any(String),
      data: { ticket_id: 'PROJ-124', result: 'error' },
    });
  });
});
