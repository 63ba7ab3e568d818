import type { Refused, RefusedBatch } from '../gateway/index.js';
import { validationFailed, type Problem } from './problem.js';

// How the API answers what ingest refused: the same events, whichever route (events, batches, sources) sent them.

const UNKNOWN_TYPE = { status: 422, type: 'unknown-event-type', title: 'Unknown event type' } as const;

/** The answer to a refused event; `prefix` places its paths in the request (empty for an event that is the body). */
export function refusalProblem(refused: Refused, prefix = ''): Problem {
  const errors = refused.problems.map((problem) => ({ ...problem, path: `${prefix}${problem.path}` }));
  switch (refused.reason) {
    case 'reserved-id':
      return validationFailed(errors);
    case 'unknown-type':
      return { ...UNKNOWN_TYPE, detail: refused.message, errors };
    case 'invalid-data':
      return validationFailed(errors, 'The event’s data does not match its type’s schema');
  }
}

/** The answer to a refused batch; `prefix` is where the list of events is in the body (`/events`, or the body itself). */
export function batchRefusalProblem(refused: RefusedBatch, prefix: string): Problem {
  const errors = refused.problems.map((problem) => ({ ...problem, path: `${prefix}${problem.path}` }));
  return refused.reason === 'unknown-type'
    ? { ...UNKNOWN_TYPE, detail: 'The catalogue does not list these types.', errors }
    : validationFailed(errors);
}

/**
 * The answer to an id already used for other content: 409 for an event id the producer chose, 422 for an
 * Idempotency-Key reused for another request, as the IETF Idempotency-Key draft answers.
 */
export function idempotencyConflict(eventId: string, byIdempotencyKey: boolean): Problem {
  return byIdempotencyKey
    ? {
        status: 422,
        type: 'idempotency-conflict',
        title: 'Unprocessable Content',
        detail: 'This Idempotency-Key was already used for a different event; send a new event under a new key.',
      }
    : {
        status: 409,
        type: 'idempotency-conflict',
        title: 'Conflict',
        detail: `An event with id "${eventId}" was already accepted with other content; send a new event under a new id.`,
      };
}

/**
 * Temporal did not confirm events that came without an id, so none was accepted: `eventIds`, the ids they were given
 * (every event's, in order, for a batch). The start that timed out may still have been stored, so only a retry under
 * those ids is sure to deliver each once.
 */
export function notAcceptedWithIds(eventIds: readonly string[]): Problem {
  return {
    status: 503,
    type: 'temporal-unavailable',
    title: 'Service Unavailable',
    detail:
      'Temporal did not confirm the events, so none was accepted. Those sent without an id were given the ids in event_ids (in order): send them again with those ids, and none is delivered twice.',
    event_ids: [...eventIds],
  };
}
