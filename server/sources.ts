import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SourceConfig } from '../config/ingest.js';
import { EventIdSchema } from '../domain/event.js';
import { ConfigError } from '../errors.js';
import { constantTimeEqual, verifyHexSha256, verifyStandardWebhooks } from '../signing/signatures.js';

/** How a call to a source ended, as its invocation log shows it. */
export const INVOCATION_RESULTS = [
  'accepted',
  'replayed',
  'conflict',
  'unauthorized',
  'disabled',
  'rate_limited',
  'invalid',
  'unavailable',
] as const;
export type InvocationResult = (typeof INVOCATION_RESULTS)[number];

/** One call to a source. The excerpt is of what the caller sent, authenticated or not. */
export interface Invocation {
  readonly at: string;
  readonly sourceIp: string;
  readonly status: number;
  readonly result: InvocationResult;
  readonly eventId?: string;
  readonly payloadExcerpt: string;
}

/** An inbound source with its secret, read from the environment once, at start. */
export interface InboundSource {
  readonly config: SourceConfig;
  readonly secret: string;
}

const EXCERPT_CHARS = 256;

/** The configured sources by id, and the recent calls to each, newest first. */
export interface SourceDirectory {
  get(id: string): InboundSource | undefined;
  list(): readonly InboundSource[];
  record(sourceId: string, invocation: Invocation): void;
  invocations(sourceId: string): readonly Invocation[];
}

/** Builds the directory; a source whose secret variable is unset stops the API at start. */
export function createSourceDirectory(sources: readonly SourceConfig[], env: NodeJS.ProcessEnv, logSize: number): SourceDirectory {
  const problems = sources.flatMap((source, index) =>
    env[source.auth.secret_env] ? [] : [{ path: `sources[${index}].auth.secret_env`, message: `${source.auth.secret_env} is not set` }],
  );
  if (problems.length > 0) throw new ConfigError('the environment', problems);
  const byId = new Map(sources.map((config) => [config.id, { config, secret: env[config.auth.secret_env] as string }]));
  // A ring per source, newest last; bounded, so a flood of calls costs memory once.
  const logs = new Map<string, Invocation[]>(sources.map((source) => [source.id, []]));
  return {
    get: (id) => byId.get(id),
    list: () => [...byId.values()],
    record(sourceId, invocation) {
      const log = logs.get(sourceId);
      if (!log || logSize === 0) return;
      log.push(invocation);
      if (log.length > logSize) log.splice(0, log.length - logSize);
    },
    invocations: (sourceId) => [...(logs.get(sourceId) ?? [])].reverse(),
  };
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
