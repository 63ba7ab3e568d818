/**
 * An endpoint's attempts over the last day, counted by the minute for the last hour and by the hour before that:
 * what the health view's 5-minute, 1-hour and 24-hour success rates are read from. Each bucket is a tuple,
 * `[start, delivered, failed]` with `start` in minutes since the epoch, since the entity shows them in its memo on
 * every report, and tuples keep that small (the whole day fits in under 2 KB).
 */
export interface RecentAttempts {
  readonly minutes: readonly CountBucket[];
  readonly hours: readonly CountBucket[];
}

/** `[start in minutes since the epoch, delivered, failed]`. */
export type CountBucket = readonly [start: number, delivered: number, failed: number];

/** Attempt counts over a window. */
export interface AttemptCounts {
  readonly delivered: number;
  readonly failed: number;
}

export const NO_RECENT_ATTEMPTS: RecentAttempts = { minutes: [], hours: [] };

/** The windows the health view shows, in minutes. */
export const HEALTH_WINDOWS = { '5m': 5, '1h': 60, '24h': 1_440 } as const;
export type HealthWindow = keyof typeof HEALTH_WINDOWS;

const MINUTE_MS = 60_000;
const MINUTES_KEPT = 60;
const HOURS_KEPT = 24;

/** The minute an instant falls in, as a bucket's start. */
export function minuteOf(at: Date | number): number {
  return Math.floor((typeof at === 'number' ? at : at.getTime()) / MINUTE_MS);
}

/** Adds reported minute buckets, and drops what has left the last hour (minutes) and the last day (hours). Pure. */
export function addRecentAttempts(recent: RecentAttempts, reported: readonly CountBucket[], now: Date): RecentAttempts {
  const nowMinute = minuteOf(now);
  const minutes = merge(recent.minutes, reported, (start) => start).filter(([start]) => start > nowMinute - MINUTES_KEPT);
  const hours = merge(recent.hours, reported, (start) => start - (start % 60)).filter(([start]) => start > nowMinute - HOURS_KEPT * 60);
  return { minutes, hours };
}

/**
 * The counts of the last `windowMinutes` before `now`. Up to an hour they are exact to the minute; beyond, they are
 * counted by the hour, so the 24-hour window takes in the whole of the hour it begins in.
 */
export function countRecentAttempts(recent: RecentAttempts, now: Date, windowMinutes: number): AttemptCounts {
  const since = minuteOf(now) - windowMinutes;
  const buckets = windowMinutes <= MINUTES_KEPT ? recent.minutes : recent.hours.filter(([start]) => start + 60 > since);
  return buckets
    .filter(([start]) => windowMinutes > MINUTES_KEPT || start > since)
    .reduce((sum, [, delivered, failed]) => ({ delivered: sum.delivered + delivered, failed: sum.failed + failed }), {
      delivered: 0,
      failed: 0,
    });
}

function merge(kept: readonly CountBucket[], added: readonly CountBucket[], bucketOf: (start: number) => number): CountBucket[] {
  const sums = new Map<number, [number, number]>(kept.map(([start, delivered, failed]) => [start, [delivered, failed]]));
  for (const [start, delivered, failed] of added) {
    const bucket = bucketOf(start);
    const sum = sums.get(bucket) ?? [0, 0];
    sums.set(bucket, [sum[0] + delivered, sum[1] + failed]);
  }
  return [...sums].sort(([a], [b]) => a - b).map(([start, [delivered, failed]]) => [start, delivered, failed] as const);
}
