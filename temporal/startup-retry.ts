import type { ConnectionLike } from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import { GRPC_STATUS } from '../domain/grpc-status.js';

/** How {@link retryUntilDone} waits and reports. */
export interface StartupRetryOptions {
  /** Told of each failure before the wait that follows it. */
  readonly onRetry: (failure: { error: unknown; attempt: number; delayMs: number }) => void;
  /** Stops the retries (the process is stopping); the last error is thrown. */
  readonly signal?: AbortSignal;
  /** An error no wait cures (permission denied, say): thrown at once. */
  readonly isPermanent?: (error: unknown) => boolean;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

/**
 * The wait after failed attempt `attempt` (1-based): doubling from `firstMs`, capped at `maxMs`. No jitter: start-up
 * steps are few and idempotent, and the background followers (`runInBackground`) make one listing or reconcile per
 * process when they try again, so a fleet retrying in step is a handful of calls per process, not a thundering herd.
 */
export function startupDelayMs(attempt: number, firstMs = FIRST_DELAY_MS, maxMs = MAX_DELAY_MS): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt - 1, 30));
}

/**
 * Runs `step` until it succeeds, waiting longer after each failure. For start-up work that a real cluster is not
 * ready for yet: a namespace created a moment ago, a search attribute registered but not yet usable.
 */
export async function retryUntilDone<T>(step: (attempt: number) => Promise<T>, options: StartupRetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step(attempt);
    } catch (error) {
      if (options.signal?.aborted || options.isPermanent?.(error)) throw error;
      const delayMs = startupDelayMs(attempt, options.firstDelayMs, options.maxDelayMs);
      options.onRetry({ error, attempt, delayMs });
      try {
        await delay(delayMs, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        throw error;
      }
    }
  }
}

// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).

/** The gRPC status code of a failed call, whether the error carries it or wraps an error that does. */
export function grpcCodeOf(error: unknown): number | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether the server refused the caller rather than failed it: retrying cannot help. */
export function isRefusal(error: unknown): boolean {
  const code = grpcCodeOf(error);
  return code === GRPC_STATUS.PERMISSION_DENIED || code === GRPC_STATUS.UNIMPLEMENTED || code === GRPC_STATUS.UNAUTHENTICATED;
}

/**
 * Waits until the namespace exists: a cluster's setup may still be creating it when the gateway starts. A refusal
 * (an API key without access) is thrown at once.
 */
export async function waitForNamespace(
  connection: ConnectionLike,
  namespace: string,
  options: Omit<StartupRetryOptions, 'isPermanent'>,
): Promise<void> {
  await retryUntilDone(() => connection.workflowService.describeNamespace({ namespace }), { ...options, isPermanent: isRefusal });
}
