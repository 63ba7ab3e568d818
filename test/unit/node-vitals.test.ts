import { Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { describeVitals, parseNodeVitals, vitalsBetween } from '../../bench/node-vitals.js';

const scrape = (majors: number, majorsWithin100ms: number, majorSeconds: number): string =>
  [
    '# TYPE nodejs_eventloop_lag_max_seconds gauge',
    'nodejs_eventloop_lag_max_seconds 0.8123',
    'nodejs_eventloop_lag_p99_seconds 0.014',
    'nodejs_gc_duration_seconds_bucket{le="0.01",kind="major"} 0',
    `nodejs_gc_duration_seconds_bucket{le="0.1",kind="major"} ${majorsWithin100ms}`,
    `nodejs_gc_duration_seconds_bucket{le="+Inf",kind="major"} ${majors}`,
    `nodejs_gc_duration_seconds_sum{kind="major"} ${majorSeconds}`,
    `nodejs_gc_duration_seconds_count{kind="major"} ${majors}`,
    'nodejs_gc_duration_seconds_count{kind="minor"} 40',
    'nodejs_gc_duration_seconds_sum{kind="minor"} 0.05',
  ].join('\n');

describe("a node's vitals", () => {
  test('are read from a scrape: the loop lag in ms, and each kind of GC with its pauses over 100 ms', () => {
    const vitals = parseNodeVitals(scrape(3, 2, 0.25));
    expect(vitals.lagMaxMs).toBeCloseTo(812.3);
    expect(vitals.lagP99Ms).toBeCloseTo(14);
    expect(vitals.gc['major']).toEqual({ count: 3, totalMs: 250, over100ms: 1 });
  });

  test("of a round are the difference of its two scrapes' counters, and the later scrape's lag", () => {
    const round = vitalsBetween(parseNodeVitals(scrape(3, 2, 0.25)), parseNodeVitals(scrape(5, 3, 0.5)));
    expect(round.gc['major']).toEqual({ count: 2, totalMs: 250, over100ms: 1 });
    expect(describeVitals(round)).toBe('loop lag max 812 ms (p99 14); GC major 2 in 250 ms (1 over 100 ms)');
  });

  test("are found in prom-client's own default metrics", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const vitals = parseNodeVitals(await registry.metrics());
    expect(Number.isFinite(vitals.lagMaxMs)).toBe(true);
    expect(Number.isFinite(vitals.lagP99Ms)).toBe(true);
  });
});
