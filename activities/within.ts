/**
 * `promise`'s outcome, or `late()`'s once `ms` have passed without one (its value, or what it throws). The timer is
 * cleared either way, so a wait that ended early keeps no process alive.
 */
export function within<T, L>(promise: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const lateOutcome = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))).then(late);
  return Promise.race([promise, lateOutcome]).finally(() => clearTimeout(timer));
}
