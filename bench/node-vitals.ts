/**
 * What a gateway node's own Prometheus metrics say about its main thread between two scrapes: how long its event loop
 * was held up at most, and its garbage collections. prom-client resets the event-loop histogram at each scrape, so
 * the lag is the round's; the GC figures are counters, so a round's are the difference of two scrapes.
 */
export interface NodeVitals {
  /** The longest delay of the event loop since the previous scrape, ms. */
  readonly lagMaxMs: number;
  readonly lagP99Ms: number;
  /** Garbage collections by kind (major, minor, incremental, weakcb): how many, their total time, how many took over 100 ms. */
  readonly gc: Readonly<Record<string, { readonly count: number; readonly totalMs: number; readonly over100ms: number }>>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? ([0-9.eE+-]+|NaN|\+Inf)$/;

/** Reads the vitals out of a scrape's text (the Prometheus exposition format). */
export function parseNodeVitals(text: string): NodeVitals {
  let lagMaxMs = Number.NaN;
  let lagP99Ms = Number.NaN;
  const gc: Record<string, { count: number; totalMs: number; within100ms: number }> = {};
  const gcOf = (labels: string | undefined) => {
    const kind = /kind="([^"]+)"/.exec(labels ?? '')?.[1] ?? 'unknown';
    return (gc[kind] ??= { count: 0, totalMs: 0, within100ms: 0 });
  };
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line.trim());
    if (!match) continue;
    const [, name, labels, raw] = match;
    const value = Number(raw);
    if (name === 'nodejs_eventloop_lag_max_seconds') lagMaxMs = value * 1_000;
    else if (name === 'nodejs_eventloop_lag_p99_seconds') lagP99Ms = value * 1_000;
    else if (name === 'nodejs_gc_duration_seconds_count') gcOf(labels).count = value;
    else if (name === 'nodejs_gc_duration_seconds_sum') gcOf(labels).totalMs = value * 1_000;
    else if (name === 'nodejs_gc_duration_seconds_bucket' && /le="0\.1"/.test(labels ?? '')) gcOf(labels).within100ms = value;
  }
  const counted = Object.entries(gc).map(([kind, { count, totalMs, within100ms }]) => [
    kind,
    { count, totalMs, over100ms: count - within100ms },
  ]);
  return { lagMaxMs, lagP99Ms, gc: Object.fromEntries(counted) as NodeVitals['gc'] };
}

/** The vitals of the round between scrapes `before` and `after`. */
export function vitalsBetween(before: NodeVitals, after: NodeVitals): NodeVitals {
  const gc = Object.entries(after.gc).map(([kind, now]) => {
    const then = before.gc[kind] ?? { count: 0, totalMs: 0, over100ms: 0 };
    return [kind, { count: now.count - then.count, totalMs: now.totalMs - then.totalMs, over100ms: now.over100ms - then.over100ms }];
  });
  return { lagMaxMs: after.lagMaxMs, lagP99Ms: after.lagP99Ms, gc: Object.fromEntries(gc) as NodeVitals['gc'] };
}

/** One scrape of a node's `/metrics`. */
export async function scrapeNodeVitals(apiUrl: string): Promise<NodeVitals> {
  const response = await fetch(`${apiUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${apiUrl}/metrics answered ${response.status}`);
  return parseNodeVitals(await response.text());
}

/** One line for a round's report: `loop lag max 812 ms (p99 14); GC major 3 in 95 ms, minor 210 in 180 ms (1 over 100 ms)`. */
export function describeVitals({ lagMaxMs, lagP99Ms, gc }: NodeVitals): string {
  const kinds = Object.entries(gc)
    .filter(([, { count }]) => count > 0)
    .map(
      ([kind, { count, totalMs, over100ms }]) =>
        `${kind} ${count} in ${totalMs.toFixed(0)} ms${over100ms ? ` (${over100ms} over 100 ms)` : ''}`,
    );
  return `loop lag max ${lagMaxMs.toFixed(0)} ms (p99 ${lagP99Ms.toFixed(0)}); GC ${kinds.join(', ') || 'none'}`;
}
