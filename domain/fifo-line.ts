/**
 * The line of an endpoint with `ordering: fifo`: its deliveries go one at a time, in the order they joined. No I/O:
 * the endpoint's entity keeps the line and runs these rules.
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

/** An endpoint's line as plain data: what the `line` query answers and the next run's input carries. */
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

/** What a look at the delivery in flight found: its workflow running, closed, or not there (yet). */
export type InFlightState = 'running' | 'closed' | 'missing';

/** How long a delivery put in line by the API may take to start before its place is given up. */
export const START_GRACE_MS = 120_000;

/**
 * An endpoint's line, kept by its entity. A line may be tens of thousands long (a FIFO endpoint paused over a weekend
 * keeps every new event in line), and each delivery joins twice and leaves once, each by a signal of its own: kept as
 * an immutable list, copied and searched at each, 20,000 deliveries cost the entity's one workflow thread 27 s. Here a
 * join, a leave and a turn cost the same however long the line is; only `toData` walks it.
 */
export interface DeliveryLine {
  readonly inFlight: LineEntry | undefined;
  readonly turn: FifoLine['turn'];
  readonly waitingCount: number;
  /** Whether the delivery of `workflowId` waits in the line or is in flight. */
  holds(workflowId: string): boolean;
  /** Puts a delivery at the end of the line; one already in line keeps its place, and the one in flight is told again. */
  join(entry: LineEntry): void;
  /** Takes out the delivery of `workflowId`, which is done (or was cancelled while it waited). */
  leave(workflowId: string): void;
  /** Whether a turn can be given: one waits, and none is in flight. */
  turnCanBeGiven(): boolean;
  /** Gives the head of the line the turn at `now`, and returns it; undefined while one is in flight. */
  takeTurn(now: number): LineEntry | undefined;
  /** Records whether the delivery in flight was told its turn; nothing when it is no longer in flight (it left). */
  turnTold(workflowId: string, told: boolean): void;
  /** When the delivery in flight is next looked in on: after a minute, then half as often each time, up to every 10. */
  nextCheckAt(): number | undefined;
  /**
   * Applies a look at the delivery in flight at `now`: one that has closed, or was never started within the grace, is
   * taken out. True when its turn should be told again.
   */
  afterCheck(state: InFlightState, now: number): boolean;
  /** Takes every waiting delivery out of the line, in order (a disabled endpoint sends them away). */
  sendWaitingAway(): readonly LineEntry[];
  /**
   * Starts recording joins and leaves, until the answer's `keep` or `undo`: `undo` puts the line back as it was when
   * recording began. Only joins and leaves may come in between (the entity's signal handlers, while it waits).
   */
  recordChanges(): RecordedChanges;
  toData(): FifoLine;
}

/** The delivery in flight and what the line knows of its turn. */
type Flight = Omit<FifoLine, 'waiting' | 'inFlight'> & { readonly inFlight: LineEntry };

interface Place {
  readonly entry: LineEntry;
}

/** The joins and leaves since {@link DeliveryLine.recordChanges}: kept, or undone. */
export interface RecordedChanges {
  keep(): void;
  undo(): void;
}

// Each entity's line lives in its own closure; workflows share this module, frozen, and it keeps nothing at its top
// level.
export function createDeliveryLine(initial: FifoLine = EMPTY_LINE): DeliveryLine {
  // The waiting hold the places from `head` on that `places` still points at: a leave only forgets the place, which is
  // skipped once it reaches the head, or dropped when the list is compacted. A place per join, not the entry itself: a
  // delivery that leaves and joins again is behind, once.
  let entries: Place[] = [];
  let head = 0;
  const places = new Map<string, Place>();
  let flight: Flight | undefined;
  // Undo steps while changes are recorded, the latest last.
  let undoSteps: (() => void)[] | undefined;

  const isWaiting = (place: Place): boolean => places.get(place.entry.workflowId) === place;
  const waitingInOrder = (): LineEntry[] =>
    entries
      .slice(head)
      .filter(isWaiting)
      .map((place) => place.entry);
  const skipLeft = (): void => {
    while (head < entries.length && !isWaiting(entries[head] as Place)) head += 1;
  };
  // Never while recording: an undo finds each entry where it was.
  const compact = (): void => {
    if (undoSteps) return;
    skipLeft();
    if (entries.length - head > 2 * places.size + 64) {
      entries = entries.slice(head).filter(isWaiting);
      head = 0;
    } else if (head > 64 && head * 2 >= entries.length) {
      entries.splice(0, head);
      head = 0;
    }
  };

  const line: DeliveryLine = {
    get inFlight() {
      return flight?.inFlight;
    },
    get turn() {
      return flight?.turn;
    },
    get waitingCount() {
      return places.size;
    },
    holds: (workflowId) => places.has(workflowId) || flight?.inFlight.workflowId === workflowId,
    join(entry) {
      // The delivery in flight joins itself once its workflow runs: a turn it could not be told is told now.
      if (flight?.inFlight.workflowId === entry.workflowId) {
        if (flight.turn !== 'unsent') return;
        const before = flight;
        flight = { ...flight, turn: 'resend' };
        undoSteps?.push(() => void (flight = before));
        return;
      }
      if (places.has(entry.workflowId)) return;
      const place = { entry };
      entries.push(place);
      places.set(entry.workflowId, place);
      undoSteps?.push(() => {
        entries.pop();
        places.delete(entry.workflowId);
      });
    },
    leave(workflowId) {
      const place = places.get(workflowId);
      if (place) {
        places.delete(workflowId);
        undoSteps?.push(() => void places.set(workflowId, place));
        compact();
        return;
      }
      if (flight?.inFlight.workflowId !== workflowId) return;
      const before = flight;
      flight = undefined;
      undoSteps?.push(() => void (flight = before));
    },
    turnCanBeGiven: () => !flight && places.size > 0,
    takeTurn(now) {
      if (flight) return undefined;
      skipLeft();
      const next = entries[head]?.entry;
      if (!next) return undefined;
      places.delete(next.workflowId);
      head += 1;
      compact();
      flight = { inFlight: next, turn: 'sent', checkedAt: now, checks: 0 };
      return next;
    },
    turnTold(workflowId, told) {
      if (flight?.inFlight.workflowId === workflowId) flight = { ...flight, turn: told ? 'sent' : 'unsent' };
    },
    nextCheckAt: () => (flight ? (flight.checkedAt ?? 0) + Math.min(60_000 * 2 ** (flight.checks ?? 0), 600_000) : undefined),
    afterCheck(state, now) {
      if (!flight) return false;
      if (state === 'closed' || (state === 'missing' && now - flight.inFlight.acceptedAt > START_GRACE_MS)) {
        flight = undefined;
        return false;
      }
      flight = { ...flight, checkedAt: now, checks: (flight.checks ?? 0) + 1 };
      return state === 'running' && flight.turn !== 'sent';
    },
    sendWaitingAway() {
      const waiting = waitingInOrder();
      entries = [];
      head = 0;
      places.clear();
      return waiting;
    },
    recordChanges() {
      let steps: (() => void)[] = [];
      undoSteps = steps;
      // Once kept or undone, the recording is over: a second answer changes nothing.
      const stop = (): (() => void)[] => {
        if (undoSteps === steps) undoSteps = undefined;
        const taken = steps;
        steps = [];
        return taken;
      };
      return {
        keep: () => void stop(),
        undo() {
          for (const step of stop().reverse()) step();
        },
      };
    },
    toData() {
      const waiting = waitingInOrder();
      return flight ? { waiting, ...flight } : { waiting };
    },
  };
  for (const entry of initial.waiting) line.join(entry);
  if (initial.inFlight) {
    const { waiting: _waiting, ...carried } = initial;
    flight = { inFlight: initial.inFlight, ...carried };
  }
  return line;
}

/**
 * Whether a delivery asking to join is refused: the line holds its most already, and the delivery is not in it. A
 * delivery refused once stays refused (`refusedBefore`), even if a place opened since: it joins twice (by the API,
 * then by itself), and would otherwise take a place behind deliveries accepted after it.
 */
export function joinIsRefused(
  line: Pick<DeliveryLine, 'waitingCount' | 'holds'>,
  maxLength: number,
  workflowId: string,
  refusedBefore: boolean,
): boolean {
  if (line.holds(workflowId)) return false;
  return refusedBefore || line.waitingCount >= maxLength;
}

/** The deliveries a full line refused that its entity remembers, carried into its next run. */
export interface RefusedByLine {
  /** Refused, and to be told at once. */
  readonly toTell: readonly string[];
  /** Refused and told (it has ended cancelled), or found not there yet (it is told when it joins itself). */
  readonly remembered: readonly RememberedRefusal[];
}

export interface RememberedRefusal {
  readonly workflowId: string;
  readonly told: boolean;
  /** Epoch ms at which it was told, or found not there. */
  readonly at: number;
}

/**
 * How long a refusal is remembered once told, or found not there: a delivery's own join follows the API's within
 * seconds, unless its first workflow task waits longer than this on a backlogged task queue.
 */
export const REFUSAL_MEMORY_MS = 600_000;

/**
 * The deliveries a full line has refused, as its entity remembers them. Each delivery joins twice (by the API, then
 * by itself); its second join is refused too, even if a place opened meanwhile, so that it never goes behind events
 * accepted after it. A refused delivery is told once it can be: its workflow may not be there yet when the API's join
 * is refused, and is there once it joins itself. Those still to be told are kept until told; those told or found not
 * there for {@link REFUSAL_MEMORY_MS}, at most `most` told and `most` not there (the oldest of each forgotten first),
 * so that what the next run carries stays small.
 */
export interface LineRefusals {
  /** Whether a join of the delivery is refused whatever the line's length: it was refused a moment ago. */
  has(workflowId: string, now: number): boolean;
  /** Refuses a join of the delivery: it is to be told, unless it was told (it has ended cancelled) or is being told. */
  refuse(workflowId: string, now: number): void;
  readonly toTellCount: number;
  /** The refused still to be told, now being told. */
  takeToTell(): readonly string[];
  /**
   * What telling a refused delivery found at `now`: told, or its workflow not there. Not there, it is told again at
   * once if it joined meanwhile (its workflow is there now), or else when it joins.
   */
  tellingEnded(workflowId: string, told: boolean, now: number): void;
  /** What the next run starts from; undefined when there is nothing to carry. */
  carried(now: number): RefusedByLine | undefined;
}

export function createLineRefusals(carried?: RefusedByLine, most = 2_000): LineRefusals {
  // Refusals not told yet: to tell, being told, or being told when the delivery joined again.
  const pending = new Map<string, 'toTell' | 'telling' | 'joinedWhileTelling'>();
  const toTell = new Set<string>();
  // Told, and found not there, each oldest first and bounded apart: a burst of refusals told must not push out one
  // still owed its telling when it joins itself.
  const rememberedTold = new Map<string, RememberedRefusal>();
  const rememberedUntold = new Map<string, RememberedRefusal>();
  const forget = (workflowId: string): void => {
    rememberedTold.delete(workflowId);
    rememberedUntold.delete(workflowId);
  };
  const markToTell = (workflowId: string): void => {
    forget(workflowId);
    pending.set(workflowId, 'toTell');
    toTell.add(workflowId);
  };
  const remember = (refusal: RememberedRefusal): void => {
    forget(refusal.workflowId);
    const kept = refusal.told ? rememberedTold : rememberedUntold;
    kept.set(refusal.workflowId, refusal);
    for (const [oldest] of kept) {
      if (kept.size <= most) break;
      kept.delete(oldest);
    }
  };
  const recalled = (workflowId: string, now: number): RememberedRefusal | undefined => {
    const refusal = rememberedTold.get(workflowId) ?? rememberedUntold.get(workflowId);
    return refusal && now - refusal.at < REFUSAL_MEMORY_MS ? refusal : undefined;
  };
  const lineRefusals: LineRefusals = {
    has: (workflowId, now) => pending.has(workflowId) || recalled(workflowId, now) !== undefined,
    refuse(workflowId, now) {
      const state = pending.get(workflowId);
      if (state === 'telling') pending.set(workflowId, 'joinedWhileTelling');
      if (state !== undefined || recalled(workflowId, now)?.told) return;
      markToTell(workflowId);
    },
    get toTellCount() {
      return toTell.size;
    },
    takeToTell() {
      const taken = [...toTell];
      toTell.clear();
      for (const workflowId of taken) pending.set(workflowId, 'telling');
      return taken;
    },
    tellingEnded(workflowId, told, now) {
      const state = pending.get(workflowId);
      if (state !== 'telling' && state !== 'joinedWhileTelling') return;
      pending.delete(workflowId);
      if (!told && state === 'joinedWhileTelling') markToTell(workflowId);
      else remember({ workflowId, told, at: now });
    },
    carried(now) {
      const kept = [...rememberedTold.values(), ...rememberedUntold.values()].filter((refusal) => now - refusal.at < REFUSAL_MEMORY_MS);
      return pending.size > 0 || kept.length > 0 ? { toTell: [...pending.keys()], remembered: kept } : undefined;
    },
  };
  for (const refusal of carried?.remembered ?? []) remember(refusal);
  for (const workflowId of carried?.toTell ?? []) markToTell(workflowId);
  return lineRefusals;
}

/** Why a delivery refused by a full line was cancelled: what the operator reads, and what to do. */
export function lineFullReason(endpointId: string, maxLength: number): string {
  return `ordering: the line of ${endpointId} is full (${maxLength} waiting, delivery.max_line); redeliver the event once it moves`;
}
