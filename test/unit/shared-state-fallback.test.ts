import { describe, expect, test } from 'vitest';
import { createProcessInvocationLog, type Invocation } from '../../server/invocation-log.js';
import { createRedisFallback, invocationLogWithFallback } from '../../server/shared-state/fallback.js';
import { createOutageNotice, type OutageLog } from '../../server/shared-state/outage-notice.js';
import type { RedisInvocationLog } from '../../server/shared-state/redis-invocation-log.js';
import { anInvocation } from '../support/builders.js';

// What the API does while Redis is away, with a hand-moved clock and Redis played by functions: no I/O here. The
// same against a real Redis that is killed is test/e2e/redis-outage.test.ts.

function recordingLog(): OutageLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (_details, message) => lines.push(`warn: ${message.split(':')[0] ?? ''}`),
    info: (_details, message) => lines.push(`info: ${message.split(':')[0] ?? ''}`),
  };
}

const DOWN = 'warn: Redis is unreachable';
const BACK = 'info: Redis is reachable again';

describe('createOutageNotice', () => {
  test('warns at the first failure and then at most once per 30 s, however many fail', () => {
    let nowMs = 0;
    const log = recordingLog();
    const notice = createOutageNotice(log, () => nowMs);
    for (; nowMs <= 65_000; nowMs += 500) notice.failed(new Error('ECONNREFUSED'));
    expect(log.lines).toEqual([DOWN, DOWN, DOWN]);
  });

  test('says once that Redis is back, after an outage it warned about', () => {
    let nowMs = 0;
    const log = recordingLog();
    const notice = createOutageNotice(log, () => nowMs);
    notice.recovered();
    notice.failed(new Error('closed'));
    nowMs = 2_000;
    notice.recovered();
    notice.recovered();
    expect(log.lines).toEqual([DOWN, BACK]);
  });

  test('lets a flap soon after a warning pass without a line, and warns if it lasts past the quiet time', () => {
    let nowMs = 0;
    const log = recordingLog();
    const notice = createOutageNotice(log, () => nowMs);
    notice.failed(new Error('closed'));
    notice.recovered();
    nowMs = 10_000;
    notice.failed(new Error('closed'));
    notice.recovered();
    expect(log.lines).toEqual([DOWN, BACK]);
    notice.failed(new Error('closed'));
    nowMs = 30_000;
    notice.failed(new Error('ECONNREFUSED'));
    expect(log.lines).toEqual([DOWN, BACK, DOWN]);
  });
});

describe('createRedisFallback', () => {
  const shared = () => Promise.resolve('redis');
  const local = () => Promise.resolve('process');
  const failing = () => Promise.reject(new Error('Command timed out'));

  test('uses Redis while it is connected, and this process while it is not', async () => {
    let connected = true;
    const fallback = createRedisFallback(() => connected, createOutageNotice(recordingLog()));
    expect(await fallback.attempt(shared, local)).toBe('redis');
    connected = false;
    expect(await fallback.attempt(shared, local)).toBe('process');
  });

  test('answers from this process when a command fails, rests Redis for a second, then tries it again', async () => {
    let nowMs = 0;
    const log = recordingLog();
    const fallback = createRedisFallback(
      () => true,
      createOutageNotice(log, () => nowMs),
      () => nowMs,
    );
    expect(await fallback.attempt(failing, local)).toBe('process');
    nowMs = 999;
    let tried = false;
    expect(
      await fallback.attempt(() => {
        tried = true;
        return shared();
      }, local),
    ).toBe('process');
    expect(tried).toBe(false);
    nowMs = 1_000;
    expect(await fallback.attempt(shared, local)).toBe('redis');
    expect(log.lines).toEqual([DOWN, BACK]);
  });

  test('tries Redis at once when the connection is ready again', async () => {
    // The clock stands still: only the ready connection lifts the rest.
    const fallback = createRedisFallback(
      () => true,
      createOutageNotice(recordingLog()),
      () => 0,
    );
    await fallback.attempt(failing, local);
    fallback.recovered();
    expect(await fallback.attempt(shared, local)).toBe('redis');
  });
});

describe('invocationLogWithFallback', () => {
  const invocation = anInvocation;

  function sharedLog(): RedisInvocationLog & { pushed: Invocation[]; failing: boolean } {
    const log = {
      pushed: [] as Invocation[],
      failing: false,
      push: (_sourceId: string, entry: Invocation) => {
        if (log.failing) return Promise.reject(new Error('Stream isn’t writeable'));
        log.pushed.unshift(entry);
        return Promise.resolve();
      },
      read: () => (log.failing ? Promise.reject(new Error('Stream isn’t writeable')) : Promise.resolve([...log.pushed])),
    };
    return log;
  }

  test('keeps this process’s calls as well, and reads them, saying so, while Redis is away', async () => {
    let connected = true;
    const shared = sharedLog();
    const log = invocationLogWithFallback(
      shared,
      createProcessInvocationLog(10),
      createRedisFallback(() => connected, createOutageNotice(recordingLog())),
    );
    log.record('hooks', invocation(1));
    expect(await log.read('hooks')).toEqual({ scope: 'shared', invocations: [invocation(1)] });

    connected = false;
    shared.failing = true;
    log.record('hooks', invocation(2));
    expect(await log.read('hooks')).toEqual({ scope: 'process', invocations: [invocation(2), invocation(1)] });
    expect(shared.pushed).toEqual([invocation(1)]);
  });

  test('falls back when a read fails although the connection looked ready', async () => {
    const shared = sharedLog();
    const log = invocationLogWithFallback(
      shared,
      createProcessInvocationLog(10),
      createRedisFallback(() => true, createOutageNotice(recordingLog())),
    );
    log.record('hooks', invocation(1));
    shared.failing = true;
    expect(await log.read('hooks')).toEqual({ scope: 'process', invocations: [invocation(1)] });
  });
});
