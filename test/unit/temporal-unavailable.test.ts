import { ServiceError } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { temporalUnavailable } from '../../server/app.js';

const grpcError = (code: number, details: string): Error => Object.assign(new Error(`${code} ${details}`), { code, details });

describe('temporalUnavailable', () => {
  test.each([
    [14, 'connection refused'],
    [4, 'deadline exceeded'],
    [10, 'Shard is owned by another host'],
    [13, 'database or disk is full (13)'],
    [2, 'unknown'],
    [8, 'namespace rate limit exceeded'],
  ])('takes gRPC status %i (%s), under the client’s ServiceError, for Temporal failing for now', (code, details) => {
    expect(temporalUnavailable(new ServiceError('Failed to start Workflow', { cause: grpcError(code, details) }))).toBe(true);
  });

  test.each([
    [3, 'invalid argument'],
    [7, 'permission denied'],
    [16, 'unauthenticated'],
  ])('leaves status %i (%s), which sending again would meet again, to the internal-error answer', (code, details) => {
    expect(temporalUnavailable(new ServiceError('Failed to start Workflow', { cause: grpcError(code, details) }))).toBe(false);
  });

  test('leaves a message too large for the channel, which no retry mends, to the internal-error answer', () => {
    const tooLarge = grpcError(8, 'Received message larger than max (5242880 vs. 4194304)');
    expect(temporalUnavailable(new ServiceError('Failed to start Workflow', { cause: tooLarge }))).toBe(false);
  });

  test('leaves errors that are not Temporal’s alone', () => {
    expect(temporalUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(temporalUnavailable(Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
  });
});
