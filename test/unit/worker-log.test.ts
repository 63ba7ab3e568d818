import { Writable } from 'node:stream';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, test } from 'vitest';
import { createLogger, toTemporalLogger } from '../../host/logger.js';
import { WORKFLOWS_PATH } from '../../worker/workflows-module.js';

function captured(): { lines: Record<string, unknown>[]; sink: Writable } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, sink };
}

describe("the worker's log", () => {
  test('says in one line that the workflows were bundled, without webpack’s module listing', async () => {
    const { lines, sink } = captured();
    await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: toTemporalLogger(createLogger('worker', 'info', sink)) });
    expect(lines.map((line) => line['msg'])).toEqual(['Workflow bundle created']);
    expect(lines[0]).toMatchObject({ level: 30, component: 'worker', size: expect.stringMatching(/MB$/) });
  }, 60_000);

  test('keeps every other record of the SDK, at its level', () => {
    const { lines, sink } = captured();
    const logger = toTemporalLogger(createLogger('worker', 'debug', sink));
    logger.info('Worker state changed', { state: 'RUNNING' });
    logger.warn('asset workflow-bundle.js 2.8 MiB\nwebpack 5.0.0 compiled with 1 warning in 900 ms');
    logger.error('Webpack finished with errors');
    expect(lines.map((line) => [line['level'], line['msg']])).toEqual([
      [30, 'Worker state changed'],
      [40, 'asset workflow-bundle.js 2.8 MiB\nwebpack 5.0.0 compiled with 1 warning in 900 ms'],
      [50, 'Webpack finished with errors'],
    ]);
  });
});
