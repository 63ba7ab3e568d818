import { describe, expect, test } from 'vitest';
import {
  createDeliveryLine,
  createLineRefusals,
  EMPTY_LINE,
  joinIsRefused,
  lineFullReason,
  REFUSAL_MEMORY_MS,
  START_GRACE_MS,
  type FifoLine,
  type InFlightState,
  type LineEntry,
} from '../../domain/fifo-line.js';
import { Random } from '../support/fuzz/random.js';

const entry = (n: number): LineEntry => ({ workflowId: `event/e${n}`, eventId: `e${n}`, acceptedAt: n * 10 });
const lineOf = (...ns: number[]) => {
  const line = createDeliveryLine();
  for (const n of ns) line.join(entry(n));
  return line;
};
const waitingIds = (line: { toData(): FifoLine }) => line.toData().waiting.map((waiting) => waiting.eventId);

describe('a FIFO line', () => {
  test('keeps deliveries in the order they join, and a second join of one in line changes nothing', () => {
    const line = lineOf(3, 1, 2, 1);
    expect([waitingIds(line), line.waitingCount]).toEqual([['e3', 'e1', 'e2'], 3]);
  });

  test('gives one delivery the turn at a time, and the next once it leaves', () => {
    const line = lineOf(1, 2);
    expect(line.takeTurn(100)?.eventId).toBe('e1');
    expect(line.toData()).toMatchObject({ inFlight: { eventId: 'e1' }, turn: 'sent', checkedAt: 100, checks: 0 });
    expect([line.takeTurn(200), line.turnCanBeGiven()]).toEqual([undefined, false]);
    // The delivery in flight keeps its place against a late join of its own.
    line.join(entry(1));
    expect([waitingIds(line), line.turn]).toEqual([['e2'], 'sent']);
    line.leave('event/e1');
    expect(line.toData()).toEqual({ waiting: [entry(2)] });
    expect([line.turnCanBeGiven(), line.takeTurn(300)?.eventId]).toEqual([true, 'e2']);
    const empty = createDeliveryLine();
    expect([empty.takeTurn(300), empty.turnCanBeGiven(), empty.toData()]).toEqual([undefined, false, EMPTY_LINE]);
  });

  test('drops a waiting delivery that leaves before its turn, ignores one it does not hold, and puts one that joins again last', () => {
    const line = lineOf(1, 2, 3);
    line.leave('event/e2');
    line.leave('event/nobody');
    expect(waitingIds(line)).toEqual(['e1', 'e3']);
    line.join(entry(2));
    line.leave('event/e1');
    expect([waitingIds(line), line.takeTurn(0)?.eventId]).toEqual([['e3', 'e2'], 'e3']);
  });

  test('tells a turn again once the delivery that could not be told joins itself', () => {
    const line = createDeliveryLine({ waiting: [], inFlight: entry(1), turn: 'unsent', checkedAt: 0, checks: 0 });
    line.join(entry(1));
    expect(line.turn).toBe('resend');
    line.turnTold('event/e1', true);
    line.join(entry(1));
    expect(line.turn).toBe('sent');
  });

  test('looks in on the delivery in flight less and less often, and takes it out once it has ended or never started', () => {
    const data: FifoLine = { waiting: [entry(2)], inFlight: entry(1), turn: 'sent', checkedAt: 1_000, checks: 0 };
    expect(createDeliveryLine(data).nextCheckAt()).toBe(61_000);
    expect(createDeliveryLine({ ...data, checks: 3 }).nextCheckAt()).toBe(481_000);
    expect(createDeliveryLine({ ...data, checks: 10 }).nextCheckAt()).toBe(601_000);
    expect(createDeliveryLine().nextCheckAt()).toBeUndefined();

    const running = createDeliveryLine(data);
    expect([running.afterCheck('running', 61_000), running.toData()]).toEqual([false, { ...data, checkedAt: 61_000, checks: 1 }]);
    expect(createDeliveryLine({ ...data, turn: 'unsent' }).afterCheck('running', 61_000)).toBe(true);
    const closed = createDeliveryLine(data);
    closed.afterCheck('closed', 61_000);
    expect(closed.toData()).toEqual({ waiting: [entry(2)] });
    // Put in line by the API, its workflow not started yet: kept a while, then given up.
    const missing = createDeliveryLine(data);
    missing.afterCheck('missing', 61_000);
    expect(missing.inFlight).toEqual(entry(1));
    missing.afterCheck('missing', 10 + START_GRACE_MS + 1);
    expect(missing.inFlight).toBeUndefined();
  });

  test('records whether the delivery in flight was told, unless it left meanwhile', () => {
    const line = lineOf(1, 2);
    line.takeTurn(0);
    line.turnTold('event/e1', false);
    expect(line.turn).toBe('unsent');
    line.leave('event/e1');
    line.turnTold('event/e1', true);
    expect([line.inFlight, line.turn]).toEqual([undefined, undefined]);
  });

  test('sends every waiting delivery away at once, in order, and keeps the one in flight', () => {
    const line = lineOf(1, 2, 3, 4);
    line.takeTurn(0);
    line.leave('event/e3');
    expect(line.sendWaitingAway().map((waiting) => waiting.eventId)).toEqual(['e2', 'e4']);
    expect([line.waitingCount, line.inFlight?.eventId, line.turnCanBeGiven()]).toEqual([0, 'e1', false]);
  });

  test('undoes the joins and leaves recorded during a wait, as the line before its patch did, or keeps them', () => {
    const line = lineOf(1, 2, 3);
    line.takeTurn(0);
    line.turnTold('event/e1', false);
    const before = line.toData();
    const changes = line.recordChanges();
    line.join(entry(4));
    line.leave('event/e2');
    line.join(entry(2));
    line.join(entry(1));
    line.leave('event/e1');
    changes.undo();
    expect(line.toData()).toEqual(before);
    const kept = line.recordChanges();
    line.join(entry(5));
    kept.keep();
    // Nothing recorded once kept: an undo asked later would change nothing.
    line.join(entry(6));
    kept.undo();
    expect(waitingIds(line)).toEqual(['e2', 'e3', 'e5', 'e6']);
  });

  test('keeps its order through a long line joined twice, thinned and worked through', () => {
    // 100,000 deliveries: the immutable list it replaces copied itself at each step, for minutes at this length.
    const line = createDeliveryLine();
    const count = 100_000;
    for (let n = 0; n < count; n++) line.join(entry(n));
    for (let n = 0; n < count; n++) line.join(entry(n));
    for (let n = 1; n < count; n += 2) line.leave(`event/e${n}`);
    const turns: number[] = [];
    for (let next = line.takeTurn(0); next; next = line.takeTurn(0)) {
      turns.push(next.acceptedAt / 10);
      line.leave(next.workflowId);
    }
    expect(turns).toEqual(Array.from({ length: count / 2 }, (_, index) => index * 2));
    expect(line.toData()).toEqual(EMPTY_LINE);
  });
});

describe('the bound on a FIFO line', () => {
  test('refuses a delivery once as many wait as the bound allows, but never one in line or in flight', () => {
    const line = lineOf(1, 2, 3);
    line.takeTurn(0);
    expect(line.holds('event/e1')).toBe(true);
    expect(joinIsRefused(line, 2, 'event/e4', false)).toBe(true);
    expect(joinIsRefused(line, 3, 'event/e4', false)).toBe(false);
    // Joining again keeps a place it has, whatever the bound says.
    expect([joinIsRefused(line, 1, 'event/e2', false), joinIsRefused(line, 1, 'event/e1', true)]).toEqual([false, false]);
  });

  test('refuses again a delivery refused before, even once a place has opened', () => {
    const line = lineOf(1);
    expect(joinIsRefused(line, 2, 'event/e9', true)).toBe(true);
    expect(joinIsRefused(line, 2, 'event/e9', false)).toBe(false);
  });

  test('says why a refused delivery was cancelled and what to do', () => {
    expect(lineFullReason('ledger', 30_000)).toBe(
      'ordering: the line of ledger is full (30000 waiting, delivery.max_line); redeliver the event once it moves',
    );
  });
});

describe('the deliveries a full line refused', () => {
  test('are told once their workflow is there, and a join after that changes nothing', () => {
    const refusals = createLineRefusals();
    refusals.refuse('event/a', 0);
    expect([refusals.has('event/a', 0), refusals.toTellCount, refusals.takeToTell()]).toEqual([true, 1, ['event/a']]);
    // The API's join was refused before the workflow started: not there to be told.
    refusals.tellingEnded('event/a', false, 10);
    expect([refusals.toTellCount, refusals.carried(10)]).toEqual([
      0,
      { toTell: [], remembered: [{ workflowId: 'event/a', told: false, at: 10 }] },
    ]);
    // Its own join is refused too, and told this time.
    refusals.refuse('event/a', 20);
    expect(refusals.takeToTell()).toEqual(['event/a']);
    refusals.tellingEnded('event/a', true, 30);
    refusals.refuse('event/a', 40);
    expect([refusals.toTellCount, refusals.has('event/a', 40)]).toEqual([0, true]);
  });

  test('tell again at once one that joined while the entity waited to hear it could not be told', () => {
    const refusals = createLineRefusals();
    refusals.refuse('event/a', 0);
    refusals.refuse('event/b', 0);
    expect(refusals.takeToTell()).toEqual(['event/a', 'event/b']);
    refusals.refuse('event/a', 1);
    refusals.refuse('event/b', 1);
    expect(refusals.toTellCount).toBe(0);
    refusals.tellingEnded('event/a', false, 2);
    refusals.tellingEnded('event/b', true, 2);
    expect(refusals.takeToTell()).toEqual(['event/a']);
  });

  test('go into the next run, those to tell and those remembered, and are told or refused there alike', () => {
    const carried = { toTell: ['event/a'], remembered: [{ workflowId: 'event/b', told: false, at: 0 }] };
    const refusals = createLineRefusals(carried);
    expect([refusals.toTellCount, refusals.has('event/b', 1), refusals.carried(1)]).toEqual([1, true, carried]);
  });

  test('carry those told and those untold into the next run, forgetting only those remembered too long', () => {
    const refusals = createLineRefusals();
    for (const id of ['event/told', 'event/untold', 'event/old']) refusals.refuse(id, 0);
    refusals.takeToTell();
    refusals.tellingEnded('event/old', false, 0);
    refusals.tellingEnded('event/told', true, REFUSAL_MEMORY_MS);
    refusals.tellingEnded('event/untold', false, REFUSAL_MEMORY_MS);
    const next = createLineRefusals(refusals.carried(REFUSAL_MEMORY_MS + 1));
    expect(next.carried(REFUSAL_MEMORY_MS + 1)).toEqual({
      toTell: [],
      remembered: [
        { workflowId: 'event/told', told: true, at: REFUSAL_MEMORY_MS },
        { workflowId: 'event/untold', told: false, at: REFUSAL_MEMORY_MS },
      ],
    });
    // Told: its own join is refused, and nothing more is said. Untold: refused and told now.
    next.refuse('event/told', REFUSAL_MEMORY_MS + 2);
    next.refuse('event/untold', REFUSAL_MEMORY_MS + 2);
    expect([next.has('event/told', REFUSAL_MEMORY_MS + 2), next.takeToTell()]).toEqual([true, ['event/untold']]);
    // Forgotten, an untold one is refused only if the line is full, and then told as any other.
    expect(next.has('event/old', REFUSAL_MEMORY_MS + 2)).toBe(false);
    next.refuse('event/old', REFUSAL_MEMORY_MS + 2);
    expect(next.takeToTell()).toEqual(['event/old']);
  });

  test('keep an untold one through a burst of refusals told, each kind bounded apart', () => {
    const refusals = createLineRefusals(undefined, 2);
    refusals.refuse('event/untold', 0);
    refusals.takeToTell();
    refusals.tellingEnded('event/untold', false, 0);
    for (const id of ['event/a', 'event/b', 'event/c']) refusals.refuse(id, 1);
    for (const id of refusals.takeToTell()) refusals.tellingEnded(id, true, 1);
    expect(['event/untold', 'event/a', 'event/b', 'event/c'].map((id) => refusals.has(id, 2))).toEqual([true, false, true, true]);
  });

  test('forget those told or untold after a while, or past their bound, never one still to be told', () => {
    const refusals = createLineRefusals(undefined, 2);
    for (const id of ['event/a', 'event/b', 'event/c']) refusals.refuse(id, 0);
    for (const id of refusals.takeToTell()) refusals.tellingEnded(id, true, 0);
    expect(['event/a', 'event/b', 'event/c'].map((id) => refusals.has(id, 1))).toEqual([false, true, true]);
    // A join long after is a new delivery under the same id (the event sent again): no longer refused for its own sake.
    expect(refusals.has('event/c', REFUSAL_MEMORY_MS)).toBe(false);
    expect(refusals.carried(REFUSAL_MEMORY_MS)).toBeUndefined();
    for (const id of ['event/d', 'event/e', 'event/f']) refusals.refuse(id, 0);
    expect(refusals.takeToTell()).toEqual(['event/d', 'event/e', 'event/f']);
  });
});

/** The line's rules as immutable data, as the entity kept them before: the reference the line is checked against. */
const model = {
  join(line: FifoLine, joining: LineEntry): FifoLine {
    if (line.inFlight?.workflowId === joining.workflowId) return line.turn === 'unsent' ? { ...line, turn: 'resend' } : line;
    if (line.waiting.some((waiting) => waiting.workflowId === joining.workflowId)) return line;
    return { ...line, waiting: [...line.waiting, joining] };
  },
  leave(line: FifoLine, workflowId: string): FifoLine {
    const waiting = line.waiting.filter((waiting) => waiting.workflowId !== workflowId);
    return line.inFlight?.workflowId === workflowId ? { waiting } : { ...line, waiting };
  },
  takeTurn(line: FifoLine, now: number): FifoLine {
    const [first, ...rest] = line.waiting;
    return line.inFlight || !first ? line : { waiting: rest, inFlight: first, turn: 'sent', checkedAt: now, checks: 0 };
  },
  afterCheck(line: FifoLine, state: InFlightState, now: number): { readonly line: FifoLine; readonly tell: boolean } {
    if (!line.inFlight) return { line, tell: false };
    if (state === 'closed' || (state === 'missing' && now - line.inFlight.acceptedAt > START_GRACE_MS))
      return { line: { waiting: line.waiting }, tell: false };
    return { line: { ...line, checkedAt: now, checks: (line.checks ?? 0) + 1 }, tell: state === 'running' && line.turn !== 'sent' };
  },
  turnTold(line: FifoLine, workflowId: string, told: boolean): FifoLine {
    return line.inFlight?.workflowId === workflowId ? { ...line, turn: told ? 'sent' : 'unsent' } : line;
  },
};

describe('a FIFO line, against the immutable rules it replaces', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'gives the same line after a random run of joins, leaves, turns, looks and undone waits (seed %i)',
    (seed) => {
      const random = new Random(seed);
      // Half the runs start from a line carried into a run: some waiting, one in flight and untold.
      const carried: FifoLine =
        seed % 2 === 0 ? { waiting: [entry(41), entry(42)], inFlight: entry(43), turn: 'unsent', checkedAt: 0, checks: 2 } : EMPTY_LINE;
      const line = createDeliveryLine(carried);
      let expected: FifoLine = carried;
      let recorded: { changes: ReturnType<typeof line.recordChanges>; before: FifoLine } | undefined;
      for (let step = 0; step < 3_000; step++) {
        const someone = entry(random.int(1, 44));
        const operation = random.weighted<string>([
          [5, 'join'],
          [3, 'leave'],
          [2, 'turn'],
          [1, 'look'],
          [1, 'told'],
          [1, 'wait'],
        ]);
        if (operation === 'join') {
          line.join(someone);
          expected = model.join(expected, someone);
        } else if (operation === 'leave') {
          const leaving = random.chance(0.3) && expected.inFlight ? expected.inFlight.workflowId : someone.workflowId;
          line.leave(leaving);
          expected = model.leave(expected, leaving);
        } else if (recorded) {
          // Only joins and leaves come during a wait; anything else ends it, as the entity's loop does.
          if (random.chance(0.5)) {
            recorded.changes.undo();
            expected = recorded.before;
          } else recorded.changes.keep();
          recorded = undefined;
        } else if (operation === 'turn') {
          const next = expected.inFlight ? undefined : expected.waiting[0];
          expect(line.takeTurn(step)).toBe(next);
          expected = model.takeTurn(expected, step);
        } else if (operation === 'look') {
          const state = random.pick<InFlightState>(['running', 'closed', 'missing']);
          const now = step * 100;
          const looked = model.afterCheck(expected, state, now);
          expect(line.afterCheck(state, now)).toBe(looked.tell);
          expected = looked.line;
        } else if (operation === 'told') {
          const told = random.chance(0.5);
          // Mostly the one in flight; now and then one that is not (it left while it was told).
          const workflowId = random.chance(0.8) && expected.inFlight ? expected.inFlight.workflowId : someone.workflowId;
          line.turnTold(workflowId, told);
          expected = model.turnTold(expected, workflowId, told);
        } else {
          recorded = { changes: line.recordChanges(), before: expected };
        }
        expect(line.toData()).toEqual(expected);
        expect([line.waitingCount, line.turnCanBeGiven()]).toEqual([
          expected.waiting.length,
          !expected.inFlight && expected.waiting.length > 0,
        ]);
      }
    },
  );
});
