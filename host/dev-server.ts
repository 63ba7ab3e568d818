import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { DevServerError } from '../errors.js';
import type { SearchAttributeDefinition } from '../temporal/namespace-setup.js';
import { spawnService, type RunningService } from './supervisor.js';

export interface DevServerOptions {
  readonly cliPath: string;
  readonly ip?: string;
  readonly port: number;
  /** Web UI port; without it the server runs headless. */
  readonly uiPort?: number;
  /** Remote codec endpoint the Web UI calls to decode payloads. */
  readonly uiCodecEndpoint?: string;
  /** SQLite file that keeps state across restarts; without it, state lives in memory and dies with the server. */
  readonly dbFile?: string;
  readonly namespace?: string;
  readonly searchAttributes?: readonly SearchAttributeDefinition[];
  /** Dynamic config values (`--dynamic-config-value`), by key; each value is passed as JSON. */
  readonly dynamicConfig?: Readonly<Record<string, string | number | boolean>>;
  /** Each line the server prints. */
  readonly onOutput?: (line: string) => void;
  readonly readyTimeoutMs?: number;
  /**
   * Runs the server in a process group of its own, so that a terminal's Ctrl-C reaches only the supervisor, which
   * stops the gateway before the server its deliveries report to.
   */
  readonly detached?: boolean;
  /** Kills the server, started or still starting, when it aborts. */
  readonly killed?: AbortSignal;
}

/** A running `temporal server start-dev`. */
export interface DevServer extends RunningService {
  /** gRPC address, `host:port`. */
  readonly address: string;
  readonly uiUrl?: string;
}

// SQLite tuning for the embedded store: WAL lets readers and the writer overlap, and `synchronous=NORMAL` is safe
// against process crashes in WAL mode (only an OS crash or power loss can lose the last commits).
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** The `temporal` command line that starts a dev server with `options`. */
export function devServerArgs(options: Omit<DevServerOptions, 'cliPath'>): string[] {
  const args = ['server', 'start-dev', '--ip', options.ip ?? '127.0.0.1', '--port', String(options.port), '--log-level', 'error'];
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) {
    args.push('--db-filename', options.dbFile);
    for (const pragma of SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  const namespace = options.namespace ?? 'default';
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const { name, type } of options.searchAttributes ?? []) args.push('--search-attribute', `${name}=${cliTypeName(type)}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

/** Starts the Temporal dev server and resolves once its namespace answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const args = devServerArgs(options);

  const recent: string[] = [];
  const service = spawnService(options.cliPath, args, {
    ...(options.detached ? { detached: true } : {}),
    ...(options.killed ? { killed: options.killed } : {}),
    onLine: (line) => {
      recent.push(line);
      if (recent.length > 30) recent.shift();
      options.onOutput?.(line);
    },
  });
  const address = `${ip}:${options.port}`;
  const server: DevServer = {
    ...service,
    address,
    ...(options.uiPort === undefined ? {} : { uiUrl: `http://${ip}:${options.uiPort}` }),
  };

  try {
    await waitUntilReady(address, namespace, service.exited, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await server.stop(2_000);
    throw new DevServerError(`The Temporal dev server on ${address} did not become ready: ${(error as Error).message}`, recent.join('\n'), {
      cause: error,
    });
  }
  return server;
}

async function waitUntilReady(address: string, namespace: string, exited: Promise<number | string>, timeoutMs: number): Promise<void> {
  let exitedWith: number | string | undefined;
  void exited.then((code) => (exitedWith = code));
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`the server process exited (${exitedWith})`);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await connection?.close();
    }
    await delay(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms (${(lastError as Error | undefined)?.message ?? 'no answer'})`);
}

// The CLI spells types as in the Web UI (`KeywordList`), the SDK as enum names (`KEYWORD_LIST`).
function cliTypeName(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
