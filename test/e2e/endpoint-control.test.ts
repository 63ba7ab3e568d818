import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DeliveryReport } from '../../domain/delivery.js';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { endpointSettingsFrom } from '../../config/schema.js';
import { reconcileEndpoints } from '../../gateway/reconcile.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { disableSignal, enableSignal, stateQuery, type deliverEvent } from '../../workflows/index.js';
import { postJson, startGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
let alpha: Receiver;
let beta: Receiver;
let ops: Receiver;
let flaky: Receiver;

async function send(type: string): Promise<DeliveryReport> {
  const response = await postJson(gateway, '/v1/events', { type });
  const { workflow_id } = (await response.json()) as { workflow_id: string };
  return gateway.client.workflow.getHandle<typeof deliverEvent>(workflow_id).result();
}

function routedStatus(endpointId: string): string | undefined {
  return gateway.registry
    .routes()
    .route('thing.happened')
    .find((endpoint) => endpoint.id === endpointId)?.status;
}

beforeAll(async () => {
  [alpha, beta, ops, flaky] = await Promise.all([
    startReceiver(),
    startReceiver(),
    startReceiver(),
    startReceiver({ defaultResponse: { status: 500 } }),
  ]);
  gateway = await startGateway({
    delivery: { retry: { schedule: [] }, auto_disable_after: '2s' },
    endpoints: [
      { id: 'alpha', url: alpha.url, events: ['thing.*'] },
      { id: 'beta', url: beta.url, events: ['thing.*'] },
      { id: 'ops', url: ops.url, events: ['endpoint.*'] },
      { id: 'flaky', url: flaky.url, events: ['flaky.*'], retry: { schedule: Array.from({ length: 12 }, () => '400ms'), jitter: 0 } },
    ],
  });
  await reconcileEndpoints(
    gateway.client,
    gateway.config.temporal.task_queue,
    gateway.config.endpoints,
    endpointSettingsFrom(gateway.config),
  );
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([alpha.close(), beta.close(), ops.close(), flaky.close()]);
});

describe('disable and enable', () => {
  test('a disabled endpoint receives nothing new, each event records it as skipped, and enable restores it', async () => {
    const alphaEntity = gateway.client.workflow.getHandle(endpointWorkflowId('alpha'));
    await alphaEntity.signal(disableSignal, 'receiver under maintenance');
    await expect.poll(() => routedStatus('alpha')).toBe('disabled');

    const whileDisabled = await send('thing.happened');
    expect(whileDisabled.deliveries.map((d) => [d.endpointId, d.status])).toEqual([
      ['alpha', 'cancelled'],
      ['beta', 'succeeded'],
    ]);
    expect(whileDisabled.deliveries[0]?.reason).toBe('skipped: endpoint disabled (receiver under maintenance)');
    expect(alpha.requests).toHaveLength(0);

    await alphaEntity.signal(enableSignal);
    await expect.poll(() => routedStatus('alpha')).toBe('active');
    const afterEnable = await send('thing.happened');
    expect(afterEnable.deliveries.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
    expect(alpha.requests).toHaveLength(1);
  });

  test('410 Gone disables the endpoint, durably, and routing stops sending it events', async () => {
    beta.script({ status: 410, body: 'this hook was deleted' });
    const gone = await send('thing.happened');
    expect(gone.deliveries[1]).toMatchObject({ endpointId: 'beta', status: 'failed', reason: 'the endpoint answered 410 Gone' });

    const state = await gateway.client.workflow.getHandle(endpointWorkflowId('beta')).query(stateQuery);
    expect(state).toMatchObject({ status: 'disabled', statusReason: 'the endpoint answered 410 Gone' });
    await expect.poll(() => routedStatus('beta')).toBe('disabled');
    const [notice] = await ops.waitForRequests(1);
    expect(JSON.parse(notice?.body ?? '{}')).toMatchObject({
      type: 'endpoint.disabled',
      data: { endpoint_id: 'beta', reason: 'the endpoint answered 410 Gone' },
    });
    const requestsBefore = beta.requests.length;
    const next = await send('thing.happened');
    expect(next.deliveries[1]).toMatchObject({ endpointId: 'beta', status: 'cancelled' });
    expect(beta.requests).toHaveLength(requestsBefore);
  });

  test('counts deliveries per endpoint, and disables one that keeps failing for the configured window', async () => {
    const alphaEntity = gateway.client.workflow.getHandle(endpointWorkflowId('alpha'));
    await expect.poll(async () => (await alphaEntity.query(stateQuery)).health.delivered, { timeout: 10_000 }).toBeGreaterThan(0);
    expect((await alphaEntity.query(stateQuery)).health).toMatchObject({ failed: 0, consecutiveFailures: 0 });

    const response = await postJson(gateway, '/v1/events', { id: 'evt_flaky', type: 'flaky.failing' });
    expect(response.status).toBe(202);
    const flakyEntity = gateway.client.workflow.getHandle(endpointWorkflowId('flaky'));
    await expect.poll(async () => (await flakyEntity.query(stateQuery)).status, { timeout: 15_000 }).toBe('disabled');
    const state = await flakyEntity.query(stateQuery);
    expect(state.statusReason).toMatch(/^failing since .* with no success in between$/);
    expect(state.health.consecutiveFailures).toBeGreaterThan(1);

    await expect
      .poll(
        () => ops.requests.map((r) => JSON.parse(r.body) as { data: { endpoint_id: string } }).some((e) => e.data.endpoint_id === 'flaky'),
        { timeout: 10_000 },
      )
      .toBe(true);
    // The delivery that was retrying ends as cancelled once its endpoint is disabled.
    const report = await gateway.client.workflow.getHandle<typeof deliverEvent>('event/evt_flaky').result();
    expect(report.deliveries[0]?.status).toBe('cancelled');
  });
});
