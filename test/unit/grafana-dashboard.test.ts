import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { METRIC_NAMES } from '../../metrics/index.js';
import { dashboardMetricNames, familyOf } from '../support/prometheus.js';

// docs/grafana-dashboard.json is what the compose file's Grafana loads: a query naming a metric nobody exports is an
// empty panel. The Temporal SDK's names are checked against a live scrape (test/e2e/metrics.test.ts).

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly { readonly expr?: string }[];
}

const dashboard = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as {
  readonly uid: string;
  readonly panels: readonly Panel[];
};

describe('the Grafana dashboard', () => {
  test('queries only metrics the gateway exports', () => {
    const ours = dashboardMetricNames(dashboard).filter((name) => name.startsWith('webhooks_'));
    expect(ours.length).toBeGreaterThan(5);
    for (const name of ours) expect(METRIC_NAMES, name).toContain(familyOf(name));
  });

  test('uses every metric the gateway exports', () => {
    const used = new Set(dashboardMetricNames(dashboard).map(familyOf));
    expect(METRIC_NAMES.filter((name) => !used.has(name))).toEqual([]);
  });

  test('reads its data source from a variable, so that it imports into any Grafana', () => {
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.every((panel) => panel.datasource?.uid === '${datasource}')).toBe(true);
    expect(new Set(panels.map((panel) => panel.title)).size).toBe(panels.length);
  });
});
