/**
 * The line of an endpoint with `ordering: fifo`: its deliveries go one at a time, in the order their events were
 * accepted. Pure: the endpoint's entity keeps the line and runs these rules with workflow time.
 *
 * An event's place is its acceptance time (its delivery workflow's start) and then its id. A delivery joins the line
 * from its first workflow task, a moment after acceptance; so that a later event whose delivery happened to join
 * first does not go ahead of it, the head of the line is let go only once it is `settleMs` old.
 */

/** One delivery in the line. */
export interface LineEntry {
  readonly workflowId: string;
  readonly eventId: string;
  /** Epoch ms of the event's acceptance (its delivery workflow's start time). */
  readonly acceptedAt: number;
}

/** An endpoint's line: deliveries waiting, in order, and the one that has its turn. Plain data. */
export interface FifoLine {
  readonly waiting: readonly LineEntry[];
  readonly inFlight?: LineEntry;
}

export const EMPTY_LINE: FifoLine = { waiting: [] };

/** How long after its acceptance the head of a line waits for deliveries of earlier events to join. */
export const LINE_SETTLE_MS = 500;

const before = (a: LineEntry, b: LineEntry): boolean =>
  a.acceptedAt < b.acceptedAt || (a.acceptedAt === b.acceptedAt && a.eventId < b.eventId);

/** The line with `entry` in its place; a delivery already in the line keeps the place it has. */
export function joinLine(line: FifoLine, entry: LineEntry): FifoLine {
  if (line.inFlight?.workflowId === entry.workflowId || line.waiting.some((waiting) => waiting.workflowId === entry.workflowId)) {
    return line;
  }
  const index = line.waiting.findIndex((waiting) => before(entry, waiting));
  const waiting = [...line.waiting];
  waiting.splice(index === -1 ? waiting.length : index, 0, entry);
  return { ...line, waiting };
}

/** The line without the delivery of `workflowId`, which is done (or was cancelled while it waited). */
export function leaveLine(line: FifoLine, workflowId: string): FifoLine {
  const waiting = line.waiting.filter((entry) => entry.workflowId !== workflowId);
  if (line.inFlight?.workflowId === workflowId) return { waiting };
  return waiting.length === line.waiting.length ? line : { ...line, waiting };
}

/** What the line does next at `now`: nothing, let its head go, or wait until the head is settled. */
export type NextTurn =
  | { readonly kind: 'none' }
  | { readonly kind: 'turn'; readonly line: FifoLine; readonly entry: LineEntry }
  | { readonly kind: 'wait'; readonly untilMs: number };

export function nextTurn(line: FifoLine, now: number, settleMs: number = LINE_SETTLE_MS): NextTurn {
  const [head, ...rest] = line.waiting;
  if (line.inFlight || !head) return { kind: 'none' };
  const due = head.acceptedAt + settleMs;
  if (due > now) return { kind: 'wait', untilMs: due };
  return { kind: 'turn', line: { waiting: rest, inFlight: head }, entry: head };
}
