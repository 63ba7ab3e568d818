import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigSchema } from '../config/schema.js';
import { embeddedTemporalService } from '../host/embedded-temporal.js';
import { createSupervisor, spawnService, type ServiceSpec } from '../host/supervisor.js';
import { ensureTemporalCli } from '../host/temporal-cli.js';
import { findFreePort } from '../test/support/ports.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';

/**
 * The deployment a chaos scenario hurts: the embedded Temporal server on a SQLite file and the gateway's processes,
 * each supervised as `npm start` supervises them (restarted when they die), and each killable by name.
 *
 * - `node`: what `npm start` runs, the API and a worker in one process (deliveries start eagerly on it);
 * - `split`: an API process and a worker process, as a deployment scaled by role runs them.
 */
export type Topology = 'node' | 'split';
export type GatewayProcess = 'node' | 'api' | 'worker';

export interface RigOptions {
  readonly topology: Topology;
  /** The scenario's configuration (endpoints, delivery); the rig adds ports, the data folder and loopback delivery. */
  readonly config: { readonly endpoints?: readonly unknown[]; readonly delivery?: Record<string, unknown> };
  /** The embedded server's data folder; a fresh temporary one by default. */
  readonly dataDir?: string;
  /** Extra environment for a gateway process (libfaketime for the worker, say). */
  readonly env?: Partial<Record<GatewayProcess, Record<string, string>>>;
}

export interface Rig {
  readonly apiUrl: string;
  /** The embedded server's gRPC address (the same port across its restarts). */
  readonly temporalAddress: string;
  /** How many probe events {@link Rig.waitUntilRouted} sent (they are deliveries too). */
  readonly probes: number;
  /** Every process's output, one line each, for a scenario that failed. */
  readonly logFile: string;
  /**
   * SIGKILLs the process's current incarnation (by the rig's name for it: `temporal`, `node`, `api-1`, …); the
   * supervisor starts another, after `downForMs` when given and the rig can (an outage longer than a restart).
   */
  kill(process: string, options?: { downForMs?: number }): void;
  /** The pid of the process's current incarnation, while one runs. */
  pid(process: string): number | undefined;
  /** Waits until the API answers ready (Temporal reachable). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Waits until events of `type` are routed to every one of `endpointIds` (the worker reconciles the config's). */
  waitUntilRouted(type: string, endpointIds: readonly string[], timeoutMs?: number): Promise<void>;
  /** Stops every process; the log stays when asked to (a failed scenario's), everything else goes. */
  stop(options?: { keepLog?: boolean }): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESTART_DELAY_MS = 1_000;
// npm start's supervisor backs off up to 30 s between restarts of a process that keeps dying; a scenario that kills one
// every few tens of seconds measures the gateway, not that back-off.
const MAX_RESTART_DELAY_MS = 5_000;

/** A rig's temporary folder and its log, which outlives a failed scenario for reading. */
export interface RigFolder {
  readonly dir: string;
  readonly logFile: string;
  readonly log: (component: string, line: string) => void;
  /** Ends the log; removes the folder, or only its `data/` when the log is to be kept. */
  close(keepLog: boolean): Promise<void>;
}

export async function createRigFolder(prefix: string): Promise<RigFolder> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const logFile = join(dir, 'rig.log');
  const logStream = createWriteStream(logFile);
  return {
    dir,
    logFile,
    log: (component, line) => void logStream.write(`${new Date().toISOString()} ${component} ${line}\n`),
    async close(keepLog) {
      await new Promise((resolve) => logStream.end(resolve));
      await rm(keepLog ? join(dir, 'data') : dir, { recursive: true, force: true });
    },
  };
}

export async function startRig(options: RigOptions): Promise<Rig> {
  const folder = await createRigFolder('webhooks-chaos-');
  const { dir, logFile, log } = folder;

  const [apiPort, temporalPort, uiPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
  const fileConfig = {
    log_level: 'warn',
    temporal: { namespace: 'default', task_queue: 'webhooks' },
    // No caller limits: the scenario's producers are the only callers, and their load is the point.
    api: { port: apiPort, shutdown_grace: '2s', rate_limits: { global: null, per_key: null, auth_failures: null } },
    embedded: { data_dir: options.dataDir ?? join(dir, 'data'), port: temporalPort, ui_port: uiPort, retention: '1d' },
    delivery: { allow_destinations: ['loopback'], ...options.config.delivery },
    endpoints: options.config.endpoints ?? [],
  };
  const config = ConfigSchema.parse(fileConfig);
  const configPath = join(dir, 'webhooks.yaml');
  // JSON is YAML.
  await writeFile(configPath, JSON.stringify(fileConfig, null, 2));

  const supervisor = createSupervisor({
    log,
    initialRestartDelayMs: RESTART_DELAY_MS,
    maxRestartDelayMs: MAX_RESTART_DELAY_MS,
    stopGraceMs: 10_000,
  });
  try {
    return await startProcesses();
  } catch (error) {
    await supervisor.stop();
    await folder.close(true);
    throw new Error(`the rig did not start (log: ${logFile}): ${(error as Error).message}`, { cause: error });
  }

  async function startProcesses(): Promise<Rig> {
    const cliPath = await ensureTemporalCli({ log: (line) => log('rig', line) });
    // A killed process may be kept down for a while: its next start waits until then.
    const downUntil = new Map<string, number>();
    const held = <Spec extends ServiceSpec>(spec: Spec): Spec => ({
      ...spec,
      start: async (killed) => {
        const wait = (downUntil.get(spec.name) ?? 0) - Date.now();
        if (wait > 0) await delay(wait, undefined, { signal: killed });
        return spec.start(killed);
      },
    });
    const temporal = embeddedTemporalService({
      cliPath,
      config,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      headless: true,
      log: (line) => log('temporal', line),
    });
    await supervisor.add(held(temporal));

    // The rig's children see the scenario's settings only: none of the shell's WEBHOOKS_* or TEMPORAL_* variables.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(WEBHOOKS|TEMPORAL)_/.test(name)));
    const gatewayProcess = (name: GatewayProcess): ServiceSpec =>
      held({
        name,
        start: () =>
          spawnService(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', `${name}.ts`)], {
            env: { ...inherited, ...options.env?.[name], TEMPORAL_ADDRESS: temporal.started().address, WEBHOOKS_CONFIG: configPath },
            onLine: (line) => log(name, line),
          }),
      });
    for (const name of options.topology === 'node' ? (['node'] as const) : (['worker', 'api'] as const))
      await supervisor.add(gatewayProcess(name));

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const probe = routingProbe(apiUrl);
    const rig: Rig = {
      apiUrl,
      temporalAddress: temporal.started().address,
      get probes() {
        return probe.sent;
      },
      logFile,
      kill(name, { downForMs = 0 } = {}) {
        const pid = supervisor.current(name)?.pid;
        if (pid === undefined) throw new Error(`${name} is not running`);
        downUntil.set(name, Date.now() + downForMs);
        log('rig', `SIGKILL ${name} (pid ${pid})${downForMs ? `, down for ${downForMs} ms` : ''}`);
        process.kill(pid, 'SIGKILL');
      },
      pid: (name) => supervisor.current(name)?.pid,
      waitUntilReady: (timeoutMs) => probe.ready(timeoutMs),
      waitUntilRouted: (type, endpointIds, timeoutMs) => probe.routed(type, endpointIds, timeoutMs),
      async stop({ keepLog = false } = {}) {
        await supervisor.stop();
        // A data folder the scenario gave (a small mount) is the scenario's to clean up.
        await folder.close(keepLog);
      },
    };
    await rig.waitUntilReady();
    return rig;
  }
}

/** Readiness and routing checks through an API, counting the probe events they send (they are deliveries too). */
export function routingProbe(apiUrl: string): {
  readonly sent: number;
  ready(timeoutMs?: number): Promise<void>;
  routed(type: string, endpointIds: readonly string[], timeoutMs?: number): Promise<void>;
} {
  let sent = 0;
  return {
    get sent() {
      return sent;
    },
    ready: (timeoutMs = 120_000) => until(`the API at ${apiUrl} is ready`, timeoutMs, async () => (await fetch(`${apiUrl}/readyz`)).ok),
    routed: (type, endpointIds, timeoutMs = 120_000) =>
      until(`${type} is routed to ${endpointIds.join(', ')}`, timeoutMs, async () => {
        const response = await fetch(`${apiUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type }),
        });
        if (response.status !== 202) return false;
        sent += 1;
        const { id } = (await response.json()) as { id: string };
        const report = (await (await fetch(`${apiUrl}/v1/events/${id}`)).json()) as {
          deliveries?: { endpoint_id: string; status: string }[];
        };
        // A replica that still sees an endpoint paused or disabled routes to it too, as held or cancelled.
        const routed = new Set(
          (report.deliveries ?? []).filter((d) => d.status !== 'held' && d.status !== 'cancelled').map((d) => d.endpoint_id),
        );
        return endpointIds.every((endpointId) => routed.has(endpointId));
      }),
  };
}

/** Polls `check` until it holds; failures to connect count as "not yet". */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`not within ${Math.round(timeoutMs / 1_000)} s: ${what}`);
    await delay(250);
  }
}
