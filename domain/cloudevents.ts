import { parse as parseJson } from 'secure-json-parse';
import { z } from 'zod';
import { EventIdSchema, JsonValueSchema, type IncomingEvent } from './event.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth.js';
import { EventTypeSchema } from './pattern.js';

/** The media type of one CloudEvent in structured mode, and of a batch of them. */
export const CLOUDEVENT_MEDIA_TYPE = 'application/cloudevents+json';
export const CLOUDEVENT_BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';

// CloudEvents 1.0 extension attribute names: lowercase letters and digits only.
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json(?:\s*;.*)?$/i;

/**
 * A CloudEvent 1.0 in the JSON event format (structured mode). The event id becomes the gateway's event id, so it
 * must also be a valid one; extension attributes are accepted and not kept.
 */
const CloudEventFields = z.looseObject({
  specversion: z.literal('1.0', { error: 'specversion must be "1.0"' }),
  id: EventIdSchema,
  source: z.string().min(1).max(2_000).meta({ description: 'URI-reference of the producer' }),
  type: EventTypeSchema,
  time: z.iso.datetime({ offset: true }).optional(),
  subject: z.string().max(2_000).optional(),
  datacontenttype: z.string().max(200).optional(),
  dataschema: z.string().max(2_000).optional(),
  data: JsonValueSchema.optional(),
  data_base64: z.base64().optional(),
});

export const CloudEventSchema = CloudEventFields.superRefine((event, ctx) => {
  for (const name of Object.keys(event)) {
    if (!Object.hasOwn(CloudEventFields.shape, name) && !EXTENSION_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'extension attribute names are 1 to 20 lowercase letters or digits' });
    }
  }
  if (event.data !== undefined && event.data_base64 !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['data_base64'], message: 'send data or data_base64, not both' });
  }
  // A missing datacontenttype means JSON (the CloudEvents JSON format, 3.1).
  if (event.data_base64 !== undefined && !JSON_MEDIA_TYPE.test(event.datacontenttype ?? 'application/json')) {
    ctx.addIssue({
      code: 'custom',
      path: ['data_base64'],
      message: 'data_base64 is accepted only with a JSON datacontenttype; webhook bodies are JSON',
    });
  }
});
export type CloudEvent = z.infer<typeof CloudEventSchema>;

/** The event a CloudEvent stands for; base64 data, which the schema allows only for JSON, is decoded and parsed. */
export function fromCloudEvent(event: CloudEvent): IncomingEvent | { readonly error: string } {
  let data = event.data;
  if (event.data_base64 !== undefined) {
    try {
      // The same guard as every other JSON body: no prototype keys, no absurd nesting.
      const text = new TextDecoder('utf-8', { fatal: true }).decode(base64Bytes(event.data_base64));
      data = parseJson(text, { protoAction: 'error', constructorAction: 'error' }) as typeof data;
    } catch {
      return { error: 'data_base64 does not hold UTF-8 JSON, as its datacontenttype says' };
    }
    if (exceedsJsonDepth(data)) return { error: `data_base64 holds JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  return { id: event.id, type: event.type, ...(event.time ? { timestamp: event.time } : {}), ...(data === undefined ? {} : { data }) };
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
