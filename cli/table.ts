/** A column of a text table: its heading, and how a row shows in it. */
export interface Column<Row> {
  readonly heading: string;
  readonly value: (row: Row) => string | number | undefined;
}

const CELL_LIMIT = 60;

/**
 * Rows as aligned columns under upper-case headings, like `kubectl get` or `docker ps`: easy to read and to cut
 * with `awk`. An empty cell shows as `-` so that columns never collapse, and a long one is cut with `…`.
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const headings = columns.map((column) => column.heading.toUpperCase());
  const widths = headings.map((heading, index) => Math.max(heading.length, ...cells.map((line) => line[index]?.length ?? 0)));
  const line = (values: readonly string[]): string =>
    values
      .map((value, index) => (index === values.length - 1 ? value : value.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headings), ...cells.map(line)].join('\n');
}

function cell(value: string | number | undefined): string {
  if (value === undefined || value === '') return '-';
  const text = String(value).replace(/\s+/g, ' ');
  return text.length > CELL_LIMIT ? `${text.slice(0, CELL_LIMIT - 1)}…` : text;
}

/** `label: value` lines with the values aligned, for one record. */
export function formatFields(fields: readonly (readonly [string, string | number | undefined])[]): string {
  const shown = fields.filter(([, value]) => value !== undefined && value !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${String(value)}`).join('\n');
}

export { relativeTime } from '../domain/relative-time.js';
