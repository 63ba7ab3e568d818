import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { findFreePort } from '../support/ports.js';

// `npm start` as a user runs it: the supervisor, its own embedded Temporal server on a SQLite file, worker and API.

interface Started {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

let dir: string;
let configPath: string;
let receiver: Receiver;
// Answers after 3 s: a delivery still in flight when Ctrl-C comes.
let slowReceiver: Receiver;
const SLOW_ANSWER_MS = 3_000;
let ports: { api: number; temporal: number; ui: number };

function start(): Started {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_CLI_PATH: inject('temporalCliPath') };
  delete env['TEMPORAL_ADDRESS'];
  // In a process group of its own, as a terminal's foreground job is: a Ctrl-C is that group's SIGINT.
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts', '--config', configPath], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

async function waitForOutput(started: Started, pattern: RegExp, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(started.output.join(''))) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${started.output.join('')}`);
    if (started.child.exitCode !== null) throw new Error(`exited ${started.child.exitCode}:\n${started.output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits for a start told to stop to exit, and kills it if it has not within a minute (its services are then told to
 * stop by the kernel): a stop that hangs fails its test by what it checks next, not by the test's own timeout.
 */
async function exitOrKill(started: Started): Promise<void> {
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 60_000);
  await started.exited;
  clearTimeout(timer);
}

/** What a terminal's Ctrl-C does: SIGINT to every process of the foreground group. */
function pressCtrlC(started: Started): void {
  // Ended already (a failed start, say): the test's own failure is the one to report.
  if (started.child.exitCode === null && started.child.signalCode === null) process.kill(-(started.child.pid as number), 'SIGINT');
}

function postEvent(id: string, type: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${ports.api}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, type, data: {} }),
  });
}

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.destroy() && resolve(true));
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webhooks-start-'));
  receiver = await startReceiver();
  slowReceiver = await startReceiver({ defaultResponse: { status: 200, delayMs: SLOW_ANSWER_MS } });
  ports = { api: await findFreePort(), temporal: await findFreePort(), ui: await findFreePort() };
  configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    [
      `api: { host: 127.0.0.1, port: ${ports.api} }`,
      `embedded: { data_dir: ${join(dir, 'data')}, port: ${ports.temporal}, ui_port: ${ports.ui}, retention: 3d }`,
      'delivery: { allow_destinations: [loopback] }',
      'endpoints:',
      `  - { id: local, url: "${receiver.url}", events: ["order.*"] }`,
      `  - { id: slow, url: "${slowReceiver.url}", events: ["slow.*"] }`,
    ].join('\n'),
  );
});

afterAll(async () => {
  await receiver.close();
  await slowReceiver.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  test('runs Temporal (with the retention it was given), worker and API; delivers an event; stops cleanly on SIGTERM', async () => {
    const first = start();
    try {
      await waitForOutput(first, /ready: API/);
      const response = await fetch(`http://127.0.0.1:${ports.api}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'evt_start_1', type: 'order.created', data: { n: 1 } }),
      });
      expect(response.status).toBe(202);
      const [request] = await receiver.waitForRequests(1, 30_000);
      expect(request?.headers['webhook-id']).toBe('evt_start_1');
      expect(await fetch(`http://127.0.0.1:${ports.ui}/`).then((r) => r.status)).toBe(200);
      expect(first.output.join('')).toMatch(/^\S+ api {6}INFO/m);
      expect(first.output.join('')).toMatch(/^\S+ worker {3}INFO/m);
      // The worker says it bundled its workflows in one line, not with webpack's listing of every module.
      expect(first.output.join('').match(/^\S+ worker .*Workflow bundle created/gm)).toHaveLength(1);
      expect(first.output.join('')).not.toMatch(/modules by path|compiled successfully/);
      const client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${ports.temporal}` }) });
      try {
        const namespace = await client.connection.workflowService.describeNamespace({ namespace: 'default' });
        expect(Number(namespace.config?.workflowExecutionRetentionTtl?.seconds)).toBe(3 * 86_400);
      } finally {
        await client.connection.close();
      }
    } finally {
      first.child.kill('SIGTERM');
      // Waited for here too when the test failed: the next test's start needs the ports this one holds.
      await exitOrKill(first);
    }
    expect(await first.exited).toBe(0);
    expect(await portIsOpen(ports.temporal)).toBe(false);
    expect(await portIsOpen(ports.api)).toBe(false);
  }, 180_000);

  // The next start finding the first delivery COMPLETED also shows that a start keeps its data for the next.
  test('Ctrl-C lets a delivery in flight finish before Temporal stops, so the next start does not send it again; a second Ctrl-C kills at once', async () => {
    const first = start();
    try {
      await waitForOutput(first, /ready: API/);
      expect((await postEvent('evt_ctrl_c_1', 'slow.started')).status).toBe(202);
      await slowReceiver.waitForRequests(1, 30_000);
    } finally {
      pressCtrlC(first);
      await exitOrKill(first);
    }
    expect(await first.exited).toBe(0);
    const output = first.output.join('');
    // The node stopped, its delivery answered, before the server was stopped: it reached Temporal.
    expect(output).toContain('state=STOPPED');
    expect(output.indexOf('temporal stopping')).toBeGreaterThan(output.indexOf('state=STOPPED'));
    expect(output).not.toMatch(/Connection refused/);

    const second = start();
    try {
      await waitForOutput(second, /ready: API/);
      const client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${ports.temporal}` }) });
      try {
        // Already over: cut off, the delivery would have waited for this start to send it again.
        const description = await client.workflow.getHandle('event/evt_ctrl_c_1').describe();
        expect(description.status.name).toBe('COMPLETED');
      } finally {
        await client.connection.close();
      }
      expect(slowReceiver.requests.filter((request) => request.headers['webhook-id'] === 'evt_ctrl_c_1')).toHaveLength(1);

      // An answer that takes longer than the test waits: only a kill ends this stop quickly.
      slowReceiver.script({ status: 200, delayMs: 30_000 });
      expect((await postEvent('evt_ctrl_c_2', 'slow.started')).status).toBe(202);
      await expect.poll(() => slowReceiver.requests.some((request) => request.headers['webhook-id'] === 'evt_ctrl_c_2')).toBe(true);
      pressCtrlC(second);
      await waitForOutput(second, /node {5}stopping/);
      // Past the window in which a repeat counts as the same Ctrl-C.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      pressCtrlC(second);
      await exitOrKill(second);
    }
    // Killed, not stopped: the answer was not waited for (the exit code says which path ended it).
    expect(await second.exited).toBe(130);
    expect(second.output.join('')).toMatch(/SIGINT again: killing api, worker and temporal now/);
    expect(await portIsOpen(ports.temporal)).toBe(false);
    expect(await portIsOpen(ports.api)).toBe(false);
  }, 240_000);
});
