import proto from '@temporalio/proto';

const { EventType } = proto.temporal.api.enums.v1;

/**
 * Runs `call` with a signal of its own that `signal` aborts: the client listens on the signal it is given for as long
 * as it lives, so following with one signal across thousands of polls would pile up its listeners.
 */
export async function cancellable<T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const own = new AbortController();
  const abort = (): void => own.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await call(own.signal);
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

/**
 * The events that end a run other than continue-as-new: a followed workflow that never ends on its own was ended from
 * outside, and must be started again.
 */
export const CLOSING_EVENTS = new Set<proto.temporal.api.enums.v1.EventType>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
]);
