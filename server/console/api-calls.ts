import type { FastifyInstance } from 'fastify';
import type { ConsoleSession } from './session.js';

/** An answer of the API to the console: its status and JSON body. */
export interface ApiAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** A problem body the API answered with, as the console shows it. */
export interface ProblemAnswer {
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

/**
 * Calls the API in process, as the session's key: the console is a client of the same routes as any other, so every
 * check, scope, rate limit and error is the API's own.
 */
export type CallApi = <T = Record<string, unknown>>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
) => Promise<ApiAnswer<T>>;

export function apiCaller(app: FastifyInstance, session: ConsoleSession, clientIp: string): CallApi {
  return async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
    const response = await app.inject({
      method,
      url,
      remoteAddress: clientIp,
      headers: {
        ...(session.key ? { authorization: `Bearer ${session.key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    const text = response.body;
    return { status: response.statusCode, body: (text ? JSON.parse(text) : {}) as T };
  };
}

/** The words to show for a refusal: the API's detail and each problem with its place. */
export function problemText(answer: ApiAnswer<unknown>): string {
  const problem = answer.body as ProblemAnswer;
  const errors = (problem.errors ?? []).map((error) => `${error.path || '(body)'}: ${error.message}`);
  return [problem.detail ?? problem.title ?? `HTTP ${answer.status}`, ...errors].join(' · ');
}
