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
  /**
   * Whether the delivery in flight has been told: `unsent` when its workflow could not be signalled (the API put it in
   * line before starting it), `resend` once it has joined itself and can be.
   */
  readonly turn?: 'sent' | 'unsent' | 'resend';
  /** Epoch ms at which the delivery in flight got its turn, or was last looked in on; and how many looks so far. */
  readonly checkedAt?: number;
  readonly checks?: number;
}

export const EMPTY_LINE: FifoLine = { waiting: [] };

/** The line with `entry` at its end; a delivery already in the line keeps the place it has. */
export function joinLine(line: FifoLine, entry: LineEntry): FifoLine {
  // The delivery in flight joins itself once its workflow runs: a turn it could not be told is told now.
  if (line.inFlight?.workflowId === entry.workflowId) return line.turn === 'unsent' ? { ...line, turn: 'resend' } : line;
  if (line.waiting.some((waiting) => waiting.workflowId === entry.workflowId)) return line;
  return { ...line, waiting: [...line.waiting, entry] };
}

/** The line without the delivery of `workflowId`, which is done (or was cancelled while it waited). */
export function leaveLine(line: FifoLine, workflowId: string): FifoLine {
  const waiting = line.waiting.filter((entry) => entry.workflowId !== workflowId);
  if (line.inFlight?.workflowId === workflowId) return { waiting };
  return waiting.length === line.waiting.length ? line : { ...line, waiting };
}

/**
 * Whether a turn can be given: one waits, and none is in flight. Without copying the line: the entity asks it at
 * every activation, and a line may be tens of thousands long.
 */
export function turnCanBeGiven(line: FifoLine): boolean {
  return !line.inFlight && line.waiting.length > 0;
}

/** The line once its head has been given the turn at `now`, and that head; undefined while one is in flight. */
export function takeTurn(line: FifoLine, now: number): { readonly line: FifoLine; readonly entry: LineEntry } | undefined {
  const [head] = line.waiting;
  if (line.inFlight || !head) return undefined;
  return { line: { waiting: line.waiting.slice(1), inFlight: head, turn: 'sent', checkedAt: now, checks: 0 }, entry: head };
}

/**
 * The line once the delivery in flight was told its turn (`told`), or could not be (its workflow is not there yet);
 * unchanged when that delivery is no longer in flight (it left meanwhile).
 */
export function withTurnTold(line: FifoLine, workflowId: string, told: boolean): FifoLine {
  return line.inFlight?.workflowId === workflowId ? { ...line, turn: told ? 'sent' : 'unsent' } : line;
}

/** How often the delivery in flight is looked in on: after a minute, then half as often each time, up to every 10. */
export function nextCheckAt(line: FifoLine): number | undefined {
  if (!line.inFlight) return undefined;
  return (line.checkedAt ?? 0) + Math.min(60_000 * 2 ** (line.checks ?? 0), 600_000);
}

/** What a look at the delivery in flight found: its workflow running, closed, or not there (yet). */
export type InFlightState = 'running' | 'closed' | 'missing';

/** How long a delivery put in line by the API may take to start before its place is given up. */
export const START_GRACE_MS = 120_000;

/** The line after a look at its delivery in flight at `now`; `tell` is true when the turn should be sent again. */
export function afterCheck(line: FifoLine, state: InFlightState, now: number): { readonly line: FifoLine; readonly tell: boolean } {
  const { inFlight } = line;
  if (!inFlight) return { line, tell: false };
  const looked = { ...line, checkedAt: now, checks: (line.checks ?? 0) + 1 };
  if (state === 'closed' || (state === 'missing' && now - inFlight.acceptedAt > START_GRACE_MS))
    return { line: leaveLine(line, inFlight.workflowId), tell: false };
  return { line: looked, tell: state === 'running' && line.turn !== 'sent' };
}
