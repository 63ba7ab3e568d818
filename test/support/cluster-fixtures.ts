import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

// What the cluster tier's global setup and its tests share; nothing here reads the tier's provided context.

/** The config file's endpoints of the cluster tier: the reconcile test looks for their entities. */
export const CLUSTER_CONFIG_ENDPOINTS = [
  { id: 'config-alpha', url: 'http://127.0.0.1:9/alpha', events: ['cluster.config.alpha'] },
  { id: 'config-beta', url: 'http://127.0.0.1:9/beta', events: ['cluster.config.beta'] },
] as const;

/** An inbound source with a low limit of its own: shared counting shows as N accepted in total across replicas. */
export const LIMITED_SOURCE = {
  id: 'limited',
  event_type: 'cluster.source.called',
  auth: { mode: 'secret' },
  rate_limit: { limit: 6, window: '1m' },
} as const;

/** Starts `redis-server` in the background, without persistence, writing its pid to `pidFile`; waits until it answers. */
export async function startDaemonRedis(port: number, pidFile: string): Promise<void> {
  await run('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'yes',
    '--pidfile',
    pidFile,
  ]);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (
      await run('redis-cli', ['-p', String(port), 'ping']).then(
        () => true,
        () => false,
      )
    )
      return;
    await delay(100);
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

/** Kills the Redis of `pidFile` with SIGKILL, as a crash would, if it runs. */
export async function stopDaemonRedis(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(50);
  }
}

/** Drops the tier's databases, so that runs leave nothing behind. */
export async function dropDatabases(
  databases: { readonly temporal: string; readonly visibility: string },
  postgres: { readonly port: number; readonly user: string },
  host: string,
): Promise<void> {
  for (const database of [databases.temporal, databases.visibility]) {
    await run('dropdb', ['--if-exists', '--force', '-h', host, '-p', String(postgres.port), '-U', postgres.user, database]).catch(
      (error: unknown) => console.warn(`could not drop ${database}: ${String(error)}`),
    );
  }
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${errors}`))));
  });
}
