import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SourceConfig } from '../config/ingest.js';
import { EventIdSchema } from '../domain/event.js';
import { ConfigError } from '../errors.js';
import { constantTimeEqual, verifyHexSha256, verifyStandardWebhooks } from '../signing/signatures.js';

/** An inbound source with its secret, read from the environment once, at start. */
export interface InboundSource {
  readonly config: SourceConfig;
  readonly secret: string;
}

const EXCERPT_CHARS = 256;

/** The configured sources by id. */
export interface SourceDirectory {
  get(id: string): InboundSource | undefined;
  list(): readonly InboundSource[];
}

/** Builds the directory; a source whose secret variable is unset stops the API at start. */
export function createSourceDirectory(sources: readonly SourceConfig[], env: NodeJS.ProcessEnv): SourceDirectory {
  const problems = sources.flatMap((source, index) =>
    env[source.auth.secret_env] ? [] : [{ path: `sources[${index}].auth.secret_env`, message: `${source.auth.secret_env} is not set` }],
  );
  if (problems.length > 0) throw new ConfigError('the environment', problems);
  const byId = new Map(sources.map((config) => [config.id, { config, secret: env[config.auth.secret_env] as string }]));
  return { get: (id) => byId.get(id), list: () => [...byId.values()] };
}

/** Whether a call proves it comes from the source's sender, by the source's configured means. */
export function isAuthentic(source: InboundSource, rawBody: Buffer, headers: IncomingHttpHeaders, nowMs: number): boolean {
  const { auth } = source.config;
  switch (auth.mode) {
    case 'secret':
      return constantTimeEqual(headerValue(headers, auth.header) ?? '', source.secret);
    case 'hmac-sha256':
      return verifyHexSha256(source.secret, rawBody, headerValue(headers, auth.header));
    case 'standard-webhooks':
      return verifyStandardWebhooks(
        source.secret,
        rawBody,
        {
          id: headerValue(headers, 'webhook-id'),
          timestamp: headerValue(headers, 'webhook-timestamp'),
          signature: headerValue(headers, 'webhook-signature'),
        },
        nowMs,
        auth.tolerance,
      );
  }
}

/**
 * The event id of a call, when its sender names the delivery (the configured `id_header`, or `webhook-id` of a
 * Standard Webhooks sender): a sender's retry then makes no second event. Scoped by source, so senders cannot collide.
 */
export function sourceEventId(source: InboundSource, headers: IncomingHttpHeaders): string | undefined {
  const header = source.config.id_header ?? (source.config.auth.mode === 'standard-webhooks' ? 'webhook-id' : undefined);
  const value = header ? headerValue(headers, header) : undefined;
  if (!value) return undefined;
  const readable = `${source.config.id}.${value}`;
  return EventIdSchema.safeParse(readable).success
    ? readable
    : `${source.config.id}.${createHash('sha256').update(value).digest('hex').slice(0, 32)}`;
}

/** The start of a body for the invocation log, as text. */
export function excerptOf(rawBody: Buffer): string {
  // Counted in characters, not UTF-16 units, so that the cut never splits one in half.
  const characters = Array.from(rawBody.subarray(0, EXCERPT_CHARS * 4).toString('utf8'));
  return characters.length > EXCERPT_CHARS ? `${characters.slice(0, EXCERPT_CHARS).join('')}…` : characters.join('');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
