import { z } from 'zod';
import { EventTypeSchema } from './pattern.js';

/**
 * A producer's event id. It becomes part of the workflow id (`event/<id>`), so it is kept to characters
 * that read well in URLs, the CLI and the Web UI.
 */
export const EventIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@+=-]*$/, 'event id must start with a letter or digit and use only letters, digits and . _ : @ + = -');

/**
 * Any JSON value. Named, so that a description of the API can refer to it: the recursion in its definition needs a
 * name to point back to.
 */
export const JsonValueSchema = z.json().meta({ id: 'JsonValue', description: 'any JSON value' });

/** The body of `POST /v1/events`. */
export const IncomingEventSchema = z.strictObject({
  id: EventIdSchema.optional().meta({ description: 'your id for the event; repeating it never delivers twice' }),
  type: EventTypeSchema.meta({ description: 'the event type, e.g. order.created' }),
  timestamp: z.iso.datetime({ offset: true }).optional().meta({ description: 'when it happened (ISO 8601); defaults to now' }),
  data: JsonValueSchema.optional().meta({ description: 'the payload, any JSON value; defaults to {}' }),
});
export type IncomingEvent = z.infer<typeof IncomingEventSchema>;

/** An accepted event, as it travels into the delivery workflow. */
export interface WebhookEvent {
  readonly id: string;
  readonly type: string;
  /** ISO 8601, when the event happened (the producer's) or was accepted. */
  readonly timestamp: string;
  readonly data: unknown;
}
