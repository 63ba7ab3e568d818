import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { findOnPath } from './executables.js';

/** A started process the supervisor watches. */
export interface RunningService {
  /** The process id, while it runs (for measuring it). */
  readonly pid?: number;
  /** Settles with the exit code or signal when the process ends. */
  readonly exited: Promise<number | string>;
  /** Asks the process to stop and waits, killing it after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** Something the supervisor starts, and starts again if it dies. */
export interface ServiceSpec {
  readonly name: string;
  /**
   * `killed` aborts when the supervisor is told to stop at once ({@link Supervisor.kill}): a start should then kill
   * what it has started so far (`spawnService` does, given the signal) and end.
   */
  start(killed: AbortSignal): RunningService | Promise<RunningService>;
}

export interface SupervisorOptions {
  readonly log: (component: string, message: string) => void;
  /** Restart delays grow from this, doubling up to `maxRestartDelayMs`. */
  readonly initialRestartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
  readonly stopGraceMs?: number;
}

/** Keeps a set of services running; `stop()` ends them in reverse order of their start. */
export interface Supervisor {
  /** Starts a service and watches it. Resolves once its first start has resolved; after `stop()`, starts nothing. */
  readonly add: (spec: ServiceSpec) => Promise<void>;
  /** Stops every service, including one still starting (it is stopped once its start resolves). */
  readonly stop: () => Promise<void>;
  /**
   * Stops everything now, for an operator who will not wait for `stop()`: kills every process the services' starts
   * were given the signal for, running or still starting, and resolves once those starts and processes have ended.
   */
  readonly kill: () => Promise<void>;
  /** The current process of a service, while it runs (a restart replaces it). */
  readonly current: (name: string) => RunningService | undefined;
}

// A service that stayed up this long is healthy again: its next crash restarts it quickly.
const STABLE_AFTER_MS = 60_000;

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const initialDelayMs = options.initialRestartDelayMs ?? 1_000;
  const maxDelayMs = options.maxRestartDelayMs ?? 30_000;
  const graceMs = options.stopGraceMs ?? 15_000;
  const running = new Map<string, RunningService>();
  const order: string[] = [];
  // Starts in flight: a signal during a slow start (the embedded server's takes seconds) must not leave behind the
  // process it was starting, so stop() waits for them and each stops what it started.
  const starting = new Set<Promise<unknown>>();
  const killing = new AbortController();
  // After kill(), whatever is still to be stopped goes at once.
  const currentGraceMs = (): number => (killing.signal.aborted ? 0 : graceMs);
  let stopping = false;

  /**
   * Runs `spec.start()`; resolves with the service, or undefined when stop() came meanwhile (it is stopped then) or
   * kill() ended it.
   */
  const startTracked = (spec: ServiceSpec): Promise<RunningService | undefined> => {
    const attempt = (async () => {
      let service: RunningService;
      try {
        service = await spec.start(killing.signal);
      } catch (error) {
        // Ended by kill(), as asked: not a failure to report.
        if (killing.signal.aborted) return undefined;
        throw error;
      }
      if (!stopping) return service;
      await service.stop(currentGraceMs());
      return undefined;
    })();
    starting.add(attempt);
    const settled = (): void => void starting.delete(attempt);
    attempt.then(settled, settled);
    return attempt;
  };

  const watch = (spec: ServiceSpec, service: RunningService, startedAt: number, delayMs: number): void => {
    running.set(spec.name, service);
    void service.exited.then(async (code) => {
      running.delete(spec.name);
      if (stopping) return;
      const nextDelayMs = Date.now() - startedAt > STABLE_AFTER_MS ? initialDelayMs : Math.min(delayMs * 2, maxDelayMs);
      options.log(spec.name, `exited unexpectedly (${code}); restarting in ${Math.round(delayMs / 1000)}s`);
      await delay(delayMs);
      while (!stopping) {
        try {
          const restarted = await startTracked(spec);
          if (restarted) watch(spec, restarted, Date.now(), nextDelayMs);
          return;
        } catch (error) {
          options.log(spec.name, `restart failed: ${(error as Error).message}`);
          await delay(maxDelayMs);
        }
      }
    });
  };

  return {
    async add(spec) {
      if (stopping) return;
      order.push(spec.name);
      const service = await startTracked(spec);
      if (service) watch(spec, service, Date.now(), initialDelayMs);
    },
    current: (name) => running.get(name),
    async stop() {
      stopping = true;
      await Promise.allSettled(starting);
      for (const name of [...order].reverse()) {
        const service = running.get(name);
        if (!service) continue;
        options.log(name, 'stopping');
        await service.stop(currentGraceMs());
      }
    },
    async kill() {
      stopping = true;
      killing.abort();
      // A service whose start took no signal is killed here: stop() with no grace.
      await Promise.allSettled([...starting, ...[...running.values()].map((service) => service.stop(0))]);
    },
  };
}

/** Runs a command as a {@link RunningService}, handing each line it prints to `onLine`. */
export function spawnService(
  command: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    onLine: (line: string) => void;
    /**
     * In a process group of its own, so that a terminal's Ctrl-C reaches only the supervisor, which then stops the
     * services in order instead of all at once.
     */
    detached?: boolean;
    /** Kills the process (SIGKILL) when it aborts: the supervisor's `kill()`, handed to a start. */
    killed?: AbortSignal;
  },
): RunningService {
  const [file, argv] = withParentDeathSignal(command, args);
  const child = spawn(file, argv, {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.detached ? { detached: true } : {}),
  });
  const forward = (stream: NodeJS.ReadableStream): void => {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onLine(line);
    });
    stream.on('end', () => {
      if (pending.trim() !== '') options.onLine(pending);
    });
  };
  forward(child.stdout);
  forward(child.stderr);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  const { killed } = options;
  if (killed) {
    const kill = (): void => void child.kill('SIGKILL');
    if (killed.aborted) kill();
    else {
      killed.addEventListener('abort', kill, { once: true });
      void exited.then(() => killed.removeEventListener('abort', kill));
    }
  }
  return {
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    exited,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

let setprivPath: string | null | undefined;

/**
 * The path of a util-linux `setpriv` that knows `--pdeathsig`, found once on this process's PATH; null where there is
 * none (not Linux, busybox's setpriv, none installed).
 */
export function parentDeathSignalTool(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux') return setprivPath;
  const candidate = findOnPath('setpriv');
  const help = candidate ? spawnSync(candidate, ['--help'], { encoding: 'utf8', timeout: 5_000 }) : undefined;
  if (candidate && help?.status === 0 && help.stdout.includes('--pdeathsig')) setprivPath = candidate;
  return setprivPath;
}

/**
 * On Linux, the command runs under util-linux's `setpriv --pdeathsig TERM`, which has the kernel send it SIGTERM when
 * this process dies and then runs it in its place (same pid, so stopping and killing it work as before). A supervisor
 * killed outright (SIGKILL, the OOM killer) then leaves no Temporal server or gateway node behind holding its ports and
 * data: each is asked to stop, all at once. Elsewhere, or without a setpriv that knows the option, the command runs as
 * given. (The signal follows the thread that calls spawnService: the supervisors here call it from their main thread,
 * which lives as long as the process.)
 */
function withParentDeathSignal(command: string, args: readonly string[]): [string, readonly string[]] {
  const setpriv = parentDeathSignalTool();
  return setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', command, ...args]] : [command, args];
}
