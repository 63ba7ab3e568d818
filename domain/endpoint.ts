import { z } from 'zod';
import { EventPatternSchema } from './pattern.js';

/** An endpoint id: short, URL-safe, and stable, because workflow ids and search attributes carry it. */
export const EndpointIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'endpoint id must be lowercase letters, digits, _ and -, starting with a letter or digit');

// Set by the gateway on every request; a configured header of the same name would make signatures or bodies lie.
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

// Checked over the whole map rather than per key, so that each bad name gets its own message and path.
const HeadersSchema = z.record(z.string(), z.string().max(4096)).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'not a valid HTTP header name' });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'this header is set by the gateway and cannot be configured' });
    }
  }
});

/** One receiver of webhooks and the events it subscribes to. */
export const EndpointSchema = z.strictObject({
  id: EndpointIdSchema.meta({ description: 'stable id, used in workflow ids and search attributes' }),
  name: z.string().min(1).max(200).optional().meta({ description: 'human-readable name (defaults to the id)' }),
  url: z
    .url({ protocol: /^https?$/, error: 'url must be an absolute http:// or https:// URL' })
    .meta({ description: 'where deliveries are POSTed' }),
  events: z.array(EventPatternSchema).min(1).default(['*']).meta({ description: 'subscription patterns: *, prefix.*, or exact types' }),
  headers: HeadersSchema.default({}).meta({ description: 'extra HTTP headers sent with every delivery' }),
  enabled: z.boolean().default(true).meta({ description: 'false routes no events to the endpoint' }),
});
export type Endpoint = z.infer<typeof EndpointSchema>;
export type EndpointInput = z.input<typeof EndpointSchema>;
