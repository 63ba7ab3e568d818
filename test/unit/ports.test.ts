import { createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { findFreeLowPortRun } from '../support/ports.js';

function listenOn(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(() => new Promise((closed) => server.close(() => closed()))));
  });
}

describe('findFreeLowPortRun', () => {
  test('gives a run of consecutive ports below 32768 that all bind, none of them one already picked for another process', async () => {
    // Every other port in the range is "picked": only runs that fit between them could be chosen, and none does.
    const picked = Array.from({ length: 6_000 }, (_, n) => 20_000 + 2 * n);
    await expect(findFreeLowPortRun(2, picked)).rejects.toThrow('no 2 consecutive free ports');

    const first = await findFreeLowPortRun(5, [20_000, 25_000]);
    const run = Array.from({ length: 5 }, (_, offset) => first + offset);
    expect(run.every((port) => port >= 20_000 && port < 32_768 && port !== 25_000)).toBe(true);
    const closers = await Promise.all(run.map(listenOn));
    await Promise.all(closers.map((close) => close()));
  });
});
