import { getEventListeners } from 'node:events';
import { Connection, type Client } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { callCancellably, runInBackground } from '../../gateway/background.js';

// A client whose connection is (as far as `instanceof` tells) @temporalio/client's, which cancels on abort; and one
// like the worker's NativeConnection, which does not.
const passThrough = { withAbortSignal: <R>(_signal: AbortSignal, call: () => Promise<R>) => call() };
const cancellingClient = { ...passThrough, connection: Object.create(Connection.prototype) as Connection } as unknown as Client;
const nativeLikeClient = { ...passThrough, connection: {} } as unknown as Client;

describe('callCancellably', () => {
  test('makes no request once its signal is aborted', async () => {
    const stop = new AbortController();
    stop.abort(new Error('closed'));
    let made = 0;

    await expect(callCancellably(passThrough, stop.signal, () => Promise.resolve(made++))).rejects.toThrow('closed');
    expect(made).toBe(0);
  });

  test('leaves no listener on a long-lived signal, however many requests it makes', async () => {
    const stop = new AbortController();
    for (let i = 0; i < 50; i++) await callCancellably(passThrough, stop.signal, () => Promise.resolve(i));

    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  test('aborts the signal the request runs with when its own is aborted', async () => {
    const stop = new AbortController();
    let seen: AbortSignal | undefined;
    const client = { withAbortSignal: <R>(signal: AbortSignal, call: () => Promise<R>) => ((seen = signal), call()) };
    const request = callCancellably(client, stop.signal, () => new Promise((resolve) => setTimeout(resolve, 20)));
    stop.abort();
    await request;

    expect(seen?.aborted).toBe(true);
  });
});

describe('runInBackground', () => {
  test('tries again after each failure, backing off, and tells of each', async () => {
    const errors: unknown[] = [];
    const startedAt: number[] = [];
    let working!: () => void;
    const recovered = new Promise<void>((resolve) => (working = resolve));
    const loop = runInBackground({
      client: cancellingClient,
      async round(signal, reset) {
        startedAt.push(performance.now());
        if (startedAt.length < 3) throw new Error(`failure ${startedAt.length}`);
        reset();
        working();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
      onError: (error) => errors.push(error),
      firstRetryMs: 10,
      lastRetryMs: 1_000,
    });
    await recovered;
    await loop.close();

    expect(errors.map((error) => (error as Error).message)).toEqual(['failure 1', 'failure 2']);
    // The second wait is twice the first (timers may only be late).
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(9);
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(19);
  });

  test('closing waits for the round where aborting cancels requests, and not where it cannot', async () => {
    const roundFor = (ended: { value: boolean }) => async (signal: AbortSignal) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      // The cancelled request takes a moment to come back.
      await new Promise((resolve) => setTimeout(resolve, 30));
      ended.value = true;
    };
    const options = { onError: () => undefined, firstRetryMs: 10, lastRetryMs: 10 };
    const cancelling = { value: false };
    const native = { value: false };

    await runInBackground({ ...options, client: cancellingClient, round: roundFor(cancelling) }).close();
    await runInBackground({ ...options, client: nativeLikeClient, round: roundFor(native) }).close();

    expect(cancelling.value).toBe(true);
    expect(native.value).toBe(false);
  });
});
