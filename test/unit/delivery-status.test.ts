import { describe, expect, test } from 'vitest';
import { retryingEndpoints, searchableStatus, summarizeStatus, type DeliveryStatus } from '../../domain/delivery.js';

describe('summarizeStatus', () => {
  test.each<[DeliveryStatus[], DeliveryStatus]>([
    [[], 'succeeded'],
    [['succeeded', 'succeeded'], 'succeeded'],
    [['succeeded', 'failed'], 'failed'],
    [['failed', 'retrying'], 'retrying'],
    [['retrying', 'pending'], 'pending'],
    [['pending', 'delivering', 'succeeded'], 'delivering'],
    [['succeeded', 'cancelled'], 'succeeded'],
    [['failed', 'cancelled'], 'failed'],
    [['cancelled', 'cancelled'], 'cancelled'],
    [['held', 'succeeded'], 'held'],
  ])('%j is %s', (statuses, expected) => {
    expect(summarizeStatus(statuses)).toBe(expected);
  });
});

describe('searchableStatus', () => {
  // [endpoints' statuses, shown now, shown next]
  test.each<[DeliveryStatus[], DeliveryStatus, DeliveryStatus]>([
    [['delivering'], 'pending', 'pending'],
    [['delivering', 'delivering'], 'pending', 'pending'],
    [['succeeded'], 'pending', 'succeeded'],
    [['retrying', 'delivering'], 'pending', 'retrying'],
    [['delivering'], 'retrying', 'retrying'],
    [['pending', 'succeeded'], 'retrying', 'retrying'],
    [['held', 'succeeded'], 'pending', 'held'],
    [['delivering'], 'held', 'held'],
    [['held', 'retrying'], 'held', 'retrying'],
    [['succeeded', 'failed'], 'retrying', 'failed'],
    [['cancelled'], 'held', 'cancelled'],
    [[], 'succeeded', 'succeeded'],
  ])('%j showing %s shows %s: attempts in flight change nothing', (statuses, shown, next) => {
    expect(searchableStatus(statuses, shown)).toBe(next);
  });
});

describe('retryingEndpoints', () => {
  const deliveries = (statuses: Record<string, DeliveryStatus>) =>
    Object.entries(statuses).map(([endpointId, status]) => ({ endpointId, status }));

  test('names the endpoints whose retry is scheduled, sorted', () => {
    expect(retryingEndpoints(deliveries({ b: 'retrying', a: 'retrying', c: 'delivering', d: 'succeeded' }), [])).toEqual(['a', 'b']);
  });

  test('keeps an endpoint while its retry is in flight or waits for a slot, and drops it when it ends or is held', () => {
    const shown = ['a', 'b', 'c', 'd', 'e'];
    expect(
      retryingEndpoints(deliveries({ a: 'delivering', b: 'pending', c: 'succeeded', d: 'failed', e: 'held', f: 'delivering' }), shown),
    ).toEqual(['a', 'b']);
  });
});
