/**
 * The Standard Webhooks retry schedule, as delays before each retry: the first attempt is immediate, then
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h later (about 3 days in all).
 */
export const STANDARD_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000,
];

/** The delay before attempt `attempt + 1` after attempt number `attempt` (1-based) failed, or `undefined` when none is left. */
export function nextRetryDelayMs(scheduleMs: readonly number[], attempt: number): number | undefined {
  return scheduleMs[attempt - 1];
}
