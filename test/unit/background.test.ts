import { getEventListeners } from 'node:events';
import { Connection, type Client } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { callCancellably, runInBackground } from '../../gateway/background.js';

/** Scopes calls to a signal as @temporalio/client's Connection does: a listener per request, never removed. */
function sdkLikeScoping(onScoped: (signal: AbortSignal) => void = () => undefined) {
  return <R>(signal: AbortSignal, call: () => Promise<R>): Promise<R> => {
    signal.addEventListener('abort', () => undefined);
    onScoped(signal);
    return call();
  };
}

// A client whose connection is (as far as `instanceof` tells) @temporalio/client's, which cancels on abort; and one
// like the worker's NativeConnection, which does not.
const cancellingClient = {
  withAbortSignal: sdkLikeScoping(),
  connection: Object.create(Connection.prototype) as Connection,
} as unknown as Client;
const nativeLikeClient = { withAbortSignal: sdkLikeScoping(), connection: {} } as unknown as Client;

describe('callCancellably', () => {
  test('makes no request once its signal is aborted', async () => {
    const stop = new AbortController();
    stop.abort(new Error('closed'));
    let made = 0;

    await expect(callCancellably(cancellingClient, stop.signal, () => Promise.resolve(made++))).rejects.toThrow('closed');
    expect(made).toBe(0);
  });

  test('leaves no listener on a long-lived signal, however many requests it makes', async () => {
    const stop = new AbortController();
    for (let i = 0; i < 50; i++) await callCancellably(cancellingClient, stop.signal, () => Promise.resolve(i));

    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  test('aborts the signal the request runs with when its own is aborted', async () => {
    const stop = new AbortController();
    let scoped: AbortSignal | undefined;
    const client = { withAbortSignal: sdkLikeScoping((signal) => (scoped = signal)) };
    const request = callCancellably(client, stop.signal, () => new Promise((resolve) => setTimeout(resolve, 20)));
    stop.abort();
    await request;

    expect(scoped?.aborted).toBe(true);
  });
});

describe('runInBackground', () => {
  test('waits longer after each failure, and the first wait again once the round has recovered', async () => {
    const waits: number[] = [];
    // Fails twice, recovers, fails twice more, then works until closed.
    const outcomes = ['fail', 'fail', 'recover-then-fail', 'fail', 'work'];
    let working!: () => void;
    const worked = new Promise<void>((resolve) => (working = resolve));
    const loop = runInBackground({
      client: cancellingClient,
      async round({ signal, recovered }) {
        const outcome = outcomes.shift();
        if (outcome === 'recover-then-fail') recovered();
        if (outcome !== 'work') throw new Error(outcome);
        working();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
      onError: (_error, retryInMs) => waits.push(retryInMs),
      firstRetryMs: 5,
      lastRetryMs: 1_000,
    });
    await worked;
    await loop.close();

    expect(waits).toEqual([5, 10, 5, 10]);
  });

  test('closing waits for the round where aborting cancels requests, and not where it cannot', async () => {
    const roundFor =
      (ended: { value: boolean }) =>
      async ({ signal }: { signal: AbortSignal }) => {
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
