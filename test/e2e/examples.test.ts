import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { DeliveryReport } from '../../domain/delivery.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { deliveriesQuery, type deliverEvent } from '../../workflows/index.js';
import { postJson, startConfiguredGateway, type TestGateway } from '../support/gateway.js';

// Each seed scenario's example config, run as written except that every endpoint's URL points at a local receiver.

interface Example {
  readonly gateway: TestGateway;
  readonly receivers: Readonly<Record<string, Receiver>>;
}

let running: Example | undefined;

async function startExample(path: string, env: NodeJS.ProcessEnv): Promise<Example> {
  const config = await loadConfig(path, {});
  const receivers: Record<string, Receiver> = {};
  for (const endpoint of config.endpoints) receivers[endpoint.id] = await startReceiver();
  const gateway = await startConfiguredGateway(
    {
      ...config,
      delivery: { ...config.delivery, allow_destinations: ['loopback'] },
      endpoints: config.endpoints.map((endpoint) => ({ ...endpoint, url: receivers[endpoint.id]?.url ?? endpoint.url })),
    },
    env,
  );
  running = { gateway, receivers };
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
    expect(bodyOf(monitoring)).toMatchObject({ event: 'provider.created', data: resource });

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
