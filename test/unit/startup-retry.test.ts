import { describe, expect, test } from 'vitest';
import { grpcCodeOf, isRefusal, retryUntilDone, startupDelayMs } from '../../temporal/startup-retry.js';

describe('startupDelayMs', () => {
  test.each([
    [1, 250],
    [2, 500],
    [3, 1_000],
    [6, 8_000],
    [7, 10_000],
    [1_000, 10_000],
  ])('after failure %i it waits %i ms', (attempt, delayMs) => {
    expect(startupDelayMs(attempt)).toBe(delayMs);
  });
});

describe('retryUntilDone', () => {
  test('tries again after each failure until the step succeeds, reporting every failure with its wait', async () => {
    const failures: { attempt: number; delayMs: number; error: unknown }[] = [];
    const result = await retryUntilDone(
      (attempt) => (attempt < 4 ? Promise.reject(new Error(`not yet ${attempt}`)) : Promise.resolve(`done on ${attempt}`)),
      { firstDelayMs: 1, maxDelayMs: 2, onRetry: (failure) => failures.push(failure) },
    );
    expect(result).toBe('done on 4');
    expect(failures.map(({ attempt, delayMs }) => [attempt, delayMs])).toEqual([
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
    expect(String(failures[2]?.error)).toBe('Error: not yet 3');
  });

  test('throws a permanent error at once', async () => {
    let attempts = 0;
    const refused = Object.assign(new Error('permission denied'), { code: 7 });
    await expect(
      retryUntilDone(
        () => {
          attempts += 1;
          return Promise.reject(refused);
        },
        { isPermanent: isRefusal, onRetry: () => undefined },
      ),
    ).rejects.toBe(refused);
    expect(attempts).toBe(1);
  });

  test('gives up with the last error when its signal aborts during a wait', async () => {
    const stop = new AbortController();
    const pending = retryUntilDone(() => Promise.reject(new Error('server not ready')), {
      signal: stop.signal,
      firstDelayMs: 60_000,
      onRetry: () => stop.abort(),
    });
    await expect(pending).rejects.toThrow('server not ready');
  });
});

describe('isRefusal', () => {
  test.each([
    [{ code: 7 }, true],
    [{ code: 12 }, true],
    [{ code: 16 }, true],
    [{ code: 14 }, false],
    [{ code: 5 }, false],
    [new Error('no code'), false],
  ])('%j is a refusal: %s', (error, refusal) => {
    expect(isRefusal(error)).toBe(refusal);
  });

  test('finds the code of a wrapped gRPC error', () => {
    const wrapped = new Error('Namespace default has no mapping', { cause: { code: 3 } });
    expect(grpcCodeOf(wrapped)).toBe(3);
  });
});
