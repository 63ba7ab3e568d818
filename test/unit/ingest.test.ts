import { describe, expect, test } from 'vitest';
import { ConfigSchema, deliveryDefaultsFrom } from '../../config/schema.js';
import type { DeliveryTarget } from '../../domain/delivery.js';
import type { RoutableEndpoint } from '../../domain/endpoint-state.js';
import type { IncomingEvent, WebhookEvent } from '../../domain/event.js';
import { createRouteIndex } from '../../domain/routing.js';
import { createCatalogue } from '../../gateway/catalogue.js';
import type { DeliveryStart, DeliveryStarter, StartDeliveryOptions } from '../../gateway/delivery-starter.js';
import { createIngest, fingerprintOf, idempotentEventId, type Ingest } from '../../gateway/ingest.js';

const event: IncomingEvent = {
  id: 'evt-1',
  type: 'order.created',
  timestamp: '2024-05-01T12:00:00Z',
  data: { total: 42, customer: { name: 'Ada', address: { city: 'London', zip: 'N1' } }, items: [{ sku: 'A', qty: 1 }] },
};

describe('fingerprintOf', () => {
  test('is the same for the same event with keys in another order, at any depth', () => {
    const reordered: IncomingEvent = {
      data: { items: [{ qty: 1, sku: 'A' }], customer: { address: { zip: 'N1', city: 'London' }, name: 'Ada' }, total: 42 },
      timestamp: '2024-05-01T12:00:00Z',
      type: 'order.created',
      id: 'evt-1',
    };
    expect(fingerprintOf(reordered)).toBe(fingerprintOf(event));
  });

  test('differs when the data differs, however deep', () => {
    expect(fingerprintOf({ ...event, data: { ...(event.data as object), total: 43 } })).not.toBe(fingerprintOf(event));
    const deeper = { total: 42, customer: { name: 'Ada', address: { city: 'Paris', zip: 'N1' } }, items: [{ sku: 'A', qty: 1 }] };
    expect(fingerprintOf({ ...event, data: deeper })).not.toBe(fingerprintOf(event));
  });

  test('differs when array order differs', () => {
    expect(fingerprintOf({ type: 't', data: [1, 2] })).not.toBe(fingerprintOf({ type: 't', data: [2, 1] }));
  });

  test('differs when the type differs', () => {
    expect(fingerprintOf({ ...event, type: 'order.updated' })).not.toBe(fingerprintOf(event));
  });

  test('does not depend on the id', () => {
    expect(fingerprintOf({ ...event, id: 'evt-2' })).toBe(fingerprintOf(event));
  });

  test('is the same for two events without a timestamp', () => {
    const { timestamp: _, ...untimed } = event;
    expect(fingerprintOf({ ...untimed })).toBe(fingerprintOf({ ...untimed, id: 'retry' }));
  });

  test('differs when the producer-given timestamp differs', () => {
    const { timestamp: _, ...untimed } = event;
    expect(fingerprintOf({ ...event, timestamp: '2024-05-01T12:00:01Z' })).not.toBe(fingerprintOf(event));
    expect(fingerprintOf(untimed)).not.toBe(fingerprintOf(event));
  });

  test('treats missing data as an empty object', () => {
    expect(fingerprintOf({ type: 'ping' })).toBe(fingerprintOf({ type: 'ping', data: {} }));
  });

  test('is a base64url SHA-256', () => {
    expect(fingerprintOf(event)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

/** A starter that records each start and answers as Temporal would: a second start of an id is a duplicate. */
function scriptedStarter(failFor: readonly string[] = []) {
  const started = new Map<string, { event: WebhookEvent; targets: readonly DeliveryTarget[]; options: StartDeliveryOptions }>();
  const starter: DeliveryStarter = {
    start(event, targets, options = {}): Promise<DeliveryStart> {
      if (failFor.includes(event.id)) return Promise.reject(new Error('Temporal did not answer'));
      const workflowId = options.workflowId ?? `event/${event.id}`;
      const first = started.get(workflowId);
      if (!first) {
        started.set(workflowId, { event, targets, options });
        return Promise.resolve({ workflowId, duplicate: false });
      }
      const sameContent = first.options.fingerprint === undefined ? undefined : first.options.fingerprint === options.fingerprint;
      return Promise.resolve({ workflowId, duplicate: true, ...(sameContent === undefined ? {} : { sameContent }) });
    },
    storedFingerprint: (workflowId) => Promise.resolve(started.get(workflowId)?.options.fingerprint),
  };
  return { starter, started };
}

function anIngest(failFor: readonly string[] = []): { ingest: Ingest; started: ReturnType<typeof scriptedStarter>['started'] } {
  const config = ConfigSchema.parse({
    event_types: [
      { type: 'order.created', schema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } } } },
      { type: 'order.shipped' },
      { type: 'endpoint.disabled' },
    ],
  });
  const endpoints: RoutableEndpoint[] = [
    { id: 'crm', url: 'https://crm.example.com/hooks', events: ['order.*'], headers: {}, enabled: true, status: 'active' },
    {
      id: 'big-orders',
      url: 'https://big.example.com/hooks',
      events: ['order.created'],
      filter: { 'data.total': { $gt: 100 } },
      headers: {},
      enabled: true,
      status: 'active',
    },
    {
      id: 'ops',
      url: 'https://ops.example.com/hooks',
      events: ['endpoint.*'],
      headers: {},
      enabled: true,
      status: 'paused',
      statusReason: 'deploying',
    },
  ];
  const { starter, started } = scriptedStarter(failFor);
  const ingest = createIngest({
    deliveries: starter,
    routes: () => createRouteIndex(endpoints),
    deliveryDefaults: deliveryDefaultsFrom(config),
    catalogue: createCatalogue(config.event_types),
    sourceIds: ['github'],
    now: () => new Date('2026-03-02T12:00:00.000Z'),
  });
  return { ingest, started };
}

describe('ingest', () => {
  test('accepts an event once: it is routed, named and started, and a repeat is replayed', async () => {
    const { ingest, started } = anIngest();
    const event = { id: 'o-1', type: 'order.created', data: { total: 42 } };
    expect(await ingest.accept(event)).toEqual({ kind: 'accepted', id: 'o-1', idFrom: 'event', workflowId: 'event/o-1', endpoints: 1 });
    expect(started.get('event/o-1')?.event).toEqual({ ...event, timestamp: '2026-03-02T12:00:00.000Z' });
    expect(started.get('event/o-1')?.targets.map((target) => target.endpointId)).toEqual(['crm']);
    expect(started.get('event/o-1')?.options.unrouted).toEqual([
      { endpointId: 'big-orders', reason: 'filter: data.total is 42, which fails $gt 100' },
    ]);
    expect(await ingest.accept(event)).toMatchObject({ kind: 'replayed', id: 'o-1' });
    expect(await ingest.accept({ ...event, data: { total: 43 } })).toMatchObject({ kind: 'conflict', id: 'o-1' });
  });

  test('routes an event to a filtered endpoint only when its payload passes the filter', async () => {
    const { ingest, started } = anIngest();
    expect(await ingest.accept({ id: 'o-big', type: 'order.created', data: { total: 500 } })).toMatchObject({ endpoints: 2 });
    expect(started.get('event/o-big')?.targets.map((target) => target.endpointId)).toEqual(['crm', 'big-orders']);
    expect(started.get('event/o-big')?.options.unrouted).toEqual([]);
    expect(ingest.route({ id: 'x', type: 'order.shipped', timestamp: '2026-03-02T12:00:00.000Z', data: {} }).unrouted).toEqual([]);
  });

  test('names an event without an id by its fallback, or a new id', async () => {
    const { ingest } = anIngest();
    const derived = idempotentEventId('key:checkout', 'order-7');
    expect(await ingest.accept({ type: 'order.shipped' }, { fallbackId: derived })).toMatchObject({
      kind: 'accepted',
      id: derived,
      idFrom: 'fallback',
    });
    expect(await ingest.accept({ type: 'order.shipped' })).toMatchObject({
      kind: 'accepted',
      id: expect.stringMatching(/^evt_/),
      idFrom: 'generated',
    });
  });

  test.each<[string, IncomingEvent, string, string, { path: string; message: string }[]]>([
    [
      'an id derived from an Idempotency-Key',
      { id: 'idem_abc', type: 'order.shipped' },
      'reserved-id',
      'ids starting with idem_ are derived from Idempotency-Key headers',
      [{ path: '/id', message: 'ids starting with idem_ are derived from Idempotency-Key headers' }],
    ],
    [
      "an id of the gateway's own operational events",
      { id: 'op_endpoint_disabled_orders_3', type: 'order.shipped' },
      'reserved-id',
      "ids starting with op_ are the gateway's operational events",
      [{ path: '/id', message: "ids starting with op_ are the gateway's operational events" }],
    ],
    [
      "a source's id",
      { id: 'github.123', type: 'order.shipped' },
      'reserved-id',
      'ids starting with github. are the events of the inbound source github',
      [{ path: '/id', message: 'ids starting with github. are the events of the inbound source github' }],
    ],
    [
      'a type the catalogue does not list',
      { type: 'order.lost' },
      'unknown-type',
      '"order.lost" is not in the event-type catalogue',
      [{ path: '/type', message: 'not in the catalogue' }],
    ],
    [
      "data that breaks its type's schema",
      { type: 'order.created', data: { total: 'lots' } },
      'invalid-data',
      'the data does not match the schema of order.created: /data/total: must be number',
      [{ path: '/data/total', message: 'must be number' }],
    ],
  ])('refuses %s, and starts nothing', async (_name, event, reason, message, problems) => {
    const { ingest, started } = anIngest();
    expect(await ingest.accept(event)).toEqual({ kind: 'refused', reason, message, problems });
    expect(ingest.prepare(event)).toEqual({ kind: 'refused', reason, message, problems });
    expect(started.size).toBe(0);
  });

  test('accepts a reserved-looking id when it is the fallback the gateway derived', async () => {
    const { ingest } = anIngest();
    expect(await ingest.accept({ type: 'order.shipped' }, { fallbackId: 'github.delivery-9' })).toMatchObject({ kind: 'accepted' });
  });

  test('prepares an event for a workflow to start: checked and routed, with the fingerprint the API would keep', () => {
    const { ingest } = anIngest();
    const prepared = ingest.prepare({ id: 'o-2', type: 'order.created', data: { total: 1 } });
    expect(prepared).toMatchObject({
      kind: 'ready',
      event: { id: 'o-2' },
      fingerprint: fingerprintOf({ id: 'o-2', type: 'order.created', data: { total: 1 } }),
    });
  });

  test('checks a whole batch before starting any, locating each problem by its index', () => {
    const { ingest, started } = anIngest();
    const refused = ingest.checkBatch([
      { event: { id: 'b-1', type: 'order.shipped' } },
      { event: { id: 'b-1', type: 'order.created', data: {} } },
      { unreadable: { path: '/data_base64', message: 'not base64' } },
      { event: { id: 'idem_x', type: 'order.shipped' } },
    ]);
    expect(refused).toEqual({
      kind: 'refused',
      reason: 'invalid-events',
      problems: [
        { path: '/1/id', message: 'this id is used earlier in the batch' },
        { path: '/1/data', message: 'must have property total' },
        { path: '/2/data_base64', message: 'not base64' },
        { path: '/3/id', message: 'ids starting with idem_ are derived from Idempotency-Key headers' },
      ],
    });
    const unknown = ingest.checkBatch([{ event: { type: 'order.created', data: {} } }, { event: { type: 'order.lost' } }]);
    expect(unknown).toEqual({
      kind: 'refused',
      reason: 'unknown-type',
      problems: [{ path: '/1/type', message: '"order.lost" is not in the event-type catalogue' }],
    });
    expect(started.size).toBe(0);
  });

  test('starts a checked batch event by event, each with its id even when Temporal fails it', async () => {
    const { ingest } = anIngest(['b-fails']);
    await ingest.accept({ id: 'b-old', type: 'order.shipped', data: { n: 1 } });
    const checked = ingest.checkBatch(
      [
        { event: { id: 'b-new', type: 'order.shipped' } },
        { event: { id: 'b-old', type: 'order.shipped', data: { n: 2 } } },
        { event: { id: 'b-fails', type: 'order.shipped' } },
        { event: { type: 'order.shipped' } },
      ],
      { idBase: 'idem_batch' },
    );
    if (checked.kind !== 'checked') throw new Error('the batch was refused');
    const outcomes = await checked.accept();
    expect(outcomes.map((outcome) => [outcome.kind, outcome.index, outcome.id, 'idFrom' in outcome ? outcome.idFrom : '-'])).toEqual([
      ['accepted', 0, 'b-new', 'event'],
      ['conflict', 1, 'b-old', 'event'],
      ['failed', 2, 'b-fails', '-'],
      ['accepted', 3, 'idem_batch-3', 'fallback'],
    ]);
  });

  test('announces an event of the gateway itself to its subscribers, whatever the catalogue says, held while paused', async () => {
    const { ingest, started } = anIngest();
    const notice = { id: 'op_endpoint_disabled_crm_2', type: 'endpoint.disabled', timestamp: '2026-03-02T12:00:00.000Z', data: {} };
    await ingest.announce(notice);
    expect(started.get('event/op_endpoint_disabled_crm_2')?.targets).toEqual([
      expect.objectContaining({ endpointId: 'ops', holdReason: 'deploying' }),
    ]);
  });
});
