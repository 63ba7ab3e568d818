import type { FastifyReply } from 'fastify';

/** One located problem with a request, for validation failures: `path` is a JSON pointer into the body. */
export interface ProblemDetail {
  readonly path: string;
  readonly message: string;
}

/** The one error shape of the API: RFC 9457 problem details, plus `errors` for validation failures. */
export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  /** A stable, machine-readable kind, such as `validation-failed`; sent as a URI under PROBLEM_TYPE_BASE. */
  readonly type: string;
  readonly errors?: readonly ProblemDetail[];
  /** On a 503 for events that came without an id: each event's id, in order, as the gateway named it. */
  readonly event_ids?: readonly string[];
}

const PROBLEM_TYPE_BASE = 'https://temporal-webhooks.dev/problems/';

/** No such route or resource. */
export function notFound(detail: string): Problem {
  return { status: 404, type: 'not-found', title: 'Not Found', detail };
}

/** A request that breaks a schema, with every problem located by a JSON pointer. */
export function validationFailed(errors: readonly ProblemDetail[], title = 'The request is not valid'): Problem {
  return { status: 400, type: 'validation-failed', title, detail: 'See errors for each problem and where it is.', errors };
}

/** The JSON body of `problem`, as sent, or as one item's outcome inside a larger answer. */
export function problemBody(problem: Problem) {
  return {
    type: `${PROBLEM_TYPE_BASE}${problem.type}`,
    title: problem.title,
    status: problem.status,
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
    ...(problem.errors === undefined ? {} : { errors: [...problem.errors] }),
    ...(problem.event_ids === undefined ? {} : { event_ids: [...problem.event_ids] }),
  };
}

// The problem each reply was answered with, for the metrics of refusals; gone with the reply.
const sentProblems = new WeakMap<FastifyReply, string>();

/** Sends `problem` as `application/problem+json`. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  sentProblems.set(reply, problem.type);
  return reply.code(problem.status).type('application/problem+json').send(problemBody(problem));
}

/** The type of the problem `reply` was answered with, if it was a problem. */
export function problemTypeOf(reply: FastifyReply): string | undefined {
  return sentProblems.get(reply);
}

/** A JSON pointer (RFC 6901) for a path such as `['data', 0, 'name']`. */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  return path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
