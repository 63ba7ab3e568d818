import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { MAX_JSON_DEPTH } from '../domain/json-depth.js';
import { TRANSFORM_PROCESS_SOURCE } from './process-source.js';

/**
 * What running a transform came to: the body to send, or why there is none. `retryable` marks a failure that was not
 * the expression's (its process was killed, the gateway is stopping, every process was busy): another try may work.
 */
export type TransformOutcome = { readonly body: string } | { readonly error: string; readonly retryable?: true };

/** Runs endpoints' JSONata transforms outside the caller's process, within limits. */
export interface Transformer {
  /**
   * Evaluates `expression` on `input`; never throws, whatever the expression does. A render that has not started
   * within `waitMs` (every process busy) gives up, retryable.
   */
  render(expression: string, input: unknown, waitMs?: number): Promise<TransformOutcome>;
  /** Stops every transform process; renders still waiting get an error. */
  close(): Promise<void>;
}

export interface TransformLimits {
  /** How long one evaluation may run; past it (and a short grace), its process is stopped and replaced. */
  readonly timeoutMs: number;
  /** The largest body a transform may make, in bytes of JSON. */
  readonly maxBodyBytes: number;
  /** The heap one transform process may use; an expression that needs more fails, and the process is replaced. */
  readonly memoryMb: number;
  /** Processes evaluating at once; each runs one evaluation at a time. */
  readonly processes: number;
}

export const DEFAULT_TRANSFORM_LIMITS: TransformLimits = { timeoutMs: 1_000, maxBodyBytes: 256 * 1024, memoryMb: 64, processes: 2 };

// JSONata's own timeout is checked between evaluation steps; the grace lets it answer with its message before the
// process is stopped from outside (a regular expression or one long built-in call never reaches a check).
const HARD_STOP_GRACE_MS = 250;
const STDERR_KEPT_BYTES = 4_096;

interface Job {
  readonly expression: string;
  readonly input: unknown;
  readonly resolve: (outcome: TransformOutcome) => void;
  readonly waiting?: NodeJS.Timeout;
}

// Twice the depth an event may have: a transform may wrap a whole event, itself as deep as allowed, a few times over.
// The bound is for bodies thousands of levels deep, which recursive JSON readers do not survive.
const MAX_BODY_DEPTH = 2 * MAX_JSON_DEPTH;

const STOPPING: TransformOutcome = { error: 'the gateway is stopping', retryable: true };

interface Slot {
  child?: ChildProcess | undefined;
  stderr: string;
  current?: { readonly id: number; readonly resolve: (outcome: TransformOutcome) => void; readonly timer: NodeJS.Timeout } | undefined;
}

/**
 * A small pool of Node processes, started on first use: a gateway whose endpoints have no transform starts none.
 * Processes rather than threads, because a thread's memory limit does not hold for every allocation: a string built
 * past it aborts the whole process, which for a worker would be every delivery it runs. Here an expression that
 * loops, recurses, allocates without end or makes a huge body fails its own attempt, its process is replaced, and
 * the worker polling Temporal (or the API) never notices. Each evaluation costs a message each way (well under a
 * millisecond), paid only by endpoints that have a transform.
 */
export function createTransformer(limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS): Transformer {
  const jsonataPath = createRequire(import.meta.url).resolve('jsonata');
  const slots: Slot[] = Array.from({ length: limits.processes }, () => ({ stderr: '' }));
  const queue: Job[] = [];
  let nextId = 0;
  let closed = false;

  const finish = (slot: Slot, outcome: TransformOutcome): void => {
    const { current } = slot;
    if (!current) return;
    clearTimeout(current.timer);
    slot.current = undefined;
    current.resolve(outcome);
    pump();
  };
  const discard = (slot: Slot, outcome: TransformOutcome): void => {
    const { child } = slot;
    slot.child = undefined;
    child?.kill('SIGKILL');
    finish(slot, outcome);
  };
  const start = (slot: Slot): ChildProcess => {
    // No environment: an expression cannot read one, and the gateway's secrets have no business there. A process group
    // of its own, so that a Ctrl-C or a service manager's SIGTERM reaches the gateway, which stops it, and not the
    // process mid-evaluation; it ends with its parent all the same, when the IPC channel closes.
    const child = spawn(
      process.execPath,
      [
        `--max-old-space-size=${limits.memoryMb}`,
        '-e',
        TRANSFORM_PROCESS_SOURCE,
        jsonataPath,
        String(limits.timeoutMs),
        String(limits.maxBodyBytes),
        String(MAX_BODY_DEPTH),
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: {}, detached: true },
    );
    slot.stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (slot.stderr = (slot.stderr + text).slice(-STDERR_KEPT_BYTES)));
    // Transform processes never keep a gateway alive.
    child.unref();
    child.channel?.unref();
    child.on('message', (message: { id: number; body?: string; error?: string }) => {
      if (slot.child !== child || slot.current?.id !== message.id) return;
      finish(slot, message.body === undefined ? { error: message.error ?? 'no answer' } : { body: message.body });
    });
    // 'close', not 'exit': by then stderr has been read to its end, and says whether the heap ran out.
    child.on('close', () => {
      if (slot.child !== child) return;
      discard(
        slot,
        /heap out of memory|heap limit/i.test(slot.stderr)
          ? { error: `the transform used more than the ${limits.memoryMb} MB it may` }
          : { error: 'the transform process stopped', retryable: true },
      );
    });
    child.on('error', () => {
      if (slot.child === child) discard(slot, { error: 'the transform process could not be started', retryable: true });
    });
    return child;
  };
  const pump = (): void => {
    for (const slot of slots) {
      if (closed || queue.length === 0) return;
      if (slot.current) continue;
      const job = queue.shift() as Job;
      clearTimeout(job.waiting);
      const child = (slot.child ??= start(slot));
      const id = ++nextId;
      const timer = setTimeout(
        () => discard(slot, { error: `the transform ran longer than ${limits.timeoutMs} ms and was stopped` }),
        limits.timeoutMs + HARD_STOP_GRACE_MS,
      );
      slot.current = { id, resolve: job.resolve, timer };
      child.send({ id, expression: job.expression, input: job.input }, (error) => {
        if (error && slot.current?.id === id) {
          discard(slot, { error: `the event could not be handed to the transform: ${error.message}`, retryable: true });
        }
      });
    }
  };

  return {
    render(expression, input, waitMs) {
      if (closed) return Promise.resolve(STOPPING);
      return new Promise((resolve) => {
        const giveUp = (): void => {
          const index = queue.indexOf(job);
          if (index === -1) return;
          queue.splice(index, 1);
          resolve({ error: `every transform process was busy for ${waitMs ?? 0} ms`, retryable: true });
        };
        const job: Job = { expression, input, resolve, ...(waitMs === undefined ? {} : { waiting: setTimeout(giveUp, waitMs) }) };
        queue.push(job);
        pump();
      });
    },
    close() {
      closed = true;
      for (const job of queue.splice(0)) {
        clearTimeout(job.waiting);
        job.resolve(STOPPING);
      }
      for (const slot of slots) discard(slot, STOPPING);
      return Promise.resolve();
    },
  };
}
