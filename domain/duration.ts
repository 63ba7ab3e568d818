import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Parses a duration such as `500ms`, `15s`, `5m`, `1h30m` or `7d` into milliseconds; `undefined` if it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  PART.lastIndex = 0;
  let totalMs = 0;
  let consumed = 0;
  for (let match = PART.exec(trimmed); match !== null; match = PART.exec(trimmed)) {
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

/**
 * A duration written with its unit (`15s`, `5m`, `1h30m`), parsed to milliseconds.
 * Bare numbers are refused on purpose: whether `15` means seconds or milliseconds is a classic config bug.
 */
export const DurationSchema = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDurationMs(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write it with a unit, e.g. 500ms, 15s, 5m, 1h30m, 7d` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ 'x-kind': 'duration' });
