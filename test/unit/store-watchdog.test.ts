import { describe, expect, test } from 'vitest';
import { createStoreWatchdog } from '../../host/store-watchdog.js';

const STUCK = 'level=ERROR msg="Queue reader unable to retrieve tasks" shard-id=1 error="shard status unknown"';

function watch() {
  let now = 0;
  let stuck = 0;
  const watchdog = createStoreWatchdog({ stuckAfterMs: 30_000, onStuck: () => (stuck += 1), now: () => now });
  /** The server printing `line` every second for `seconds`. */
  const print = (line: string, seconds: number): void => {
    for (let second = 0; second < seconds; second += 1) {
      watchdog.observe(line);
      now += 1_000;
    }
  };
  return { print, stuck: () => stuck, wait: (ms: number) => (now += ms) };
}

describe('the embedded store watchdog', () => {
  test('calls a shard failing for 30 s without a break stuck, once', () => {
    const { print, stuck } = watch();
    print(STUCK, 30);
    expect(stuck()).toBe(0);
    print(STUCK, 30);
    expect(stuck()).toBe(1);
  });

  test('starts counting again after the server has been quiet about it', () => {
    const { print, stuck, wait } = watch();
    print(STUCK, 25);
    wait(15_000);
    print(STUCK, 25);
    expect(stuck()).toBe(0);
  });

  test('ignores every other line', () => {
    const { print, stuck } = watch();
    print('level=ERROR msg="Operation failed with an error." error="database or disk is full (13)"', 60);
    expect(stuck()).toBe(0);
  });
});
