import { describe, expect, it } from 'vitest';
import { createLabelBound, OTHER_LABEL } from '../../domain/label-bound.js';

describe('createLabelBound', () => {
  it('names the first values seen up to the limit, and counts the rest as other', () => {
    const bound = createLabelBound(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map(bound)).toEqual(['a', 'b', OTHER_LABEL, 'a', OTHER_LABEL, 'b']);
  });

  it('always names the known values, whatever the limit', () => {
    const bound = createLabelBound(0, ['order.created']);
    expect(bound('order.created')).toBe('order.created');
    expect(bound('order.deleted')).toBe(OTHER_LABEL);
  });

  it('counts a known value only once against nothing', () => {
    const bound = createLabelBound(1, ['x']);
    expect([bound('x'), bound('y'), bound('z')]).toEqual(['x', 'y', OTHER_LABEL]);
  });
});
