import { describe, expect, test } from 'vitest';
import { EMPTY_LINE, joinLine, leaveLine, nextTurn, type FifoLine, type LineEntry } from '../../domain/fifo-line.js';

const entry = (n: number, acceptedAt = n * 10): LineEntry => ({ workflowId: `event/e${n}`, eventId: `e${n}`, acceptedAt });

describe('a FIFO line', () => {
  test('orders deliveries by acceptance, whatever order they join in, and ignores a second join', () => {
    let line: FifoLine = EMPTY_LINE;
    for (const n of [3, 1, 2, 1]) line = joinLine(line, entry(n));
    expect(line.waiting.map((waiting) => waiting.eventId)).toEqual(['e1', 'e2', 'e3']);
    // The same instant: the event id decides.
    line = joinLine(line, { workflowId: 'event/e0', eventId: 'e0', acceptedAt: 20 });
    expect(line.waiting.map((waiting) => waiting.eventId)).toEqual(['e1', 'e0', 'e2', 'e3']);
  });

  test('lets one delivery go at a time, its head only once settled, and the next when it leaves', () => {
    let line: FifoLine = [1, 2].reduce((current, n) => joinLine(current, entry(n)), EMPTY_LINE);
    expect(nextTurn(line, 100, 500)).toEqual({ kind: 'wait', untilMs: 510 });
    const first = nextTurn(line, 510, 500);
    expect(first).toMatchObject({ kind: 'turn', entry: { eventId: 'e1' } });
    line = first.kind === 'turn' ? first.line : line;
    expect(nextTurn(line, 10_000, 500)).toEqual({ kind: 'none' });
    // A delivery in flight keeps its place against a late join of its own.
    expect(joinLine(line, entry(1))).toBe(line);
    line = leaveLine(line, 'event/e1');
    expect(nextTurn(line, 10_000, 500)).toMatchObject({ kind: 'turn', entry: { eventId: 'e2' } });
  });

  test('drops a waiting delivery that leaves before its turn', () => {
    const line = [1, 2, 3].reduce((current, n) => joinLine(current, entry(n)), EMPTY_LINE);
    expect(leaveLine(line, 'event/e2').waiting.map((waiting) => waiting.eventId)).toEqual(['e1', 'e3']);
    expect(leaveLine(line, 'event/nobody')).toBe(line);
  });
});
