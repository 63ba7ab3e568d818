import jsonata from 'jsonata';

/** The longest transform expression an endpoint may have. */
export const MAX_TRANSFORM_LENGTH = 16 * 1024;

/**
 * Why `expression` is not a JSONata expression the gateway can run, or `undefined` when it compiles. Compiling only
 * parses: nothing is evaluated, so this is safe to run on any caller's text.
 */
export function transformProblem(expression: string): string | undefined {
  try {
    jsonata(expression);
    return undefined;
  } catch (error) {
    return describeJsonataError(error);
  }
}

/** A JSONata error (a plain object with a code, a message and a position) in one line. */
export function describeJsonataError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message, position } = error as { code?: unknown; message?: unknown; position?: unknown };
  const text = typeof message === 'string' ? message : 'not an expression JSONata can read';
  const where = typeof position === 'number' ? ` (at character ${position})` : '';
  return typeof code === 'string' ? `${code}: ${text}${where}` : `${text}${where}`;
}
