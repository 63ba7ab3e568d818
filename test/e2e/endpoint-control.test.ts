import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DeliveryReport } from '../../domain/delivery.js';
import { endpointWorkflowId } from '../../domain/endpoint.js';
import { reconcileEndpoints } from '../../runtime/reconcile.js';
import { startReceiver, type Receiver } from '../../runtime/receiver.js';
import { disableSignal, enableSignal, stateQuery, type deliverEvent } from '../../workflows/index.js';
import { postJson, startGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
let alpha: Receiver;
let beta: Receiver;

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
  [alpha, beta] = await Promise.all([startReceiver(), startReceiver()]);
  gateway = await startGateway({
    delivery: { retry: { schedule: [] } },
    endpoints: [
      { id: 'alpha', url: alpha.url, events: ['thing.*'] },
      { id: 'beta', url: beta.url, events: ['thing.*'] },
    ],
  });
  await reconcileEndpoints(gateway.client, gateway.config.temporal.task_queue, gateway.config.endpoints);
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([alpha.close(), beta.close()]);
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
    const requestsBefore = beta.requests.length;
    const next = await send('thing.happened');
    expect(next.deliveries[1]).toMatchObject({ endpointId: 'beta', status: 'cancelled' });
    expect(beta.requests).toHaveLength(requestsBefore);
  });
});
