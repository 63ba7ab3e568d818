import { setTimeout as delay } from 'node:timers/promises';

/** Sends one event and resolves once every request it causes has arrived, with each arrival's latency in ms. */
export type SendEvent = (index: number) => Promise<number[]>;

/** Throughput and latency of one run. */
export interface LoadResult {
  readonly events: number;
  readonly eventsPerSecond: number;
  /** POST sent → request received, one per delivery, sorted. */
  readonly latenciesMs: readonly number[];
}

/** The value at `fraction` (0.5 for the median) of sorted numbers. */
export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** The middle of unsorted numbers; with an even count (two rounds of --controls), the mean of the middle two. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? Number.NaN;
  return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/**
 * Closed loop: `producers` each send an event and wait for its deliveries before the next, until `events` were sent
 * or `timeLimitMs` passed (then it stops and says how many it managed). Measures the most a system sustains.
 */
export async function closedLoop(send: SendEvent, producers: number, events: number, timeLimitMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const deadline = performance.now() + timeLimitMs;
  let next = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < events && performance.now() < deadline) {
        latencies.push(...(await send(next++)));
        done++;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  return { events: done, eventsPerSecond: (done / elapsedMs) * 1_000, latenciesMs: latencies.sort((a, b) => a - b) };
}

/**
 * Open loop: one event every 1/`ratePerSecond` s, whatever the system does, for `durationMs`.
 * Latency under a load the system is not driving is what producers see.
 */
export async function openLoop(send: SendEvent, ratePerSecond: number, durationMs: number): Promise<LoadResult> {
  const { results, elapsedMs } = await openLoopOf(send, ratePerSecond, durationMs);
  const latencies = results.flat();
  return { events: results.length, eventsPerSecond: (results.length / elapsedMs) * 1_000, latenciesMs: latencies.sort((a, b) => a - b) };
}

/** {@link openLoop}'s schedule, with whatever each send resolves with, in the order sent. */
export async function openLoopOf<T>(
  send: (index: number) => Promise<T>,
  ratePerSecond: number,
  durationMs: number,
): Promise<{ readonly results: T[]; readonly elapsedMs: number }> {
  const count = Math.floor((ratePerSecond * durationMs) / 1_000);
  const intervalMs = 1_000 / ratePerSecond;
  const started = performance.now();
  const inFlight: Promise<T>[] = [];
  for (let index = 0; index < count; index++) {
    const due = started + index * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await delay(wait);
    inFlight.push(send(index));
  }
  const results = await Promise.all(inFlight);
  return { results, elapsedMs: performance.now() - started };
}
