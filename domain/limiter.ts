/** Runs tasks with at most a fixed number at once; the rest wait their turn, first come first served. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * A {@link Limiter} with `limit` slots. Deterministic, so workflows may use it: it relies on promise order only.
 * A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between and exceed the limit.
 */
export function createLimiter(limit: number): Limiter {
  let free = Math.max(1, limit);
  const waiting: (() => void)[] = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async (task) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
