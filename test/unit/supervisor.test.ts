import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createSupervisor, parentDeathSignalTool, spawnService, type RunningService } from '../../host/supervisor.js';

const node = process.execPath;
const SUPERVISOR_MODULE = fileURLToPath(new URL('../../host/supervisor.ts', import.meta.url));

describe('createSupervisor', () => {
  test('restarts a service that dies and stops every service in reverse order', async () => {
    const events: string[] = [];
    let starts = 0;
    const supervisor = createSupervisor({ log: (name, message) => events.push(`${name}: ${message}`), initialRestartDelayMs: 50 });

    await supervisor.add({
      name: 'steady',
      start: () => spawnService(node, ['-e', 'setInterval(() => {}, 1000)'], { onLine: () => {} }),
    });
    await supervisor.add({
      name: 'flaky',
      start: () => {
        starts++;
        // The first run dies at once; the second stays up.
        return spawnService(node, ['-e', starts === 1 ? 'process.exit(3)' : 'setInterval(() => {}, 1000)'], { onLine: () => {} });
      },
    });
    await expect.poll(() => starts, { timeout: 5_000 }).toBe(2);
    await supervisor.stop();

    expect(events).toContain('flaky: exited unexpectedly (3); restarting in 0s');
    expect(events.filter((e) => e.endsWith('stopping'))).toEqual(['flaky: stopping', 'steady: stopping']);
  });

  test('stops a service that was still starting when stop() came, and starts nothing after', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let service: RunningService | undefined;
    const supervisor = createSupervisor({ log: () => {} });
    // A start that takes a while, as the embedded server's does: a signal may arrive in the middle of it.
    const adding = supervisor.add({
      name: 'slow',
      start: async () => {
        await gate;
        service = spawnService(node, ['-e', 'setInterval(() => {}, 1000)'], { onLine: () => {} });
        return service;
      },
    });
    const stopping = supervisor.stop();
    release();
    await stopping;
    await adding;

    expect(service).toBeDefined();
    // Already ended when stop() resolved: the race's second, settled answer loses to a settled `exited`.
    expect(await Promise.race([service?.exited, Promise.resolve('still running')])).toBe('SIGTERM');
    let lateStarts = 0;
    await supervisor.add({ name: 'late', start: () => (lateStarts++, spawnService(node, ['-e', ''], { onLine: () => {} })) });
    expect(lateStarts).toBe(0);
  });

  test('kill() ends at once what runs and what is still starting, and a stop() in progress settles', async () => {
    // Both ignore SIGTERM once up: only a kill ends them before the 60 s grace.
    const stubborn = ['-e', 'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)'];
    const up: string[] = [];
    const supervisor = createSupervisor({ log: () => {}, stopGraceMs: 60_000 });
    let running: RunningService | undefined;
    let starting: RunningService | undefined;
    await supervisor.add({
      name: 'running',
      start: (killed) => (running = spawnService(node, stubborn, { killed, onLine: (line) => up.push(`running ${line}`) })),
    });
    // A start that spawns its process, then waits for something that never comes, as a server that never answers.
    const adding = supervisor.add({
      name: 'starting',
      start: async (killed) => {
        starting = spawnService(node, stubborn, { killed, onLine: (line) => up.push(`starting ${line}`) });
        await new Promise((_, reject) => killed.addEventListener('abort', () => reject(new Error('killed while starting'))));
        return starting;
      },
    });
    await expect.poll(() => up.sort(), { timeout: 10_000 }).toEqual(['running up', 'starting up']);
    const stopping = supervisor.stop();

    await supervisor.kill();

    expect(await running?.exited).toBe('SIGKILL');
    expect(await starting?.exited).toBe('SIGKILL');
    // The start it ended is not a failure, and the stop that was waiting for it settles too.
    await expect(adding).resolves.toBeUndefined();
    await expect(stopping).resolves.toBeUndefined();
  });
});

describe('spawnService', () => {
  test('hands over each printed line, and kills a process that ignores SIGTERM after the grace period', async () => {
    const lines: string[] = [];
    const service = spawnService(node, ['-e', 'process.on("SIGTERM", () => {}); console.log("one\\ntwo"); setInterval(() => {}, 1000)'], {
      onLine: (line) => lines.push(line),
    });
    await expect.poll(() => lines, { timeout: 5_000 }).toEqual(['one', 'two']);
    await service.stop(200);
    expect(await service.exited).toBe('SIGKILL');
  });

  // Where the platform has no way to ask for it (not Linux, no util-linux setpriv), services run as given.
  test.runIf(parentDeathSignalTool() !== null)(
    'a service is asked to stop (SIGTERM) when its supervisor is killed outright',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'supervisor-'));
      const record = join(dir, 'service.log');
      // The service writes down the signal it stops on; the supervisor, a process of its own, passes on its lines.
      const service = `process.on("SIGTERM", () => { require("node:fs").appendFileSync(${JSON.stringify(record)}, "SIGTERM"); process.exit(0); }); console.log("up " + process.pid); setInterval(() => {}, 1000)`;
      const supervisorScript = `import { spawnService } from ${JSON.stringify(SUPERVISOR_MODULE)}; spawnService(process.execPath, ["-e", ${JSON.stringify(service)}], { onLine: (line) => console.log(line) }); setInterval(() => {}, 1000);`;
      const supervisor = spawn(node, ['--import', 'tsx', '--input-type=module', '-e', supervisorScript], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      try {
        supervisor.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        await expect.poll(() => output, { timeout: 30_000 }).toMatch(/up \d+/);
        supervisor.kill('SIGKILL');
        await expect.poll(() => readFile(record, 'utf8').catch(() => ''), { timeout: 10_000 }).toBe('SIGTERM');
      } finally {
        supervisor.kill('SIGKILL');
        // Left running (the test failed): not left behind.
        const pid = Number(/up (\d+)/.exec(output)?.[1]);
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
        await rm(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
