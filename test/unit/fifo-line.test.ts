import { describe, expect, test } from 'vitest';
import { EMPTY_LINE, joinLine, leaveLine, takeTurn, type FifoLine, type LineEntry } from '../../domain/fifo-line.js';

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
    expect(takeTurn(line, 200)).toBeUndefined();
    // The delivery in flight keeps its place against a late join of its own.
    expect(joinLine(line, entry(1))).toBe(line);
    line = leaveLine(line, 'event/e1');
    expect(takeTurn(line, 300)?.entry.eventId).toBe('e2');
    expect(takeTurn(EMPTY_LINE, 300)).toBeUndefined();
  });

  test('drops a waiting delivery that leaves before its turn, and ignores one it does not hold', () => {
    const line = [1, 2, 3].reduce<FifoLine>((current, n) => joinLine(current, entry(n)), EMPTY_LINE);
    expect(leaveLine(line, 'event/e2').waiting.map((waiting) => waiting.eventId)).toEqual(['e1', 'e3']);
    expect(leaveLine(line, 'event/nobody')).toBe(line);
  });
});
