import { z } from 'zod';
import { parseDurationMs } from './duration.js';

// Apart from the duration arithmetic, which workflows use: a module that a workflow imports builds no schema, since
// each workflow execution evaluates its modules afresh.

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
