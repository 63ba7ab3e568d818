import { describe, expect, test } from 'vitest';
import type { IncomingEvent } from '../../domain/event.js';
import { fingerprintOf } from '../../gateway/ingest.js';

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
