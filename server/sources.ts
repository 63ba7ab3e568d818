import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_SOURCE_TOLERANCE_MS, sourceAuthHeader, type SourceConfig } from '../config/ingest.js';
import { isSourceEnabled, type SourceBook, type SourceDefinition, type StoredSource } from '../domain/source-book.js';
import { EventIdSchema } from '../domain/event.js';
import { ConfigError } from '../errors.js';
import type { InvocationLog, InvocationResult } from './invocation-log.js';
import { notFound, type Problem } from './problem.js';
import { deriveSecret } from '../signing/derive.js';
import { constantTimeEqual, verifyHexSha256, verifyStandardWebhooks } from '../signing/signatures.js';

/** An inbound source as this API process serves it. */
export interface InboundSource {
  readonly definition: SourceDefinition;
  readonly stored: StoredSource;
  readonly enabled: boolean;
  /**
   * Its secret, or `undefined` when this process cannot know it: the variable is unset (a source the config file
   * dropped), or the secret is a generated one and this process has no source key.
   */
  readonly secret: string | undefined;
}

const EXCERPT_CHARS = 256;

/** The sources this API process serves: the config file's until the durable book is read, then the book's. */
export interface SourceDirectory {
  get(id: string): InboundSource | undefined;
  list(): readonly InboundSource[];
  /** Whether `id` was a source that has been deleted (its URL answers 404 for good). */
  isDeleted(id: string): boolean;
  /**
   * Serves `book` from now on, unless what it serves is a later version of the same epoch (reads and changes answer
   * out of order). A book of another epoch (one that had to start empty) is taken as it is.
   */
  replace(book: SourceBook): void;
  /** A source as this process would serve it, from a book it may not serve (yet). */
  inbound(source: StoredSource): InboundSource;
  /** The book as this process serves it, for refusing at once what the book would refuse. */
  snapshot(): SourceBook;
  /** Whether this process can generate secrets (it has the source key). */
  readonly canGenerateSecrets: boolean;
  /** The generated secret of a source without `secret_env`, or `undefined` when this process has no source key. */
  generatedSecret(source: StoredSource): string | undefined;
}

export interface SourceDirectoryOptions {
  /** `secret_key_env`'s value: what generated secrets are derived from. */
  readonly secretKey?: string | undefined;
  /** Part of every derivation, so that gateways sharing a key do not share secrets. */
  readonly taskQueue: string;
}

/** Builds the directory from the config file's sources; one whose secret variable is unset stops the API at start. */
export function createSourceDirectory(
  sources: readonly SourceConfig[],
  env: NodeJS.ProcessEnv,
  options: SourceDirectoryOptions,
): SourceDirectory {
  const problems = sources.flatMap((source, index) =>
    env[source.auth.secret_env] ? [] : [{ path: `sources[${index}].auth.secret_env`, message: `${source.auth.secret_env} is not set` }],
  );
  if (problems.length > 0) throw new ConfigError('the environment', problems);
  const generatedSecret = (source: StoredSource): string | undefined =>
    options.secretKey && source.secretGeneration !== undefined
      ? deriveSecret(options.secretKey, 'source', [options.taskQueue, source.definition.id, source.secretGeneration])
      : undefined;
  const serve = (stored: StoredSource): InboundSource => {
    const variable = stored.definition.auth.secret_env;
    return {
      definition: stored.definition,
      stored,
      enabled: isSourceEnabled(stored),
      secret: variable === undefined ? generatedSecret(stored) : env[variable] || undefined,
    };
  };
  let byId = new Map(
    sources.map((definition) => [definition.id, serve({ definition, origin: 'config', revision: 0, createdAt: '', changedAt: '' })]),
  );
  let deleted = new Set<string>();
  // The config file's sources stand until the book is read, whatever its epoch and version.
  let epoch: string | undefined;
  let version = -1;
  return {
    get: (id) => byId.get(id),
    list: () => [...byId.values()],
    isDeleted: (id) => deleted.has(id),
    replace(book) {
      if (book.epoch === epoch && book.version < version) return;
      epoch = book.epoch;
      version = book.version;
      byId = new Map(book.sources.map((stored) => [stored.definition.id, serve(stored)]));
      deleted = new Set(book.deleted);
    },
    canGenerateSecrets: Boolean(options.secretKey),
    snapshot: () => ({ epoch: epoch ?? '', version, sources: [...byId.values()].map((source) => source.stored), deleted: [...deleted] }),
    inbound: serve,
    generatedSecret,
  };
}

/** The 404 for a source this process does not serve, saying so when it was deleted. */
export function missingSource(directory: Pick<SourceDirectory, 'isDeleted'>, id: string): Problem {
  return notFound(directory.isDeleted(id) ? `Source ${id} was deleted; its URL is gone for good.` : 'No source has that id.');
}

/** Whether a call proves it comes from the source's sender, by the source's configured means. */
export function isAuthentic(source: InboundSource, rawBody: Buffer, headers: IncomingHttpHeaders, nowMs: number): boolean {
  const { auth } = source.definition;
  const { secret } = source;
  if (secret === undefined) return false;
  switch (auth.mode) {
    case 'secret':
      return constantTimeEqual(headerValue(headers, sourceAuthHeader(auth)) ?? '', secret);
    case 'hmac-sha256':
      return verifyHexSha256(secret, rawBody, headerValue(headers, sourceAuthHeader(auth)));
    case 'standard-webhooks':
      return verifyStandardWebhooks(
        secret,
        rawBody,
        {
          id: headerValue(headers, 'webhook-id'),
          timestamp: headerValue(headers, 'webhook-timestamp'),
          signature: headerValue(headers, 'webhook-signature'),
        },
        nowMs,
        auth.tolerance ?? DEFAULT_SOURCE_TOLERANCE_MS,
      );
  }
}

/**
 * The event id of a call, when its sender names the delivery (the configured `id_header`, or `webhook-id` of a
 * Standard Webhooks sender): a sender's retry then makes no second event. Scoped by source, so senders cannot collide.
 */
export function sourceEventId(source: InboundSource, headers: IncomingHttpHeaders): string | undefined {
  const { definition } = source;
  const header = definition.id_header ?? (definition.auth.mode === 'standard-webhooks' ? 'webhook-id' : undefined);
  const value = header ? headerValue(headers, header) : undefined;
  if (!value) return undefined;
  const readable = `${definition.id}.${value}`;
  return EventIdSchema.safeParse(readable).success
    ? readable
    : `${definition.id}.${createHash('sha256').update(value).digest('hex').slice(0, 32)}`;
}

/** Records one call to a source in its invocation log, however it ends: with its answer, result and event, if any. */
export type CallRecorder = (status: number, result: InvocationResult, eventId?: string) => void;

/** The recorder of one call, from `ip`, carrying `body` (its excerpt is logged), at the time `nowMs` gives. */
export function callRecorder(log: InvocationLog, sourceId: string, ip: string, body: Buffer, nowMs: () => number): CallRecorder {
  return (status, result, eventId) =>
    log.record(sourceId, {
      at: new Date(nowMs()).toISOString(),
      sourceIp: ip,
      status,
      result,
      ...(eventId ? { eventId } : {}),
      payloadExcerpt: excerptOf(body),
    });
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
