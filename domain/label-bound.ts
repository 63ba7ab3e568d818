/** The value a bounded label takes for everything past its limit. */
export const OTHER_LABEL = 'other';

/**
 * Keeps a metric label to a bounded set of values: each series costs the scraper memory for as long as it exists, and
 * endpoint ids or event types are as many as users make. Values in `known` always keep their name, and so do the
 * first `limit` others seen; any later one is counted as `other`. Which values keep their names depends on the order
 * they are seen in, so a process sees a stable set from its start.
 */
export function createLabelBound(limit: number, known: readonly string[] = []): (value: string) => string {
  const named = new Set(known);
  let extra = 0;
  return (value) => {
    if (named.has(value)) return value;
    if (extra >= limit) return OTHER_LABEL;
    extra++;
    named.add(value);
    return value;
  };
}
