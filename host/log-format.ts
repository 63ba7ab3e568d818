const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'component', 'msg', 'v']);

/**
 * Turns one line of a process's output into a readable, labelled line: pino JSON becomes
 * `time component LEVEL message key=value…`, labelled by the record's own component where it names one (a gateway
 * node logs as `api` and `worker`) unless the process is a numbered one of it (`api-2`); anything else is kept as it
 * is, behind the process's label.
 */
export function formatLogLine(process: string, line: string, now: Date = new Date()): string {
  let record: Record<string, unknown> | undefined;
  if (line.startsWith('{')) {
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      record = undefined;
    }
  }
  if (!record) return `${clock(now)} ${process.padEnd(8)} ${line}`;
  const component = typeof record['component'] === 'string' ? record['component'] : process;
  // A replica's own name (`api-2`) says more than the component it logs as (`api`).
  const label = (process.startsWith(`${component}-`) ? process : component).padEnd(8);

  const time = typeof record['time'] === 'number' ? new Date(record['time']) : now;
  const rawLevel = record['level'];
  const level =
    (typeof rawLevel === 'number' ? LEVEL_NAMES[rawLevel] : typeof rawLevel === 'string' ? rawLevel.toUpperCase() : undefined) ?? 'INFO';
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED_KEYS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return [clock(time), label, level.padEnd(5), typeof record['msg'] === 'string' ? record['msg'] : '', ...fields].join(' ').trimEnd();
}

function clock(date: Date): string {
  return date.toISOString().slice(11, 23);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value !== null && typeof value === 'object' && 'message' in value && 'type' in value) {
    return JSON.stringify(`${String((value as { type: unknown }).type)}: ${String((value as { message: unknown }).message)}`);
  }
  return JSON.stringify(value);
}
