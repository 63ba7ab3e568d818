import { describe, expect, test } from 'vitest';
import { ConfigSchema, deliveryDefaultsFrom } from '../../config/schema.js';
import { EndpointSchema } from '../../domain/endpoint.js';
import { DEFAULT_ENDPOINT_SETTINGS } from '../../domain/endpoint-state.js';
import { newEndpointState } from '../../domain/endpoint-transitions.js';
import { GRPC_STATUS } from '../../domain/grpc-status.js';
import type { DeliveryTarget } from '../../domain/delivery.js';
import type { WebhookEvent } from '../../domain/event.js';
import type { StartDeliveryOptions } from '../../gateway/delivery-starter.js';
import type { EventLoader } from '../../gateway/event-loader.js';
import { createRedelivery, type RedeliveryDeps } from '../../gateway/redelivery.js';
import { aTarget } from '../support/builders.js';

// Which failures to read an event mean "no such event": only Temporal's NOT_FOUND. The rest are Temporal's trouble.

/** A gRPC failure as Temporal's client raises it: the status code on the error. */
const grpcError = (code: number): Error => Object.assign(new Error(`grpc ${code}`), { code });

function redeliveryReading(load: EventLoader['load'], overrides: Partial<RedeliveryDeps> = {}) {
  const started: string[] = [];
  const unused = (): Promise<never> => Promise.reject(new Error('not asked in these tests'));
  const deps: RedeliveryDeps = {
    events: { load },
    deliveries: {
      start: (_event: WebhookEvent, _targets: readonly DeliveryTarget[], options?: StartDeliveryOptions) => {
        const workflowId = options?.workflowId ?? '';
        started.push(workflowId);
        return Promise.resolve({ workflowId, duplicate: false });
      },
    },
    admin: {
      get: (endpointId: string) =>
        Promise.resolve(
          newEndpointState(
            EndpointSchema.parse({ id: endpointId, url: 'http://127.0.0.1:9/hooks' }),
            'api',
            DEFAULT_ENDPOINT_SETTINGS,
            new Date(),
          ),
        ),
    },
    targets: () => [aTarget('http://127.0.0.1:9/hooks')],
    history: { list: unused },
    reports: { read: () => Promise.resolve(undefined) },
    deliveryDefaults: deliveryDefaultsFrom(ConfigSchema.parse({})),
    ...overrides,
  };
  return { redelivery: createRedelivery(deps), started };
}

describe('redeliver', () => {
  test('answers no event when Temporal has no such workflow', async () => {
    const { redelivery, started } = redeliveryReading(() => Promise.reject(grpcError(GRPC_STATUS.NOT_FOUND)));
    expect(await redelivery.redeliver('evt_gone')).toBeUndefined();
    expect(started).toEqual([]);
  });

  test.each([
    ['unavailable', GRPC_STATUS.UNAVAILABLE],
    ['past its deadline', GRPC_STATUS.DEADLINE_EXCEEDED],
  ])('passes on a failure to read the event (Temporal %s) instead of saying there is none', async (_name, code) => {
    const { redelivery, started } = redeliveryReading(() => Promise.reject(grpcError(code)));
    await expect(redelivery.redeliver('evt_there')).rejects.toMatchObject({ code });
    expect(started).toEqual([]);
  });

  test('starts a new delivery of an event it reads', async () => {
    const event = { id: 'evt_there', type: 'order.created', timestamp: '2026-12-02T00:00:00.000Z', data: {} };
    const { redelivery, started } = redeliveryReading(() => Promise.resolve(event));
    expect(await redelivery.redeliver('evt_there')).toMatchObject({ eventId: 'evt_there', endpoints: 1 });
    expect(started).toHaveLength(1);
  });
});

describe('recover', () => {
  test('goes on past an event Temporal fails to read, and names it, so that no recovery is made twice', async () => {
    const failed = ['evt_read', 'evt_unread', 'evt_read_too'];
    const event = (id: string) => ({ id, type: 'order.created', timestamp: '2026-12-02T00:00:00.000Z', data: {} });
    const { redelivery, started } = redeliveryReading(
      ({ workflowId }) =>
        workflowId === 'event/evt_unread'
          ? Promise.reject(grpcError(GRPC_STATUS.UNAVAILABLE))
          : Promise.resolve(event(workflowId.slice('event/'.length))),
      {
        history: {
          list: () =>
            Promise.resolve({ entries: failed.map((eventId) => ({ eventId, workflowId: `event/${eventId}`, status: 'failed' as const })) }),
        },
        reports: {
          read: (workflowId: string) =>
            Promise.resolve({
              eventId: workflowId,
              eventType: 'order.created',
              status: 'failed' as const,
              deliveries: [{ endpointId: 'crm', status: 'failed' as const, attempts: [] }],
            }),
        },
      },
    );
    const recovery = await redelivery.recover('crm', new Date('2026-12-01T00:00:00.000Z'));
    expect(recovery.recovered.map((result) => result.eventId)).toEqual(['evt_read', 'evt_read_too']);
    expect(recovery.unread).toEqual(['evt_unread']);
    expect(started).toHaveLength(2);
  });
});
