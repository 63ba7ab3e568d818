import { ConfigError, DevServerError, TemporalCliError } from '../errors.js';

/**
 * Runs an entry point. Expected failures (bad config, no Temporal CLI, a server that will not start) print their
 * message and exit 1 without a stack trace; anything else is a bug and keeps its stack.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof TemporalCliError) {
      console.error(error.message);
      if (error instanceof TemporalCliError && error.buildOutput) console.error(error.buildOutput);
    } else if (error instanceof DevServerError) {
      console.error(`${error.message}\n${error.serverOutput}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  });
}
