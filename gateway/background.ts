import { setTimeout as delay } from 'node:timers/promises';
import { Connection, type Client } from '@temporalio/client';
import { startupDelayMs } from '../temporal/startup-retry.js';

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
   * Stops the loop and cancels its requests. Where cancelling reaches them (a grpc-js `Connection`), it settles once
   * the loop has ended, so that the connection may be closed next; on a `NativeConnection`, at once.
   */
  close(): Promise<void>;
}

/** What a round is given. */
export interface Round {
  /** Makes `request`'s calls on the loop's client, cancelled when the loop is closed (see `callCancellably`). */
  readonly call: <T>(request: () => Promise<T>) => Promise<T>;
  /** Aborted when the loop is closed, for whatever takes a signal of its own (a long poll). */
  readonly signal: AbortSignal;
  /** Says the round works again after failures: the next failure waits the first wait again. */
  readonly recovered: () => void;
}

export interface BackgroundLoopOptions {
  readonly client: Pick<Client, 'connection' | 'withAbortSignal'>;
  readonly round: (round: Round) => Promise<unknown>;
  /** Told of each failed round and how long the loop waits before the next. */
  readonly onError: (error: unknown, retryInMs: number) => void;
  readonly firstRetryMs: number;
  readonly lastRetryMs: number;
}

/** Runs `round` until closed: again as soon as it returns, and after a failure once a wait has passed, doubling. */
export function runInBackground(options: BackgroundLoopOptions): BackgroundLoop {
  const { client } = options;
  const stop = new AbortController();
  const { signal } = stop;
  let failures = 0;
  const round: Round = {
    call: (request) => callCancellably(client, signal, request),
    signal,
    recovered: () => (failures = 0),
  };
  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        await options.round(round);
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        const retryInMs = startupDelayMs(failures, options.firstRetryMs, options.lastRetryMs);
        options.onError(error, retryInMs);
        await delay(retryInMs, undefined, { signal }).catch(() => undefined);
      }
    }
  };
  const running = loop();
  return {
    async close() {
      stop.abort();
      if (cancelsOnAbort(client)) await running;
    },
  };
}

/**
 * Whether aborting cancels a client's requests. @temporalio/client's Connection does, and must not be closed under a
 * request: one that fails then is retried from a timer on the closed channel, which throws where nothing can catch
 * it. The worker's NativeConnection ignores abort signals (SDK 1.24: "TODO: add support for abortSignal" in its
 * `sendRequest`), and ends what is in flight itself when closed: waiting there would wait out a long poll. Should it
 * learn to cancel, waiting for it too would cost nothing.
 */
function cancelsOnAbort(client: Pick<Client, 'connection'>): boolean {
  return client.connection instanceof Connection;
}
