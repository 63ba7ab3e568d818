import { createServer } from 'node:net';
import { DEFAULT_TEMPORAL_PORTS, type TemporalPorts } from '../../host/cluster/topology.js';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A free TCP port on 127.0.0.1 below 32768. Temporal's SQL schema stores membership ports as `smallint`, so a
 * cluster's ports must fit in one; the ephemeral ports the system hands out do not.
 */
export function findFreeLowPort(): Promise<number> {
  return findFreeLowPortRun(1);
}

/**
 * The first of `count` consecutive free ports below 32768, none of them in `taken`. A local cluster's API replicas and
 * worker metrics take the ports after its load balancer's (`localTopology`), and ports already picked for processes
 * that have not started yet (Temporal's) look free until those processes bind them.
 */
export async function findFreeLowPortRun(count: number, taken: Iterable<number> = []): Promise<number> {
  const avoid = new Set(taken);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const first = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const run = Array.from({ length: count }, (_, offset) => first + offset);
    if (run.some((port) => avoid.has(port))) continue;
    if ((await Promise.all(run.map(isFree))).every(Boolean)) return first;
  }
  throw new Error(`no ${count} consecutive free ports between 20000 and 32000`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A set of free ports for every one of Temporal's, all different and below 32768 (see {@link findFreeLowPort}). */
export async function findFreeTemporalPorts(): Promise<TemporalPorts> {
  const names = Object.keys(DEFAULT_TEMPORAL_PORTS) as (keyof TemporalPorts)[];
  const ports = new Set<number>();
  while (ports.size < names.length) ports.add(await findFreeLowPort());
  const free = [...ports];
  return Object.fromEntries(names.map((name, index) => [name, free[index]])) as unknown as TemporalPorts;
}
