import { chmod, cp, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TemporalCliError } from '../errors.js';
import { cachedToolPath, ensureGoTool, findGo, toolCacheRoot, type GoTool, type LocateOptions } from './go-tool.js';
import { runCommand } from './run-command.js';

/** The server release the CLI embeds; the cluster runs the same one, so histories move between them. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The Web UI server the CLI of {@link TEMPORAL_SERVER_VERSION}'s day ships. */
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';

const SERVER_FOLDER = `temporal-server-${TEMPORAL_SERVER_VERSION.slice(1)}`;
const UI_FOLDER = `temporal-ui-server-${TEMPORAL_UI_SERVER_VERSION.slice(1)}`;
const BUILD_HINT = 'or put a build of this version in';

/** The Temporal server, every service in one binary. */
export const TEMPORAL_SERVER: GoTool = {
  title: 'the Temporal server',
  goPackage: 'go.temporal.io/server/cmd/server',
  version: TEMPORAL_SERVER_VERSION,
  builtName: 'server',
  folder: SERVER_FOLDER,
  fileName: 'temporal-server',
  pathVariable: 'TEMPORAL_SERVER_PATH',
  alternatives: [`${BUILD_HINT} TEMPORAL_SERVER_PATH.`],
};

/** `temporal-sql-tool`, which creates and migrates the SQL schemas. */
export const TEMPORAL_SQL_TOOL: GoTool = {
  title: 'temporal-sql-tool',
  goPackage: 'go.temporal.io/server/cmd/tools/sql',
  version: TEMPORAL_SERVER_VERSION,
  builtName: 'sql',
  folder: SERVER_FOLDER,
  fileName: 'temporal-sql-tool',
  pathVariable: 'TEMPORAL_SQL_TOOL_PATH',
  alternatives: [`${BUILD_HINT} TEMPORAL_SQL_TOOL_PATH.`],
};

/** The Web UI's server, with the UI built in. */
export const TEMPORAL_UI_SERVER: GoTool = {
  title: 'the Temporal Web UI server',
  goPackage: 'github.com/temporalio/ui-server/v2/cmd/server',
  version: TEMPORAL_UI_SERVER_VERSION,
  builtName: 'server',
  folder: UI_FOLDER,
  fileName: 'ui-server',
  pathVariable: 'TEMPORAL_UI_SERVER_PATH',
  alternatives: [`${BUILD_HINT} TEMPORAL_UI_SERVER_PATH.`],
};

/** Everything the cluster runs Temporal with: three programs and the files their releases ship. */
export interface TemporalServerTools {
  readonly server: string;
  /** A root for `temporal-server --root`: `config/docker.yaml` (the official image's template) and its dynamic config. */
  readonly serverRoot: string;
  readonly sqlTool: string;
  /** `schema/postgresql/v12` of the server release: `temporal/versioned` and `visibility/versioned`. */
  readonly postgresSchema: string;
  readonly uiServer: string;
  /** A root for `ui-server --root`: `config/docker.yaml`, the official UI image's template. */
  readonly uiRoot: string;
}

/**
 * Finds or builds the Temporal server, its SQL schema tool and the Web UI server (one `go install` each, into the
 * per-user cache), and copies the config templates and schemas their modules ship beside them, so the cluster does
 * not depend on Go's module cache staying put. Throws {@link TemporalCliError} saying what failed.
 */
export async function ensureTemporalServerTools(options: LocateOptions = {}): Promise<TemporalServerTools> {
  const env = options.env ?? process.env;
  const server = await ensureGoTool(TEMPORAL_SERVER, options);
  const sqlTool = await ensureGoTool(TEMPORAL_SQL_TOOL, options);
  const uiServer = await ensureGoTool(TEMPORAL_UI_SERVER, options);
  const serverFiles = join(toolCacheRoot(env), SERVER_FOLDER, 'files');
  const uiFiles = join(toolCacheRoot(env), UI_FOLDER, 'files');
  await ensureModuleFiles(
    'go.temporal.io/server',
    TEMPORAL_SERVER_VERSION,
    ['config/docker.yaml', 'config/dynamicconfig', 'schema/postgresql/v12'],
    serverFiles,
    options,
  );
  await ensureModuleFiles(
    'github.com/temporalio/ui-server/v2',
    TEMPORAL_UI_SERVER_VERSION,
    ['config/base.yaml', 'config/docker.yaml'],
    uiFiles,
    options,
  );
  return {
    server,
    serverRoot: serverFiles,
    sqlTool,
    postgresSchema: join(serverFiles, 'schema', 'postgresql', 'v12'),
    uiServer,
    uiRoot: uiFiles,
  };
}

/** Where the server tools are cached, whether built yet or not. */
export function cachedServerToolPaths(env: NodeJS.ProcessEnv = process.env): { server: string; sqlTool: string; uiServer: string } {
  return {
    server: cachedToolPath(TEMPORAL_SERVER, env),
    sqlTool: cachedToolPath(TEMPORAL_SQL_TOOL, env),
    uiServer: cachedToolPath(TEMPORAL_UI_SERVER, env),
  };
}

async function ensureModuleFiles(
  modulePath: string,
  version: string,
  paths: readonly string[],
  target: string,
  options: LocateOptions,
): Promise<void> {
  if (await exists(target)) return;
  const env = options.env ?? process.env;
  const go = findGo(env, options.goFallbackPaths);
  if (!go) throw new TemporalCliError(`Go is needed once to fetch ${modulePath}@${version}'s config templates and schemas into ${target}.`);
  // `go mod download -json` prints where the module's source is; outside a module it needs no go.mod of ours.
  const spec = `${modulePath}@${version}`;
  const download = await runCommand(go, ['mod', 'download', '-json', spec], { ...env, GOFLAGS: '-mod=mod' });
  const dir = download.code === 0 ? (JSON.parse(download.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir) throw new TemporalCliError(`go mod download -json ${spec} failed with exit code ${download.code}.`, download.tail);
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(`${target}-`);
  try {
    for (const path of paths) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await cp(join(dir, path), join(staging, path), { recursive: true });
    }
    // Go's module cache is read-only; a copy that stays so could not be removed with the cache folder.
    await makeWritable(staging);
    await rename(staging, target).catch(async (error: unknown) => {
      // Another process copied them first: theirs are the same files.
      if (!(await exists(target))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function makeWritable(path: string): Promise<void> {
  const info = await stat(path);
  await chmod(path, info.mode | 0o200);
  if (info.isDirectory()) for (const entry of await readdir(path)) await makeWritable(join(path, entry));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
