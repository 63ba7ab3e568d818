/** How a call to a source ended, as its invocation log shows it. */
export const INVOCATION_RESULTS = [
  'accepted',
  'replayed',
  'conflict',
  'unauthorized',
  'disabled',
  'rate_limited',
  'invalid',
  'unavailable',
] as const;
/** One of {@link INVOCATION_RESULTS}. */
export type InvocationResult = (typeof INVOCATION_RESULTS)[number];

/** One call to a source. The excerpt is of what the caller sent, authenticated or not. */
export interface Invocation {
  readonly at: string;
  readonly sourceIp: string;
  readonly status: number;
  readonly result: InvocationResult;
  readonly eventId?: string;
  readonly payloadExcerpt: string;
}

/**
 * Whose calls a read of the log shows: every API replica's (`shared`, kept in Redis) or only those this process
 * served (`process`: no Redis configured, or Redis unreachable).
 */
export type InvocationLogScope = 'shared' | 'process';

/** The recent calls to a source, newest first, and whose they are. */
export interface InvocationLogRead {
  readonly invocations: readonly Invocation[];
  readonly scope: InvocationLogScope;
}

/** The recent calls to each source, capped per source. */
export interface InvocationLog {
  /** Records a call. Never waits and never fails: the log is a diagnostic aid and must not slow the call down. */
  record(sourceId: string, invocation: Invocation): void;
  /** The last calls to `sourceId`, newest first. */
  read(sourceId: string): Promise<InvocationLogRead>;
}

/**
 * The last `size` calls to each source, in this process's memory. Only calls to a source that exists are recorded
 * (the route answers others 404 first), so the sources bound what it holds.
 */
export function createProcessInvocationLog(size: number): InvocationLog {
  // A ring per source, newest last; bounded, so a flood of calls costs memory once.
  const logs = new Map<string, Invocation[]>();
  return {
    record(sourceId, invocation) {
      if (size === 0) return;
      const log = logs.get(sourceId) ?? [];
      logs.set(sourceId, log);
      log.push(invocation);
      if (log.length > size) log.splice(0, log.length - size);
    },
    read: (sourceId) => Promise.resolve({ invocations: [...(logs.get(sourceId) ?? [])].reverse(), scope: 'process' }),
  };
}
