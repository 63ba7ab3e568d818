import { cachedToolPath, ensureGoTool, type GoTool, type LocateOptions } from './go-tool.js';

export type { LocateOptions } from './go-tool.js';

/** The newest CLI tag that `go install` accepts: later tags carry a `replace` directive that it refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

const TEMPORAL_CLI: GoTool = {
  title: 'the Temporal CLI',
  goPackage: 'github.com/temporalio/cli/cmd/temporal',
  version: TEMPORAL_CLI_VERSION,
  builtName: 'temporal',
  folder: `temporal-cli-${TEMPORAL_CLI_VERSION.slice(1)}`,
  fileName: 'temporal',
  pathVariable: 'TEMPORAL_CLI_PATH',
  commandOnPath: 'temporal',
  alternatives: [
    'or install the Temporal CLI (https://docs.temporal.io/cli) and put it on PATH or in TEMPORAL_CLI_PATH,',
    'or point TEMPORAL_ADDRESS at a Temporal server you already run.',
  ],
};

/** Where the built CLI is cached for every clone of the project on this machine. */
export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return cachedToolPath(TEMPORAL_CLI, env);
}

/**
 * Finds the `temporal` CLI, in this order: `TEMPORAL_CLI_PATH`, `temporal` on `PATH`, the per-user cache;
 * otherwise builds it into the cache with `go install`. Throws {@link TemporalCliError} saying what to install.
 */
export function ensureTemporalCli(options: LocateOptions = {}): Promise<string> {
  return ensureGoTool(TEMPORAL_CLI, options);
}
