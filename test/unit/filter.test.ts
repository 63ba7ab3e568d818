import { describe, expect, test } from 'vitest';
import { filterProblems, matchFilter, type PayloadFilter } from '../../domain/filter.js';

const order = {
  id: 'evt_1',
  type: 'order.created',
  timestamp: '2026-11-30T12:00:00.000Z',
  data: {
    total: 150,
    currency: 'EUR',
    customer: { id: 'cus_9', tier: 'gold', email: null },
    tags: ['priority', 'b2b'],
    items: [{ sku: 'A-1', qty: 2 }],
  },
};

const matches = (filter: PayloadFilter, event: unknown = order): boolean => matchFilter(filter, event).matched;
const reason = (filter: PayloadFilter, event: unknown = order): string | undefined => {
  const verdict = matchFilter(filter, event);
  return verdict.matched ? undefined : verdict.reason;
};

describe('matchFilter', () => {
  test('equality on dotted and nested paths, deep for arrays and objects', () => {
    expect(matches({ type: 'order.created' })).toBe(true);
    expect(matches({ 'data.customer.tier': 'gold' })).toBe(true);
    expect(matches({ data: { customer: { tier: 'gold' }, currency: 'EUR' } })).toBe(true);
    expect(matches({ 'data.tags': ['priority', 'b2b'] })).toBe(true);
    expect(matches({ 'data.tags': ['b2b', 'priority'] })).toBe(false);
    expect(matches({ 'data.items.0.sku': 'A-1' })).toBe(true);
    expect(matches({ 'data.items.1.sku': 'A-1' })).toBe(false);
    expect(matches({ 'data.customer': { $eq: { id: 'cus_9', tier: 'gold', email: null } } })).toBe(true);
    expect(matches({ 'data.customer.email': null })).toBe(true);
    expect(matches({ 'data.total': '150' })).toBe(false);
  });

  test('comparisons hold only between values of one kind', () => {
    expect(matches({ 'data.total': { $gt: 100 } })).toBe(true);
    expect(matches({ 'data.total': { $gte: 150, $lte: 150 } })).toBe(true);
    expect(matches({ 'data.total': { $lt: 150 } })).toBe(false);
    expect(matches({ 'data.currency': { $gte: 'EUR', $lt: 'USD' } })).toBe(true);
    expect(matches({ 'data.total': { $gt: '100' } })).toBe(false);
    expect(matches({ 'data.missing': { $lt: 1 } })).toBe(false);
  });

  test('membership, existence and containment; absent fields pass the negative operators', () => {
    expect(matches({ 'data.currency': { $in: ['EUR', 'GBP'] } })).toBe(true);
    expect(matches({ 'data.currency': { $nin: ['EUR'] } })).toBe(false);
    expect(matches({ 'data.coupon': { $nin: ['FREE'] } })).toBe(true);
    expect(matches({ 'data.coupon': { $ne: 'FREE' } })).toBe(true);
    expect(matches({ 'data.coupon': { $exists: false } })).toBe(true);
    expect(matches({ 'data.customer.email': { $exists: true } })).toBe(true);
    expect(matches({ 'data.tags': { $contains: 'b2b' } })).toBe(true);
    expect(matches({ 'data.customer.id': { $contains: 'cus_' } })).toBe(true);
    expect(matches({ 'data.items': { $contains: { sku: 'A-1', qty: 2 } } })).toBe(true);
    expect(matches({ 'data.total': { $contains: 1 } })).toBe(false);
  });

  test('$and, $or and $not combine filters, at the root or under a field', () => {
    expect(matches({ $or: [{ 'data.total': { $gt: 1000 } }, { 'data.customer.tier': 'gold' }] })).toBe(true);
    expect(matches({ $and: [{ 'data.total': { $gt: 100 } }, { 'data.currency': 'USD' }] })).toBe(false);
    expect(matches({ $not: { 'data.currency': 'USD' } })).toBe(true);
    expect(matches({ data: { $or: [{ currency: 'USD' }, { total: 150 }] } })).toBe(true);
  });

  test('an empty filter lets every event through', () => {
    expect(matches({})).toBe(true);
  });

  test('says which condition failed, with the value it found', () => {
    expect(reason({ 'data.total': { $gt: 1000 } })).toBe('data.total is 150, which fails $gt 1000');
    expect(reason({ data: { customer: { tier: 'platinum' } } })).toBe('data.customer.tier is "gold", not "platinum"');
    expect(reason({ 'data.coupon': 'FREE' })).toBe('data.coupon is missing, not "FREE"');
    expect(reason({ data: { coupon: { code: 'X' } } })).toBe('data.coupon is missing');
    expect(reason({ $not: { type: 'order.created' } })).toBe('the event matched the filter under $not');
    expect(reason({ $or: [{ 'data.currency': 'USD' }, { 'data.total': { $lt: 10 } }] })).toBe(
      'none of $or held (data.currency is "EUR", not "USD"; data.total is 150, which fails $lt 10)',
    );
    expect(reason({ 'data.note': 'x' }, { data: { note: 'y'.repeat(500) } })).toMatch(/^data\.note is "y{56}…, not "x"$/);
  });

  test('keeps a reason short, however many alternatives failed and however long the values', () => {
    const alternatives = Array.from({ length: 50 }, (_, n) => ({ [`data.field${n}`]: 'x'.repeat(100) }));
    const long = reason({ $or: alternatives });
    expect(long?.length).toBeLessThanOrEqual(300);
    expect(long).toMatch(/^none of \$or held \(data\.field0 is missing, not "x+…; data\.field1 is missing/);
  });

  test('reads only the event’s own fields, not what objects inherit', () => {
    expect(matches({ 'data.constructor': { $exists: true } })).toBe(false);
    expect(matches({ 'data.tags.length': 2 })).toBe(false);
  });
});

describe('filterProblems', () => {
  test('accepts the documented forms', () => {
    const filters: PayloadFilter[] = [
      { 'data.total': { $gt: 100 }, type: { $in: ['order.created', 'order.updated'] } },
      { data: { customer: { tier: 'gold' } } },
      { $or: [{ 'data.a': 1 }, { $not: { 'data.b': { $exists: true } } }] },
      { 'data.customer': { $eq: { id: 'x' } } },
      {},
    ];
    for (const filter of filters) expect(filterProblems(filter)).toEqual([]);
  });

  test('points at each bad part', () => {
    expect(filterProblems([])).toEqual([{ path: [], message: 'a filter is an object of field paths and operators' }]);
    expect(filterProblems({ 'data.total': { $gt: [1] }, $or: {}, 'a..b': 1, $where: 'x' }).map((problem) => problem.path)).toEqual([
      ['data.total', '$gt'],
      ['$or'],
      ['a..b'],
      ['$where'],
    ]);
    expect(filterProblems({ data: { total: { $gt: 1, nested: 2 } } })).toEqual([
      { path: ['data', 'total'], message: expect.stringContaining('mixes operators and fields') },
    ]);
    expect(filterProblems({ 'data.x': { $regex: '.*' } })).toEqual([
      { path: ['data.x', '$regex'], message: expect.stringContaining('unknown operator: fields take $eq') },
    ]);
    expect(filterProblems({ 'data.x': { $exists: 'yes' }, $and: [{ 'data.y': { $in: 'a' } }, 3] })).toEqual([
      { path: ['data.x', '$exists'], message: '$exists takes true or false' },
      { path: ['$and', 0, 'data.y', '$in'], message: '$in takes a list of at most 100 values' },
      { path: ['$and', 1], message: 'a filter is an object of field paths and operators' },
    ]);
  });

  test('bounds the size and the depth of a filter', () => {
    let deepValue: unknown = 1;
    for (let level = 0; level < 40; level++) deepValue = [deepValue];
    expect(filterProblems({ 'data.x': { $eq: deepValue } })).toEqual([{ path: [], message: 'a filter nests at most 32 deep as JSON' }]);
    expect(filterProblems({ 'data.x': { $in: Array.from({ length: 2_000 }, (_, n) => `value-${n}`) } })[0]?.message).toMatch(
      /at most 8192 bytes/,
    );
    let deep: Record<string, unknown> = { x: 1 };
    for (let level = 0; level < 12; level++) deep = { $not: deep };
    expect(filterProblems(deep)[0]?.message).toBe('filters nest at most 10 deep');
  });
});
