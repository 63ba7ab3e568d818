import { describe, expect, test } from 'vitest';
import { searchableStatus, summarizeStatus, type DeliveryStatus } from '../../domain/delivery.js';

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
