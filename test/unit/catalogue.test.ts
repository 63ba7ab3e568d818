import { describe, expect, test } from 'vitest';
import { EventTypeEntrySchema, type EventTypeEntry } from '../../config/ingest.js';
import { createCatalogue } from '../../gateway/catalogue.js';

const entry = (input: Record<string, unknown>): EventTypeEntry => EventTypeEntrySchema.parse(input);

const orderSchema = {
  type: 'object',
  required: ['total', 'customer'],
  properties: {
    total: { type: 'number', minimum: 0 },
    customer: {
      type: 'object',
      required: ['email'],
      properties: { email: { type: 'string', format: 'email' } },
    },
    placed: { type: 'string', format: 'date-time' },
  },
};

describe('createCatalogue', () => {
  test('accepts every type and any data when empty', () => {
    const catalogue = createCatalogue([]);
    expect(catalogue.check('anything.at.all', { x: 1 })).toEqual({ kind: 'ok' });
    expect(catalogue.check('other', 'not an object')).toEqual({ kind: 'ok' });
  });

  const catalogue = createCatalogue([
    entry({ type: 'ping', description: 'a ping, with any data' }),
    entry({ type: 'order.created', schema: orderSchema }),
  ]);

  test('keeps the entries it was given', () => {
    expect(catalogue.entries.map((e) => e.type)).toEqual(['ping', 'order.created']);
  });

  test('refuses a type it does not list', () => {
    expect(catalogue.check('order.deleted', {})).toEqual({ kind: 'unknown-type' });
    expect(catalogue.check('order', {})).toEqual({ kind: 'unknown-type' });
  });

  test('accepts any data for a type without a schema', () => {
    expect(catalogue.check('ping', {})).toEqual({ kind: 'ok' });
    expect(catalogue.check('ping', [1, 'two', null])).toEqual({ kind: 'ok' });
    expect(catalogue.check('ping', 42)).toEqual({ kind: 'ok' });
  });

  test('accepts data that matches the schema', () => {
    const data = { total: 12.5, customer: { email: 'ada@example.com' }, placed: '2024-05-01T12:00:00Z' };
    expect(catalogue.check('order.created', data)).toEqual({ kind: 'ok' });
  });

  test('points at a field of the wrong type inside data', () => {
    const verdict = catalogue.check('order.created', { total: 'twelve', customer: { email: 'ada@example.com' } });
    expect(verdict.kind).toBe('invalid-data');
    if (verdict.kind !== 'invalid-data') return;
    expect(verdict.errors).toEqual([{ path: '/data/total', message: 'must be number' }]);
  });

  test('names a missing property, at the object that lacks it', () => {
    const verdict = catalogue.check('order.created', { total: 1 });
    expect(verdict).toEqual({ kind: 'invalid-data', errors: [{ path: '/data', message: 'must have property customer' }] });
    const nested = catalogue.check('order.created', { total: 1, customer: {} });
    expect(nested).toEqual({ kind: 'invalid-data', errors: [{ path: '/data/customer', message: 'must have property email' }] });
  });

  test('enforces formats such as email and date-time', () => {
    const verdict = catalogue.check('order.created', { total: 1, customer: { email: 'not an email' }, placed: 'yesterday' });
    expect(verdict.kind).toBe('invalid-data');
    if (verdict.kind !== 'invalid-data') return;
    expect(verdict.errors.map((e) => e.path).sort()).toEqual(['/data/customer/email', '/data/placed']);
    expect(verdict.errors.find((e) => e.path === '/data/customer/email')?.message).toContain('email');
  });

  test('reports every problem, not just the first', () => {
    const verdict = catalogue.check('order.created', { total: -1 });
    expect(verdict.kind).toBe('invalid-data');
    if (verdict.kind !== 'invalid-data') return;
    expect(verdict.errors.map((e) => e.path).sort()).toEqual(['/data', '/data/total']);
  });

  test('refuses data that is not an object when the schema wants one', () => {
    expect(catalogue.check('order.created', [])).toEqual({ kind: 'invalid-data', errors: [{ path: '/data', message: 'must be object' }] });
  });

  test('reports at most twenty problems', () => {
    const properties = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, { type: 'string' }]));
    const many = createCatalogue([entry({ type: 'wide', schema: { type: 'object', properties } })]);
    const verdict = many.check('wide', Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i])));
    expect(verdict.kind === 'invalid-data' ? verdict.errors.length : 0).toBe(20);
  });
});
