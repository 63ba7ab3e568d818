import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { METRIC_NAMES } from '../../metrics/index.js';
import { familyOf } from '../support/prometheus.js';

// deploy/prometheus-alerts.yml is checked by promtool against synthetic series (test/cluster/prometheus.test.ts): a rule
// or a series naming a metric the gateway no longer exports would pass there on empty data, and never fire.

const read = (path: string): unknown => parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
const gatewayMetrics = (text: string): string[] => [...text.matchAll(/\bwebhooks_[a-z0-9_]+\b/g)].map((match) => match[0]);

describe('the alert rules', () => {
  const rules = (read('deploy/prometheus-alerts.yml') as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
    (group) => group.rules,
  );

  test('query only metrics the gateway exports', () => {
    for (const rule of rules) {
      const names = gatewayMetrics(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(METRIC_NAMES, `${rule.alert}: ${name}`).toContain(familyOf(name));
    }
  });

  test('are each unit-tested, on series of metrics the gateway exports', () => {
    const fixture = read('test/fixtures/prometheus/alerts.test.yml') as {
      tests: { input_series: { series: string }[]; alert_rule_test: { alertname: string }[] }[];
    };
    const tested = new Set(fixture.tests.flatMap((entry) => entry.alert_rule_test.map((check) => check.alertname)));
    expect([...tested].sort()).toEqual(rules.map((rule) => rule.alert).sort());
    for (const series of fixture.tests.flatMap((entry) => entry.input_series)) {
      for (const name of gatewayMetrics(series.series)) expect(METRIC_NAMES, series.series).toContain(familyOf(name));
    }
  });
});
