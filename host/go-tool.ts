import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TemporalCliError } from '../errors.js';
import { findOnPath, isExecutable } from './executables.js';
import { runCommand } from './run-command.js';

/** A program that `go install` builds from the Go module proxy, cached per user outside every clone. */
export interface GoTool {
  /** How messages name it: "the Temporal CLI". */
  readonly title: string;
  /** The package `go install` builds, without version. */
  readonly goPackage: string;
  readonly version: string;
  /** The file `go install` writes: the package path's last element. */
  readonly builtName: string;
  /** The cache folder (under `<cache>/temporal-webhooks/`) and the file's name in it. */
  readonly folder: string;
  readonly fileName: string;
  /** An environment variable naming the program's path, checked first. */
  readonly pathVariable: string;
  /** A command on PATH to use, if any is trusted to be this version. */
  readonly commandOnPath?: string;
  /** What to say besides installing Go, when Go is missing. */
  readonly alternatives: readonly string[];
}

/** How {@link ensureGoTool} looks and reports. */
export interface LocateOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Progress messages while building, which takes minutes the first time. */
  readonly log?: (message: string) => void;
  /** Where to look for Go when it is not on PATH. */
  readonly goFallbackPaths?: readonly string[];
}

const BUILD_PROGRESS_INTERVAL_MS = 20_000;

/** The folder every clone of the project on this machine caches built programs in. */
export function toolCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'temporal-webhooks');
}

/** Where `tool` is cached. */
export function cachedToolPath(tool: GoTool, env: NodeJS.ProcessEnv = process.env): string {
  return join(toolCacheRoot(env), tool.folder, tool.fileName);
}

/**
 * Finds `tool`, in this order: its path variable, its command on `PATH`, the per-user cache; otherwise builds it
 * into the cache with `go install`. Throws {@link TemporalCliError} saying what to install.
 */
export async function ensureGoTool(tool: GoTool, options: LocateOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((message: string) => console.error(message));

  const explicit = env[tool.pathVariable];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new TemporalCliError(`${tool.pathVariable} is set to ${explicit}, which is not an executable file.`);
  }
  const onPath = tool.commandOnPath ? findOnPath(tool.commandOnPath, env) : undefined;
  if (onPath) return onPath;
  const cached = cachedToolPath(tool, env);
  if (isExecutable(cached)) return cached;

  const go = findGo(env, options.goFallbackPaths);
  if (!go) {
    throw new TemporalCliError(
      [
        `${capitalized(tool.title)} was not found, and Go is not installed to build it.`,
        `Either install Go 1.24 or newer (https://go.dev/dl/) and run this again, which builds ${tool.version} into ${cached},`,
        ...tool.alternatives,
      ].join('\n'),
    );
  }
  await buildTool(tool, go, cached, env, log);
  return cached;
}

/** The `go` command: on `PATH`, else the first of `fallbackPaths` that exists. */
export function findGo(env: NodeJS.ProcessEnv, fallbackPaths: readonly string[] = ['/usr/local/go/bin/go']): string | undefined {
  return findOnPath('go', env) ?? fallbackPaths.find(isExecutable);
}

async function buildTool(tool: GoTool, go: string, target: string, env: NodeJS.ProcessEnv, log: (message: string) => void): Promise<void> {
  const cacheDir = join(target, '..');
  await mkdir(cacheDir, { recursive: true });
  // Build into a private folder and rename: two processes building at once cannot leave a half-written binary.
  const buildDir = await mkdtemp(join(cacheDir, 'build-'));
  const started = Date.now();
  const spec = `${tool.goPackage}@${tool.version}`;
  log(`Building ${tool.title} ${tool.version} with Go into ${cacheDir} (first time only; it takes a few minutes)…`);
  const ticker = setInterval(() => {
    log(`  still building ${tool.title}… ${Math.round((Date.now() - started) / 1000)}s`);
  }, BUILD_PROGRESS_INTERVAL_MS);

  try {
    const output = await runCommand(go, ['install', spec], { ...env, GOBIN: buildDir }, (line) => {
      if (line.startsWith('go: downloading')) log(`  ${line}`);
    });
    if (output.code !== 0) throw new TemporalCliError(`go install ${spec} failed with exit code ${output.code}.`, output.tail);
    await rename(join(buildDir, tool.builtName), target);
    log(`Built ${tool.title} in ${Math.round((Date.now() - started) / 1000)}s: ${target}`);
  } finally {
    clearInterval(ticker);
    await rm(buildDir, { recursive: true, force: true });
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
