import { describe, expect, test } from 'vitest';
import { addRecentAttempts, countRecentAttempts, minuteOf, NO_RECENT_ATTEMPTS } from '../../domain/recent-attempts.js';

const now = new Date('2026-03-01T12:00:30Z');
const minute = minuteOf(now);

describe('recent attempts', () => {
  test('sums reports into minute and hour buckets', () => {
    let recent = addRecentAttempts(NO_RECENT_ATTEMPTS, [[minute, 3, 1]], now);
    recent = addRecentAttempts(
      recent,
      [
        [minute, 2, 0],
        [minute - 1, 0, 4],
      ],
      now,
    );
    expect(recent.minutes).toEqual([
      [minute - 1, 0, 4],
      [minute, 5, 1],
    ]);
    // 12:00 starts an hour; 11:59 belongs to the hour before.
    expect(recent.hours).toEqual([
      [minute - 60, 0, 4],
      [minute, 5, 1],
    ]);
  });

  test('counts the last 5 minutes and the last hour to the minute, the last day by the hour', () => {
    const recent = addRecentAttempts(
      NO_RECENT_ATTEMPTS,
      [
        [minute, 1, 0],
        [minute - 4, 0, 1],
        [minute - 5, 10, 0],
        [minute - 59, 0, 2],
        [minute - 61, 7, 0],
        [minute - 23 * 60, 0, 9],
      ],
      now,
    );
    expect(countRecentAttempts(recent, now, 5)).toEqual({ delivered: 1, failed: 1 });
    expect(countRecentAttempts(recent, now, 60)).toEqual({ delivered: 11, failed: 3 });
    expect(countRecentAttempts(recent, now, 1_440)).toEqual({ delivered: 18, failed: 12 });
  });

  test('forgets minutes older than an hour and hours older than a day', () => {
    const then = new Date(now.getTime() - 90 * 60_000);
    const old = addRecentAttempts(NO_RECENT_ATTEMPTS, [[minuteOf(then), 4, 0]], then);
    const later = addRecentAttempts(old, [], now);
    expect(later.minutes).toEqual([]);
    expect(countRecentAttempts(later, now, 1_440)).toEqual({ delivered: 4, failed: 0 });
    const nextDay = new Date(now.getTime() + 24 * 3_600_000);
    expect(addRecentAttempts(later, [], nextDay)).toEqual(NO_RECENT_ATTEMPTS);
  });
});
