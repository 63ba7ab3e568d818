import type { Logger } from 'pino';

/**
 * Runs `shutdown` once, on the first SIGINT or SIGTERM, then exits: 0 when it finished, 1 when it threw (logged).
 * A second signal during the shutdown is ignored rather than cutting it short, since the shutdown's own grace period
 * already bounds it.
 */
export function onShutdownSignals(log: Logger, shutdown: (signal: string) => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: string) => (): void => {
    if (closing) return;
    closing = true;
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));
}
