import { describe, expect, test } from 'vitest';
import { createProcessInvocationLog } from '../../server/invocation-log.js';
import { anInvocation } from '../support/builders.js';

const invocation = anInvocation;

describe('createProcessInvocationLog', () => {
  test('keeps at most `size` invocations per source, newest first, and says they are this process’s', async () => {
    const log = createProcessInvocationLog(3);
    for (let n = 1; n <= 5; n++) log.record('a', invocation(n));
    log.record('b', invocation(9));
    const a = await log.read('a');
    expect(a.invocations.map((i) => i.payloadExcerpt)).toEqual(['#5', '#4', '#3']);
    expect(a.scope).toBe('process');
    expect((await log.read('b')).invocations.map((i) => i.payloadExcerpt)).toEqual(['#9']);
    expect((await log.read('never-called')).invocations).toEqual([]);
  });

  test('keeps nothing when size is 0', async () => {
    const log = createProcessInvocationLog(0);
    log.record('a', invocation(1));
    expect((await log.read('a')).invocations).toEqual([]);
  });
});
