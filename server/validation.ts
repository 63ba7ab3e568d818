import type { z } from 'zod';
import { toJsonPointer, type ProblemDetail } from './problem.js';

/** The problems of a failed parse, one per location (the first said about it), each with a JSON pointer. */
export function toProblemDetails(error: z.ZodError): ProblemDetail[] {
  const byPath = new Map<string, ProblemDetail>();
  for (const issue of error.issues) {
    const path = toJsonPointer(issue.path);
    if (!byPath.has(path)) byPath.set(path, { path, message: issue.message });
  }
  return [...byPath.values()];
}

/** Whether a Content-Type header names JSON: `application/json` or any `+json` type, parameters aside. */
export function isJsonContentType(header: string | undefined): boolean {
  const mediaType = header?.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}
