import { setTimeout as delay } from 'node:timers/promises';
import { Connection, type Client } from '@temporalio/client';

/**
 * Makes `call`'s requests to Temporal in a scope that `signal` cancels; with `signal` already aborted it makes none. Each
 * call gets a signal of its own: the client adds a listener to the signal of every request and never removes it, so
 * one signal over a process's life would pile up a listener per request.
 */
export async function callCancellably<T>(client: Pick<Client, 'withAbortSignal'>, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  const own = new AbortController();
  const abort = (): void => own.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await client.withAbortSignal(own.signal, call);
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

/** Work that follows Temporal for as long as a process lives. */
export interface BackgroundLoop {
  /**
   * Stops the loop and cancels its requests. Where cancelling reaches them (see `cancelsOnAbort`), it settles once
   * the loop has ended, so that the connection may be closed next; elsewhere at once.
   */
  close(): Promise<void>;
}

export interface BackgroundLoopOptions {
  /** The client the rounds make their requests on. */
  readonly client: Pick<Client, 'connection'>;
  /**
   * One round: it makes its requests with `callCancellably(client, signal, …)`, and calls `recovered` once it is
   * working again after a failure, which resets the wait before the next try.
   */
  readonly round: (signal: AbortSignal, recovered: () => void) => Promise<unknown>;
  /** Told of each failed round; routing and the source book go on with what they last read. */
  readonly onError: (error: unknown) => void;
  readonly firstRetryMs: number;
  readonly lastRetryMs: number;
}

/** Runs `round` until closed: again as soon as it returns, and after a failure once a wait has passed, doubling. */
export function runInBackground(options: BackgroundLoopOptions): BackgroundLoop {
  const stop = new AbortController();
  const { signal } = stop;
  const loop = async (): Promise<void> => {
    let retryMs = options.firstRetryMs;
    while (!signal.aborted) {
      try {
        await options.round(signal, () => (retryMs = options.firstRetryMs));
      } catch (error) {
        if (signal.aborted) return;
        options.onError(error);
        await delay(retryMs, undefined, { signal }).catch(() => undefined);
        retryMs = Math.min(retryMs * 2, options.lastRetryMs);
      }
    }
  };
  const running = loop();
  return {
    async close() {
      stop.abort();
      if (cancelsOnAbort(options.client)) await running;
    },
  };
}

/**
 * Whether aborting cancels a client's requests. @temporalio/client's Connection does, and must not be closed under a
 * request: one that fails then is retried from a timer on the closed channel, which throws where nothing can catch
 * it. The worker's NativeConnection (SDK 1.24) ignores abort signals, and ends what is in flight itself when closed:
 * waiting there would wait out a long poll.
 */
export function cancelsOnAbort(client: Pick<Client, 'connection'>): boolean {
  return client.connection instanceof Connection;
}
