import { describe, expect, test } from 'vitest';
import {
  afterCheck,
  EMPTY_LINE,
  joinLine,
  leaveLine,
  nextCheckAt,
  START_GRACE_MS,
  takeTurn,
  turnCanBeGiven,
  withTurnTold,
  type FifoLine,
  type LineEntry,
} from '../../domain/fifo-line.js';

const entry = (n: number): LineEntry => ({ workflowId: `event/e${n}`, eventId: `e${n}`, acceptedAt: n * 10 });

describe('a FIFO line', () => {
  test('keeps deliveries in the order they join, and a second join of one in line changes nothing', () => {
    const line = [3, 1, 2, 1].reduce<FifoLine>((current, n) => joinLine(current, entry(n)), EMPTY_LINE);
    expect(line.waiting.map((waiting) => waiting.eventId)).toEqual(['e3', 'e1', 'e2']);
  });

  test('gives one delivery the turn at a time, and the next once it leaves', () => {
    let line = [1, 2].reduce<FifoLine>((current, n) => joinLine(current, entry(n)), EMPTY_LINE);
    const first = takeTurn(line, 100);
    expect(first?.entry.eventId).toBe('e1');
    line = first?.line ?? line;
    expect(line).toMatchObject({ inFlight: { eventId: 'e1' }, checkedAt: 100 });
    expect([takeTurn(line, 200), turnCanBeGiven(line)]).toEqual([undefined, false]);
    // The delivery in flight keeps its place against a late join of its own.
    expect(joinLine(line, entry(1))).toBe(line);
    line = leaveLine(line, 'event/e1');
    expect([turnCanBeGiven(line), takeTurn(line, 300)?.entry.eventId]).toEqual([true, 'e2']);
    expect([takeTurn(EMPTY_LINE, 300), turnCanBeGiven(EMPTY_LINE)]).toEqual([undefined, false]);
  });

  test('drops a waiting delivery that leaves before its turn, and ignores one it does not hold', () => {
    const line = [1, 2, 3].reduce<FifoLine>((current, n) => joinLine(current, entry(n)), EMPTY_LINE);
    expect(leaveLine(line, 'event/e2').waiting.map((waiting) => waiting.eventId)).toEqual(['e1', 'e3']);
    expect(leaveLine(line, 'event/nobody')).toBe(line);
  });

  test('tells a turn again once the delivery that could not be told joins itself', () => {
    const line: FifoLine = { waiting: [], inFlight: entry(1), turn: 'unsent', checkedAt: 0, checks: 0 };
    expect(joinLine(line, entry(1)).turn).toBe('resend');
    const told: FifoLine = { ...line, turn: 'sent' };
    expect(joinLine(told, entry(1))).toBe(told);
  });

  test('looks in on the delivery in flight less and less often, and takes it out once it has ended or never started', () => {
    const line: FifoLine = { waiting: [entry(2)], inFlight: entry(1), turn: 'sent', checkedAt: 1_000, checks: 0 };
    expect(nextCheckAt(line)).toBe(61_000);
    expect(nextCheckAt({ ...line, checks: 3 })).toBe(481_000);
    expect(nextCheckAt({ ...line, checks: 10 })).toBe(601_000);
    expect(nextCheckAt(EMPTY_LINE)).toBeUndefined();

    expect(afterCheck(line, 'running', 61_000)).toEqual({ line: { ...line, checkedAt: 61_000, checks: 1 }, tell: false });
    expect(afterCheck({ ...line, turn: 'unsent' }, 'running', 61_000).tell).toBe(true);
    expect(afterCheck(line, 'closed', 61_000).line).toEqual({ waiting: [entry(2)] });
    // Put in line by the API, its workflow not started yet: kept a while, then given up.
    expect(afterCheck(line, 'missing', 61_000).line.inFlight).toEqual(entry(1));
    expect(afterCheck(line, 'missing', 10 + START_GRACE_MS + 1).line.inFlight).toBeUndefined();
  });

  test('records whether the delivery in flight was told, unless it left meanwhile', () => {
    const inFlight = { ...(takeTurn(joinLine(EMPTY_LINE, entry(1)), 0)?.line as FifoLine), turn: 'resend' as const };
    const joinedMeanwhile = joinLine(inFlight, entry(2));
    expect(withTurnTold(joinedMeanwhile, 'event/e1', true)).toEqual({ ...joinedMeanwhile, turn: 'sent' });
    expect(withTurnTold(joinedMeanwhile, 'event/e1', false)).toEqual({ ...joinedMeanwhile, turn: 'unsent' });
    const left = leaveLine(joinedMeanwhile, 'event/e1');
    expect(withTurnTold(left, 'event/e1', true)).toBe(left);
  });
});
