import { describe, expect, test } from 'vitest';
import { tally, type AcceptedEvent, type Arrival } from '../../chaos/tally.js';

const accepted = (entries: [string, number, number][]): Map<string, AcceptedEvent> =>
  new Map(entries.map(([id, seq, acceptedAt]) => [id, { seq, acceptedAt }]));
const arrival = (webhookId: string, seq: number, at: number, answered: Arrival['answered'] = 200): Arrival => ({
  webhookId,
  seq,
  at,
  answered,
  path: '/ok',
});

describe('the chaos tally', () => {
  test('counts an event delivered once, however many times it arrived, and its delay to the first success', () => {
    const counted = tally(
      accepted([
        ['a', 0, 1_000],
        ['b', 1, 1_000],
      ]),
      [arrival('a', 0, 1_100, 503), arrival('a', 0, 3_000), arrival('a', 0, 3_500), arrival('b', 1, 1_200)],
    );
    expect(counted).toEqual({
      accepted: 2,
      delivered: 2,
      lost: 0,
      duplicateRequests: 1,
      duplicatesUnderAnotherId: 0,
      longestDelayMs: 2_000,
    });
  });

  test('calls an accepted event that only ever failed, or never came, lost', () => {
    const counted = tally(
      accepted([
        ['a', 0, 0],
        ['b', 1, 0],
        ['c', 2, 0],
      ]),
      [arrival('a', 0, 10, 'cut'), arrival('b', 1, 10, 500), arrival('c', 2, 10)],
    );
    expect(counted.lost).toBe(2);
    expect(counted.delivered).toBe(1);
  });

  test('finds one producer event arriving under two webhook-ids, even under an id the producer never heard of', () => {
    // The producer's first try was stored but its answer lost, and the retry was stored again under a new id.
    const counted = tally(accepted([['retry-id', 7, 0]]), [arrival('lost-answer-id', 7, 5), arrival('retry-id', 7, 6)]);
    expect(counted.duplicatesUnderAnotherId).toBe(1);
    expect(counted.duplicateRequests).toBe(0);
  });

  test('ignores traffic that is not the scenario’s (probes)', () => {
    const counted = tally(accepted([['a', 0, 0]]), [
      arrival('probe', 99, 1),
      { webhookId: 'other', path: '/ok', at: 2, answered: 200 },
      arrival('a', 0, 3),
    ]);
    expect(counted).toMatchObject({ accepted: 1, delivered: 1, duplicateRequests: 0, duplicatesUnderAnotherId: 0 });
  });

  test('reports a delivery that beat the 202 (eager start) as no delay, not a negative one', () => {
    expect(tally(accepted([['a', 0, 1_000]]), [arrival('a', 0, 990)]).longestDelayMs).toBe(0);
  });
});
