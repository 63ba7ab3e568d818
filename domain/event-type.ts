// The forms of event types and subscription patterns, apart from their schemas: workflows check them too, and a
// module a workflow imports builds no schema (see `domain/duration-schema.ts`).

const SEGMENT = '[A-Za-z0-9_-]+';

/** An event type: dot-separated segments of letters, digits, `_` and `-`, such as `order.created`. */
export const EVENT_TYPE_FORM = new RegExp(`^${SEGMENT}(\\.${SEGMENT})*$`);

/** A subscription pattern: `*` (every event), `order.*` (every type under `order.`, at any depth) or an exact type. */
export const EVENT_PATTERN_FORM = new RegExp(`^(\\*|${SEGMENT}(\\.${SEGMENT})*(\\.\\*)?)$`);

/** The longest event type or pattern. */
export const EVENT_TYPE_MAX_LENGTH = 200;
