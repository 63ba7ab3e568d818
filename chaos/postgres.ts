import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { undoOnInterrupt } from './interrupt.js';

const run = promisify(execFile);

/** The Debian PostgreSQL cluster serving a port, as `pg_ctlcluster` names it. */
export interface PostgresCluster {
  readonly version: string;
  readonly name: string;
}

/** Finds the cluster on `port` with `pg_lsclusters` (Debian's postgresql-common); throws when there is none. */
export async function findPostgresCluster(port: number): Promise<PostgresCluster> {
  const { stdout } = await run('pg_lsclusters', ['--no-header']);
  for (const line of stdout.split('\n')) {
    const [version, name, clusterPort] = line.trim().split(/\s+/);
    if (version && name && clusterPort === String(port)) return { version, name };
  }
  throw new Error(`pg_lsclusters lists no PostgreSQL cluster on port ${port}`);
}

/**
 * Stops PostgreSQL the way a crash does (`-m immediate`: no checkpoint, clients cut), keeps it down for `downForMs`,
 * and starts it again. The start runs whatever happened meanwhile: the machine's database is always brought back.
 */
export async function crashAndRestartPostgres(cluster: PostgresCluster, downForMs: number): Promise<void> {
  const done = undoOnInterrupt(() => ensurePostgresRunning(cluster));
  try {
    await run('pg_ctlcluster', [cluster.version, cluster.name, 'stop', '-m', 'immediate']);
    await delay(downForMs);
  } finally {
    await ensurePostgresRunning(cluster);
    done();
  }
}

/** Starts the cluster unless it runs. */
export async function ensurePostgresRunning(cluster: PostgresCluster): Promise<void> {
  const status = await run('pg_ctlcluster', [cluster.version, cluster.name, 'status']).then(
    () => 'online',
    () => 'down',
  );
  if (status === 'down') await run('pg_ctlcluster', [cluster.version, cluster.name, 'start']);
}
