import type { Agent } from 'undici';
import { describe, expect, test } from 'vitest';
import { createClientTlsPools, readTlsMaterial } from '../../activities/index.js';
import { createGuardedLookup } from '../../activities/destination.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('readTlsMaterial', () => {
  test('reads each named variable, restoring line breaks written as \\n', () => {
    const env = { CERT: PEM, KEY: PEM.replace(/\n/g, '\\n'), CA: PEM };
    expect(readTlsMaterial({ certEnv: 'CERT', keyEnv: 'KEY', caEnv: 'CA' }, env)).toEqual({ material: { cert: PEM, key: PEM, ca: PEM } });
    expect(readTlsMaterial({ caEnv: 'CA' }, env)).toEqual({ material: { ca: PEM } });
  });

  test('names the first variable that is not set, or empty, and nothing of the others', () => {
    expect(readTlsMaterial({ certEnv: 'CERT', keyEnv: 'GONE' }, { CERT: PEM })).toEqual({ missingVariable: 'GONE' });
    expect(readTlsMaterial({ caEnv: 'EMPTY' }, { EMPTY: '' })).toEqual({ missingVariable: 'EMPTY' });
  });
});

describe('createClientTlsPools', () => {
  test('gives the same material the same pool, other material another, and closes the least recently used past the bound', async () => {
    const pools = createClientTlsPools({ lookup: createGuardedLookup(['loopback']), maxPools: 2 });
    const first = pools.dispatcherFor({ ca: 'one' }) as Agent;
    expect(pools.dispatcherFor({ ca: 'one' })).toBe(first);
    const second = pools.dispatcherFor({ ca: 'two' }) as Agent;
    expect(second).not.toBe(first);
    pools.dispatcherFor({ ca: 'one' });
    pools.dispatcherFor({ ca: 'three' });
    // `two` was the least recently used: it was closed, and asking again makes a new pool.
    expect(second.closed).toBe(true);
    expect(pools.dispatcherFor({ ca: 'one' })).toBe(first);
    await pools.close();
    expect(first.closed).toBe(true);
  });
});
