import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { TemporalCliError } from '../errors.js';

/** The newest CLI tag that `go install` accepts: later tags carry a `replace` directive that it refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const BUILD_PROGRESS_INTERVAL_MS = 20_000;

export interface LocateOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Progress messages while building, which takes minutes the first time. */
  readonly log?: (message: string) => void;
  /** Where to look for Go when it is not on PATH. */
  readonly goFallbackPaths?: readonly string[];
}

/** Where the built CLI is cached for every clone of the project on this machine. */
export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  const cacheRoot = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cacheRoot, 'temporal-webhooks', `temporal-cli-${TEMPORAL_CLI_VERSION.slice(1)}`, 'temporal');
}

/**
 * Finds the `temporal` CLI, in this order: `TEMPORAL_CLI_PATH`, `temporal` on `PATH`, the per-user cache;
 * otherwise builds it into the cache with `go install`. Throws {@link TemporalCliError} saying what to install.
 */
export async function ensureTemporalCli(options: LocateOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((message: string) => console.error(message));

  const explicit = env['TEMPORAL_CLI_PATH'];
  if (explicit) {
    if (await isExecutable(explicit)) return explicit;
    throw new TemporalCliError(`TEMPORAL_CLI_PATH is set to ${explicit}, which is not an executable file.`);
  }
  const onPath = await findOnPath('temporal', env);
  if (onPath) return onPath;
  const cached = cachedCliPath(env);
  if (await isExecutable(cached)) return cached;

  const go = (await findOnPath('go', env)) ?? (await firstExecutable(options.goFallbackPaths ?? ['/usr/local/go/bin/go']));
  if (!go) {
    throw new TemporalCliError(
      [
        'The Temporal CLI was not found, and Go is not installed to build it.',
        `Either install Go 1.24 or newer (https://go.dev/dl/) and run this again, which builds ${TEMPORAL_CLI_VERSION} into ${cached},`,
        'or install the Temporal CLI (https://docs.temporal.io/cli) and put it on PATH or in TEMPORAL_CLI_PATH,',
        'or point TEMPORAL_ADDRESS at a Temporal server you already run.',
      ].join('\n'),
    );
  }
  await buildCli(go, cached, env, log);
  return cached;
}

async function buildCli(go: string, target: string, env: NodeJS.ProcessEnv, log: (message: string) => void): Promise<void> {
  const cacheDir = join(target, '..');
  await mkdir(cacheDir, { recursive: true });
  // Build into a private folder and rename: two processes building at once cannot leave a half-written binary.
  const buildDir = await mkdtemp(join(cacheDir, 'build-'));
  const started = Date.now();
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cacheDir} (first time only; it takes a few minutes)…`);
  const ticker = setInterval(() => {
    log(`  still building the Temporal CLI… ${Math.round((Date.now() - started) / 1000)}s`);
  }, BUILD_PROGRESS_INTERVAL_MS);

  try {
    const output = await run(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], { ...env, GOBIN: buildDir }, (line) => {
      if (line.startsWith('go: downloading')) log(`  ${line}`);
    });
    if (output.code !== 0) {
      throw new TemporalCliError(
        `go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed with exit code ${output.code}.`,
        output.tail,
      );
    }
    await rename(join(buildDir, 'temporal'), target);
    log(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)}s: ${target}`);
  } finally {
    clearInterval(ticker);
    await rm(buildDir, { recursive: true, force: true });
  }
}

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): Promise<{ code: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        if (lines.length > 40) lines.shift();
        onLine(line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, tail: lines.join('\n') }));
  });
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function firstExecutable(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) if (await isExecutable(path)) return path;
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
