import { describe, expect, test } from 'vitest';
import { formatLogLine } from '../../host/log-format.js';

describe('formatLogLine', () => {
  test('turns a pino record into time, component, level, message and fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      pid: 1,
      hostname: 'h',
      component: 'api',
      msg: 'event accepted',
      eventId: 'evt_1',
      endpoints: 2,
      note: 'two words',
    });
    expect(formatLogLine('api', line)).toBe('03:04:05.006 api      INFO  event accepted eventId=evt_1 endpoints=2 note="two words"');
  });

  test('shows an error field as its type and message', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'failed', err: { type: 'Error', message: 'boom', stack: '...' } });
    expect(formatLogLine('worker', line)).toBe('00:00:00.000 worker   ERROR failed err="Error: boom"');
  });

  test("labels a record by its own component: a gateway node's API and worker share one process", () => {
    const line = JSON.stringify({ level: 30, time: 0, component: 'worker', msg: 'Workflow bundle created' });
    expect(formatLogLine('node', line)).toBe('00:00:00.000 worker   INFO  Workflow bundle created');
  });

  test("labels a record of a cluster's numbered replica by the replica", () => {
    const line = JSON.stringify({ level: 30, time: 0, component: 'api', msg: 'API listening' });
    expect(formatLogLine('api-2', line)).toBe('00:00:00.000 api-2    INFO  API listening');
  });

  test('keeps a line that is not JSON as it is, behind the label', () => {
    expect(formatLogLine('temporal', 'Server:  localhost:7233', new Date(0))).toBe('00:00:00.000 temporal Server:  localhost:7233');
    expect(formatLogLine('temporal', '{not json', new Date(0))).toBe('00:00:00.000 temporal {not json');
  });
});
