import { describe, expect, it } from 'vitest';
import { FixedWindowCounter, admit } from '../../domain/rate-limit.js';

describe('FixedWindowCounter', () => {
  it('allows `limit` requests per window, then refuses until the window resets', () => {
    const counter = new FixedWindowCounter({ limit: 3, windowMs: 1_000 });
    const checks = [{ counter, key: 'a' }];
    const answers = [0, 100, 200, 300].map((at) => admit(checks, at));
    expect(answers.map((answer) => answer.allowed)).toEqual([true, true, true, false]);
    expect(answers[3]).toEqual({ allowed: false, exceeded: { limit: 3, remaining: 0, resetMs: 700 } });
    expect(admit(checks, 1_000)).toEqual({ allowed: true, tightest: { limit: 3, remaining: 2, resetMs: 1_000 } });
  });

  it('counts each key on its own', () => {
    const counter = new FixedWindowCounter({ limit: 1, windowMs: 1_000 });
    expect(admit([{ counter, key: 'a' }], 0).allowed).toBe(true);
    expect(admit([{ counter, key: 'a' }], 1).allowed).toBe(false);
    expect(admit([{ counter, key: 'b' }], 2).allowed).toBe(true);
  });

  it('forgets finished windows, so one-off callers do not pile up', () => {
    const counter = new FixedWindowCounter({ limit: 5, windowMs: 1_000 });
    for (let index = 0; index < 100; index++) counter.take(`caller-${index}`, index);
    expect(counter.size).toBe(100);
    counter.take('late', 5_000);
    expect(counter.size).toBe(1);
  });
});

describe('admit', () => {
  it('counts a refused request against no limit', () => {
    const global = new FixedWindowCounter({ limit: 10, windowMs: 60_000 });
    const perKey = new FixedWindowCounter({ limit: 1, windowMs: 60_000 });
    expect(
      admit(
        [
          { counter: global, key: '*' },
          { counter: perKey, key: 'k' },
        ],
        0,
      ).allowed,
    ).toBe(true);
    expect(
      admit(
        [
          { counter: global, key: '*' },
          { counter: perKey, key: 'k' },
        ],
        1,
      ).allowed,
    ).toBe(false);
    expect(global.peek('*', 2).remaining).toBe(9);
  });

  it('reports the tightest limit when allowed and the latest reset when refused', () => {
    const wide = new FixedWindowCounter({ limit: 100, windowMs: 60_000 });
    const narrow = new FixedWindowCounter({ limit: 2, windowMs: 1_000 });
    const allowed = admit(
      [
        { counter: wide, key: '*' },
        { counter: narrow, key: 'k' },
      ],
      0,
    );
    expect(allowed).toEqual({ allowed: true, tightest: { limit: 2, remaining: 1, resetMs: 1_000 } });

    const long = new FixedWindowCounter({ limit: 1, windowMs: 60_000 });
    const short = new FixedWindowCounter({ limit: 1, windowMs: 1_000 });
    admit([{ counter: long, key: 'x' }], 0);
    admit([{ counter: short, key: 'x' }], 0);
    expect(
      admit(
        [
          { counter: short, key: 'x' },
          { counter: long, key: 'x' },
        ],
        10,
      ),
    ).toEqual({
      allowed: false,
      exceeded: { limit: 1, remaining: 0, resetMs: 59_990 },
    });
  });

  it('charges a cost, refuses one that does not fit, and lets a cost above the limit take a whole window', () => {
    const counter = new FixedWindowCounter({ limit: 10, windowMs: 1_000 });
    expect(admit([{ counter, key: 'k' }], 0, 7)).toEqual({ allowed: true, tightest: { limit: 10, remaining: 3, resetMs: 1_000 } });
    expect(admit([{ counter, key: 'k' }], 1, 4).allowed).toBe(false);
    expect(admit([{ counter, key: 'k' }], 2, 3).allowed).toBe(true);
    expect(admit([{ counter, key: 'k' }], 1_000, 50)).toEqual({ allowed: true, tightest: { limit: 10, remaining: 0, resetMs: 1_000 } });
  });

  it('allows anything when no limit applies', () => {
    expect(admit([], 0)).toEqual({ allowed: true });
  });
});
