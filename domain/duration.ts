const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** Parses a duration such as `500ms`, `15s`, `5m`, `1h30m` or `7d` into milliseconds; `undefined` if it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  // Made per call: a sticky expression keeps its position in itself, and workflow executions share this module.
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let totalMs = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match !== null; match = part.exec(trimmed)) {
    const [whole, amount, unit] = match;
    totalMs += Number(amount) * UNIT_MS[unit as Unit];
    consumed += whole.length;
  }
  return consumed === trimmed.length ? Math.round(totalMs) : undefined;
}

/** Renders milliseconds as the shortest readable duration (`1h30m`, `5s`, `250ms`), the inverse of {@link parseDurationMs}. */
export function formatDurationMs(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}
