// Apart from the event schemas in event.ts: workflow code imports these, and must not load zod's schemas with them
// (the SDK's reusable context freezes what its workflows load up front; see workflows/send-event.ts).

/** The prefix of the ids of the gateway's own operational events (an endpoint disabled, say). */
export const OPERATIONAL_EVENT_ID_PREFIX = 'op_';
/** The prefix of the ids of test sends (`POST /v1/endpoints/{id}/test`). */
export const TEST_EVENT_ID_PREFIX = 'test_';
