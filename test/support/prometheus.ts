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
