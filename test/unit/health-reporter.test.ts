import type { Client } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createHealthReporter } from '../../gateway/health-reporter.js';

// The reporter's pacing, against a client that only records the signals it is asked to send.
function recordingClient() {
  const sent: { workflowId: string; report: { delivered: number; failed: number } }[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: (_signal: unknown, report: { delivered: number; failed: number }) => {
          sent.push({ workflowId, report });
          return Promise.resolve();
        },
      }),
    },
  } as unknown as Client;
  return { client, sent };
}

describe('the health reporter', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  test('sends failures at each interval and successes of healthy endpoints at every twelfth', async () => {
    const { client, sent } = recordingClient();
    const reporter = createHealthReporter(client, { intervalMs: 1_000 });
    const at = new Date('2026-03-01T10:00:00Z');
    reporter.record('healthy', true, at);
    reporter.record('broken', false, at);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([{ workflowId: 'endpoint/broken', report: expect.objectContaining({ failed: 1, delivered: 0 }) }]);

    reporter.record('healthy', true, at);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent.map((signal) => signal.workflowId)).toEqual(['endpoint/broken']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.at(-1)).toEqual({ workflowId: 'endpoint/healthy', report: expect.objectContaining({ delivered: 2, failed: 0 }) });
    await reporter.close();
  });

  test('sends the first success of an endpoint routing knows as failing at once', async () => {
    const { client, sent } = recordingClient();
    const reporter = createHealthReporter(client, { intervalMs: 1_000, isFailing: (endpointId) => endpointId === 'recovering' });
    reporter.record('recovering', true, new Date('2026-03-01T10:00:00Z'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([{ workflowId: 'endpoint/recovering', report: expect.objectContaining({ delivered: 1 }) }]);
    await reporter.close();
  });

  test('sends at most 25 quiet reports per interval, oldest first, and failures whatever the backlog', async () => {
    const { client, sent } = recordingClient();
    const reporter = createHealthReporter(client, { intervalMs: 1_000 });
    const at = new Date('2026-03-01T10:00:00Z');
    for (let index = 0; index < 60; index++) reporter.record(`endpoint-${index}`, true, at);
    await vi.advanceTimersByTimeAsync(12_000);
    expect(sent.map((signal) => signal.workflowId)).toEqual(Array.from({ length: 25 }, (_, index) => `endpoint/endpoint-${index}`));

    reporter.record('broken', false, at);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(51);
    expect(sent.slice(25).map((signal) => signal.workflowId)).toContain('endpoint/broken');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(new Set(sent.map((signal) => signal.workflowId)).size).toBe(61);
    await reporter.close();
  });

  test('sends whatever is left when it closes', async () => {
    const { client, sent } = recordingClient();
    const reporter = createHealthReporter(client, { intervalMs: 1_000 });
    reporter.record('healthy', true, new Date('2026-03-01T10:00:00Z'));
    await reporter.close();
    expect(sent.map((signal) => signal.workflowId)).toEqual(['endpoint/healthy']);
  });
});
