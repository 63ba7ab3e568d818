import { describe, expect, test } from 'vitest';
import { ConfigSchema, deliveryDefaultsFrom } from '../../config/schema.js';
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

function redeliveryReading(load: EventLoader['load']) {
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
    admin: { get: unused },
    targets: () => [aTarget('http://127.0.0.1:9/hooks')],
    history: { list: unused },
    reports: { read: () => Promise.resolve(undefined) },
    deliveryDefaults: deliveryDefaultsFrom(ConfigSchema.parse({})),
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
