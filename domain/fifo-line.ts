/**
 * The line of an endpoint with `ordering: fifo`: its deliveries go one at a time, in the order they joined. Pure: the
 * endpoint's entity keeps the line and runs these rules.
 *
 * Deliveries join when their event is accepted: the API signals the entity before it starts the delivery (and before
 * it answers 202), so an event sent after another's 202 is behind it. A delivery started some other way (by
 * `sendEvent` from a workflow) joins from its own first workflow task.
 */

/** One delivery in the line. */
export interface LineEntry {
  /** The workflow that delivers to the endpoint: the event's, or the part of it that holds the endpoint. */
  readonly workflowId: string;
  readonly eventId: string;
  /** Epoch ms at which it joined, for people reading the entity's state. */
  readonly acceptedAt: number;
}

/** An endpoint's line: deliveries waiting, in order, and the one that has its turn. Plain data. */
export interface FifoLine {
  readonly waiting: readonly LineEntry[];
  readonly inFlight?: LineEntry;
  /** Epoch ms at which the delivery in flight got its turn, or was last found still running. */
  readonly checkedAt?: number;
}

export const EMPTY_LINE: FifoLine = { waiting: [] };

/** The line with `entry` at its end; a delivery already in the line keeps the place it has. */
export function joinLine(line: FifoLine, entry: LineEntry): FifoLine {
  if (line.inFlight?.workflowId === entry.workflowId || line.waiting.some((waiting) => waiting.workflowId === entry.workflowId)) {
    return line;
  }
  return { ...line, waiting: [...line.waiting, entry] };
}

/** The line without the delivery of `workflowId`, which is done (or was cancelled while it waited). */
export function leaveLine(line: FifoLine, workflowId: string): FifoLine {
  const waiting = line.waiting.filter((entry) => entry.workflowId !== workflowId);
  if (line.inFlight?.workflowId === workflowId) return { waiting };
  return waiting.length === line.waiting.length ? line : { ...line, waiting };
}

/** The line once its head has been given the turn at `now`, and that head; undefined while one is in flight. */
export function takeTurn(line: FifoLine, now: number): { readonly line: FifoLine; readonly entry: LineEntry } | undefined {
  const [head, ...rest] = line.waiting;
  if (line.inFlight || !head) return undefined;
  return { line: { waiting: rest, inFlight: head, checkedAt: now }, entry: head };
}
