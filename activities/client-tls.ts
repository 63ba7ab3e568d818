import { createHash } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import type { TlsReference } from '../domain/delivery.js';

/** What an endpoint's TLS settings name, read from the worker's environment at the moment of sending. */
export interface TlsMaterial {
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

/**
 * Reads the PEM text an endpoint's `tls` names. A variable that is not set is reported by name (its value is never
 * known, so never leaked), as for every other secret.
 */
export function readTlsMaterial(tls: TlsReference, env: NodeJS.ProcessEnv): { material: TlsMaterial } | { missingVariable: string } {
  const material: Record<string, string> = {};
  for (const [field, variable] of [
    ['cert', tls.certEnv],
    ['key', tls.keyEnv],
    ['ca', tls.caEnv],
  ] as const) {
    if (variable === undefined) continue;
    const value = env[variable];
    if (value === undefined || value === '') return { missingVariable: variable };
    // A PEM kept in a single-line variable often has its line breaks written as \n.
    material[field] = value.includes('-----') ? value.replace(/\\n/g, '\n') : value;
  }
  return { material };
}

/** Connection pools for endpoints with TLS settings of their own, one per distinct certificate, key and CA. */
export interface ClientTlsPools {
  /** The pool for this material; the same material always gets the same pool, so its connections are reused. */
  dispatcherFor(material: TlsMaterial): Dispatcher;
  close(): Promise<void>;
}

export interface ClientTlsPoolOptions {
  /** The destination guard (see `destination.ts`): every pool resolves names through it. */
  readonly lookup: LookupFunction;
  readonly connectionsPerPool?: number;
  /** Pools kept at most; the least recently used is closed when another is needed. */
  readonly maxPools?: number;
}

/**
 * Keyed by a digest of the material, so a rotated certificate (a new value in the variable) gets a new pool and the
 * old one ages out; no certificate or key is kept as a map key.
 */
export function createClientTlsPools(options: ClientTlsPoolOptions): ClientTlsPools {
  const pools = new Map<string, Agent>();
  const maxPools = options.maxPools ?? 100;
  return {
    dispatcherFor(material) {
      const digest = createHash('sha256')
        .update(JSON.stringify([material.cert, material.key, material.ca]))
        .digest('hex');
      const existing = pools.get(digest);
      if (existing) {
        // Most recently used last: a Map iterates in insertion order.
        pools.delete(digest);
        pools.set(digest, existing);
        return existing;
      }
      const pool = new Agent({
        connections: options.connectionsPerPool ?? 16,
        keepAliveTimeout: 10_000,
        connect: {
          lookup: options.lookup,
          ...(material.cert === undefined ? {} : { cert: material.cert }),
          ...(material.key === undefined ? {} : { key: material.key }),
          // A CA of the endpoint's own replaces the system's: a receiver on a private CA is trusted, and only it.
          ...(material.ca === undefined ? {} : { ca: material.ca }),
        },
      });
      pools.set(digest, pool);
      if (pools.size > maxPools) {
        const [oldest] = pools;
        if (oldest) {
          pools.delete(oldest[0]);
          void oldest[1].close();
        }
      }
      return pool;
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}
