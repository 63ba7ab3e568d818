import { describe, expect, test } from 'vitest';
import { summarizeStatus, type DeliveryStatus } from '../../domain/delivery.js';

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
