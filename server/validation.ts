import type { FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { sendProblem, toJsonPointer, type ProblemDetail } from './problem.js';

/** A request part broke its route's schema; the app's error handler answers it as 400 with every problem. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  /** Set by Fastify: `body`, `querystring`, `params` or `headers`. */
  validationContext?: string;
  constructor(readonly details: readonly ProblemDetail[]) {
    super('The request is not valid.');
  }
}

/** The problems of a failed parse, one per location (the first said about it), each with a JSON pointer. */
export function toProblemDetails(error: z.ZodError): ProblemDetail[] {
  const byPath = new Map<string, ProblemDetail>();
  for (const issue of error.issues) {
    const path = toJsonPointer(issue.path);
    if (!byPath.has(path)) byPath.set(path, { path, message: issue.message });
  }
  return [...byPath.values()];
}

/** Validates each request part with its route's zod schema, failing with one {@link RequestValidationError}. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: new RequestValidationError(toProblemDetails(result.error)) };
  };

/**
 * For routes whose body schemas are per media type. Fastify validates a body only when its media type is listed, and
 * a request without a body has none: both are refused here rather than reaching the handler unchecked.
 */
export async function requireListedMediaType(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const body = request.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined;
  const listed = Object.keys(body?.content ?? {});
  if (request.body !== undefined && request.mediaType !== undefined && listed.includes(request.mediaType)) return undefined;
  return sendProblem(reply, {
    status: 415,
    type: 'unsupported-media-type',
    title: 'Unsupported Media Type',
    detail: `Send a body with Content-Type ${listed.join(' or ')}.`,
  });
}

/**
 * A definition with a PATCH body's fields in place of its own, and without those of `removable` the body sets to
 * `null`: a JSON Merge Patch (RFC 7396) at the top level, so that an optional setting can be removed as well as
 * changed. A `null` for any other field stays, for the schema to refuse: a field with a default (`events`, `enabled`)
 * must not fall back to it, silently, because a client sent null.
 */
export function mergePatch(
  current: object,
  patch: Readonly<Record<string, unknown>>,
  removable: readonly string[],
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current, ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === null && removable.includes(key)) delete merged[key];
  return merged;
}
