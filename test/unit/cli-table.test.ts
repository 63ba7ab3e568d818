import { describe, expect, test } from 'vitest';
import { formatFields, formatTable, relativeTime } from '../../cli/table.js';

describe('formatTable', () => {
  const columns = [
    { heading: 'id', value: (row: { id: string; note?: string }) => row.id },
    { heading: 'note', value: (row: { id: string; note?: string }) => row.note },
  ];

  test('aligns columns under upper-case headings and shows an empty cell as -', () => {
    expect(formatTable([{ id: 'crm', note: 'ok' }, { id: 'pagerduty' }], columns)).toBe(
      ['ID         NOTE', 'crm        ok', 'pagerduty  -'].join('\n'),
    );
  });

  test('cuts a long cell and folds its whitespace, so one row stays one line', () => {
    const [, row] = formatTable([{ id: 'x', note: `line one\nline two ${'y'.repeat(100)}` }], columns).split('\n');
    expect(row).toMatch(/^x {3}line one line two y+…$/);
    expect(row?.length).toBe(4 + 60);
  });

  test('prints only headings when there are no rows', () => {
    expect(formatTable([], columns)).toBe('ID  NOTE');
  });
});

describe('formatFields', () => {
  test('aligns values and leaves out empty fields', () => {
    expect(
      formatFields([
        ['event', 'e1'],
        ['reason', undefined],
        ['status', 'held'],
      ]),
    ).toBe('event:  e1\nstatus: held');
  });
});

describe('relativeTime', () => {
  const now = new Date('2026-11-23T12:00:00Z');

  test.each([
    ['2026-11-23T11:59:48Z', '12s ago'],
    ['2026-11-23T12:05:00Z', 'in 5m'],
    ['2026-11-23T09:00:00Z', '3h ago'],
    ['2026-11-20T12:00:00Z', '3d ago'],
  ])('%s is %s', (iso, expected) => {
    expect(relativeTime(iso, now)).toBe(expected);
  });

  test('keeps text that is not a time, and gives nothing for nothing', () => {
    expect(relativeTime('soon', now)).toBe('soon');
    expect(relativeTime(undefined, now)).toBeUndefined();
  });
});
