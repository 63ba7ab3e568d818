import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { inject } from 'vitest';
import { ConfigSchema, type Config } from '../../config/schema.js';
import { webhookDataConverter } from '../../temporal/data-converter.js';
import { createWebhookWorker } from '../../worker/worker.js';

let runtimeInstalled = false;

/** Quiets the SDK's own logging in tests: failures speak through assertions. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** A task queue no other test uses, so workers of different tests never take each other's tasks. */
export function uniqueTaskQueue(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

/** A client of the run's dev server, with the project's data converter (or another, e.g. one that encrypts). */
export async function connectTestClient(dataConverter: DataConverter = webhookDataConverter()): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection, dataConverter });
}

/** A running worker of this project on `taskQueue`, using the run's prebuilt workflow bundle. */
export interface TestWorker {
  stop(): Promise<void>;
}

/** Whether `worker` stops within `ms`; either way the stop is waited for, so that nothing is left running. */
export async function stopsWithin(worker: TestWorker, ms: number): Promise<boolean> {
  const stopping = worker.stop();
  const stopped = await Promise.race([stopping.then(() => true), delay(ms).then(() => false)]);
  if (!stopped) await stopping;
  return stopped;
}

/** Test receivers are on loopback, so test workers allow it unless told otherwise. */
export interface TestWorkerOptions {
  /** The gateway's configuration; by default one that allows loopback destinations. */
  readonly config?: Config;
  readonly allowDestinations?: readonly ('loopback' | 'private' | 'link_local')[];
  readonly env?: NodeJS.ProcessEnv;
  /** Make the endpoint entities match the config's endpoints once the worker polls, as `npm start` does. */
  readonly reconcileEndpoints?: boolean;
}

export async function startTestWorker(taskQueue: string, options: TestWorkerOptions = {}): Promise<TestWorker> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const { worker, run } = await createWebhookWorker({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    config: options.config ?? ConfigSchema.parse({ delivery: { allow_destinations: options.allowDestinations ?? ['loopback'] } }),
    healthReportIntervalMs: 200,
    ...(options.env ? { env: options.env } : {}),
    ...(options.reconcileEndpoints ? { reconcileEndpoints: true } : {}),
  });
  const running = run();
  return {
    async stop() {
      // shutdown() refuses a worker run() has not started yet (the plugin first registers its search attributes) or
      // one that has already failed; a failed run() rejects below.
      while (worker.getState() === 'INITIALIZED')
        await Promise.race([running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10))]);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** A worker in a process of its own, which a test can kill as a crash would. */
export interface ProcessWorker extends TestWorker {
  /** SIGKILL: no shutdown, no flush, in-flight activities left to Temporal's timeouts. */
  kill(): Promise<void>;
}

/** Starts `worker-process.ts` on `taskQueue` and resolves once it polls. */
export function startProcessWorker(taskQueue: string): Promise<ProcessWorker> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/worker-process.ts', inject('temporalAddress'), taskQueue, inject('workflowBundlePath')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) resolve({ stop: () => end('SIGTERM'), kill: () => end('SIGKILL') });
    });
    child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
  });
}
