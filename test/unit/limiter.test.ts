import { describe, expect, test } from 'vitest';
import { createLimiter } from '../../domain/limiter.js';

describe('createLimiter', () => {
  test('never runs more than the limit at once, and runs every task in arrival order', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (id: number) => async () => {
      started.push(id);
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return id;
    };
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((id) => limit(task(id))));

    expect(results).toEqual([1, 2, 3, 4, 5, 6]);
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
  });

  test('frees the slot of a task that failed', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
