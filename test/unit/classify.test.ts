import { describe, expect, test } from 'vitest';
import { classifyAttempt } from '../../domain/classify.js';
import type { AttemptVerdict, TransportErrorClass } from '../../domain/delivery.js';

describe('classifyAttempt', () => {
  test.each<[number, AttemptVerdict]>([
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [301, 'rejected'],
    [302, 'rejected'],
    [307, 'rejected'],
    [400, 'rejected'],
    [401, 'rejected'],
    [403, 'rejected'],
    [404, 'rejected'],
    [408, 'retryable'],
    [410, 'gone'],
    [413, 'rejected'],
    [422, 'rejected'],
    [425, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
  ])('status %i is %s', (statusCode, verdict) => {
    expect(classifyAttempt({ statusCode })).toBe(verdict);
  });

  test.each<[TransportErrorClass, AttemptVerdict]>([
    ['timeout', 'retryable'],
    ['connection_refused', 'retryable'],
    ['connection_reset', 'retryable'],
    ['dns', 'retryable'],
    ['tls', 'retryable'],
    ['other', 'retryable'],
    ['missing_secret', 'retryable'],
    ['invalid_url', 'rejected'],
    ['blocked_destination', 'rejected'],
  ])('a %s error is %s', (errorClass, verdict) => {
    expect(classifyAttempt({ errorClass })).toBe(verdict);
  });

  test('retries a 4xx the endpoint lists in retry_on_status, and only that one', () => {
    expect(classifyAttempt({ statusCode: 404 }, [404, 409])).toBe('retryable');
    expect(classifyAttempt({ statusCode: 410 }, [410])).toBe('retryable');
    expect(classifyAttempt({ statusCode: 400 }, [404])).toBe('rejected');
  });
});
