import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One sample of a Prometheus text exposition: its metric name, labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Reads the samples of a scrape; comment lines (HELP, TYPE) are skipped. */
export function parseSamples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = SAMPLE.exec(line);
    if (!match || line.startsWith('#')) return [];
    const [, name = '', labelText = '', value = ''] = match;
    const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map(([, key = '', raw = '']) => [key, raw.replace(/\\(.)/g, '$1')]));
    return [{ name, labels, value: Number(value) }];
  });
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return parseSamples(text)
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** The metric families a scrape declares (`# TYPE` lines). */
export function metricFamilies(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] as string));
}

/** The family a sample name belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own. */
export function familyOf(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

interface DashboardPanel {
  readonly title?: string;
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly DashboardPanel[];
}

/** One query of a Grafana dashboard and the panel showing it. */
export interface DashboardQuery {
  readonly panel: string;
  readonly expr: string;
}

/** The queries of a Grafana dashboard (JSON), those of panels in collapsed rows included. */
export function dashboardQueries(dashboard: { readonly panels: readonly DashboardPanel[] }): DashboardQuery[] {
  const walk = (panels: readonly DashboardPanel[]): DashboardQuery[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((target) => (target.expr ? [{ panel: panel.title ?? '', expr: target.expr }] : [])),
      ...walk(panel.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

/** Every metric name the queries of a Grafana dashboard (JSON) use: the gateway's and the Temporal SDK's. */
export function dashboardMetricNames(dashboard: { readonly panels: readonly DashboardPanel[] }): string[] {
  const names = dashboardQueries(dashboard).flatMap(({ expr }) =>
    [...expr.matchAll(/\b(?:webhooks|temporal)_[a-z0-9_]+\b/g)].map((match) => match[0]),
  );
  return [...new Set(names)].sort();
}

/** One scrape job of a Prometheus config, as far as the tests read it. */
export interface ScrapeConfig {
  readonly job_name: string;
  readonly authorization?: { readonly credentials_file?: string };
  readonly static_configs: readonly { readonly targets: readonly string[] }[];
}

/** deploy/prometheus.yml, as far as the tests read it. */
export interface PrometheusConfig {
  readonly global?: Readonly<Record<string, string>>;
  readonly rule_files?: readonly string[];
  readonly scrape_configs: readonly ScrapeConfig[];
}

/** The compose file's Prometheus config, deploy/prometheus.yml. */
export function readPrometheusConfig(): PrometheusConfig {
  return parse(readFileSync(new URL('../../deploy/prometheus.yml', import.meta.url), 'utf8')) as PrometheusConfig;
}
