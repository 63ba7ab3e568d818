import { describe, expect, test } from 'vitest';
import { formatDurationMs, parseDurationMs } from '../../domain/duration.js';
import { DurationSchema } from '../../domain/duration-schema.js';

describe('parseDurationMs', () => {
  test.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    [' 10s ', 10_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  test.each(['', '15', 's', '5 m', '5mins', '-5s', '1h 30m', 'PT5M'])('%j is not a duration', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('formatDurationMs', () => {
  test.each([
    [0, '0s'],
    [250, '250ms'],
    [5_000, '5s'],
    [300_000, '5m'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [90_061_001, '1d1h1m1s1ms'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });

  test('round-trips through parseDurationMs', () => {
    for (const ms of [1, 999, 1_000, 61_000, 3_600_000, 123_456_789]) expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
  });
});

describe('DurationSchema', () => {
  test('turns a duration into milliseconds', () => {
    expect(DurationSchema.parse('5m')).toBe(300_000);
  });

  test('refuses a bare number with a hint to add a unit', () => {
    const result = DurationSchema.safeParse('15');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/with a unit/);
  });
});
