import { describe, expect, test } from 'vitest';
import { GONE_REASON, judgeAttempt, type NextStep } from '../../domain/attempt-outcome.js';
import type { AttemptResult, AttemptVerdict } from '../../domain/delivery.js';
import { aTarget, retryAfter } from '../support/builders.js';

const target = aTarget('https://crm.example.com/hooks', { retry: retryAfter([1_000, 5_000]), retryOnStatus: [409] });
const answered = (statusCode: number, headers: Record<string, string> = {}): AttemptResult => ({
  startedAt: '2026-03-02T12:00:00.000Z',
  durationMs: 120,
  statusCode,
  responseHeaders: headers,
});
const refused: AttemptResult = { startedAt: '2026-03-02T12:00:00.000Z', durationMs: 3, errorClass: 'connection_refused' };
const blocked: AttemptResult = { startedAt: '2026-03-02T12:00:00.000Z', durationMs: 0, errorClass: 'blocked_destination' };

describe('judging an attempt', () => {
  test.each<[string, AttemptResult, number, AttemptVerdict, NextStep]>([
    ['a 2xx', answered(204), 1, 'delivered', { kind: 'succeeded' }],
    ['a 500 with retries left', answered(500), 1, 'retryable', { kind: 'retry', delayMs: 1_000 }],
    ['a 500 on the last attempt', answered(500), 3, 'retryable', { kind: 'failed', reason: 'retries used up; last: 500', gone: false }],
    ['a 429 with Retry-After', answered(429, { 'retry-after': '7' }), 1, 'retryable', { kind: 'retry', delayMs: 7_000 }],
    ['a 4xx listed in retry_on_status', answered(409), 2, 'retryable', { kind: 'retry', delayMs: 5_000 }],
    ['another 4xx', answered(422), 1, 'rejected', { kind: 'failed', reason: 'not retried: 422', gone: false }],
    ['a redirect', answered(301), 1, 'rejected', { kind: 'failed', reason: 'not retried: 301', gone: false }],
    ['410 Gone', answered(410), 1, 'gone', { kind: 'failed', reason: GONE_REASON, gone: true }],
    ['a refused connection', refused, 1, 'retryable', { kind: 'retry', delayMs: 1_000 }],
    ['a blocked destination', blocked, 1, 'rejected', { kind: 'failed', reason: 'not retried: blocked_destination', gone: false }],
  ])('%s', (_name, result, attempt, verdict, next) => {
    expect(judgeAttempt(target, result, { attempt, elapsedMs: 0, random: () => 0.5 })).toEqual({ verdict, next });
  });

  test('asks for a random number only when it retries: a workflow replays its random numbers in order', () => {
    let asked = 0;
    const random = () => {
      asked++;
      return 0.5;
    };
    judgeAttempt(target, answered(200), { attempt: 1, elapsedMs: 0, random });
    judgeAttempt(target, answered(400), { attempt: 1, elapsedMs: 0, random });
    expect(asked).toBe(0);
    judgeAttempt(target, answered(503), { attempt: 1, elapsedMs: 0, random });
    expect(asked).toBe(1);
  });

  test('gives up when the next retry would start after the deadline', () => {
    const bounded = { ...target, retry: { ...target.retry, deadlineMs: 3_000 } };
    expect(judgeAttempt(bounded, answered(500), { attempt: 2, elapsedMs: 1_000, random: () => 0.5 }).next).toEqual({
      kind: 'failed',
      reason: 'retries used up; last: 500',
      gone: false,
    });
  });
});
