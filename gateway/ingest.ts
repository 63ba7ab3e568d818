import { createHash } from 'node:crypto';
import type { DeliveryTarget } from '../domain/delivery.js';
import type { IncomingEvent, WebhookEvent } from '../domain/event.js';
import type { RouteIndex } from '../domain/routing.js';
import { toRoutedTarget, type DeliveryDefaults } from '../domain/target.js';
import type { RoutableEndpoint } from './endpoint-registry.js';
import type { EventPublisher } from './delivery-starter.js';
import type { CatalogueVerdict, EventCatalogue } from './catalogue.js';
import { createEventId } from './event-id.js';
import type { Problem } from '../server/problem.js';

/** What became of one accepted event. */
export interface IngestResult {
  readonly id: string;
  readonly workflowId: string;
  /** `replayed`: the id was seen before with the same content, nothing new started; `conflict`: with other content. */
  readonly outcome: 'accepted' | 'replayed' | 'conflict';
  /** How many endpoints it was routed to. */
  readonly endpoints: number;
}

/** Turns validated events into delivery workflows: the one path every way of sending an event goes through. */
export interface Ingest {
  readonly catalogue: EventCatalogue;
  /** The catalogue's verdict on an event, to be asked before {@link Ingest.accept}. */
  check(event: IncomingEvent): CatalogueVerdict;
  /** Why a producer may not choose `id`, when it is one the gateway derives itself; `undefined` if it may. */
  reservedId(id: string): string | undefined;
  /** The endpoints an event of `type` goes to as of now, frozen as delivery targets. */
  targets(type: string): DeliveryTarget[];
  /** Routes and starts the event. */
  accept(event: IncomingEvent, options?: AcceptOptions): Promise<IngestResult>;
}

export interface AcceptOptions {
  /** The event's id when it carries none (else a new id is made), e.g. one derived from an Idempotency-Key. */
  readonly fallbackId?: string;
  /** Where the event says it comes from (a CloudEvent's `source`): two sources reusing an id are not the same event. */
  readonly origin?: string;
}

/** The prefix of ids derived from an Idempotency-Key, which producers may not use themselves. */
const IDEMPOTENCY_PREFIX = 'idem_';

export interface IngestDeps {
  readonly publisher: EventPublisher;
  /** The endpoints events are routed to, as of now. */
  readonly routes: () => RouteIndex<RoutableEndpoint>;
  readonly deliveryDefaults: DeliveryDefaults;
  readonly catalogue: EventCatalogue;
  /** The inbound sources' ids: `<source>.` begins the ids of their events, which producers may not use. */
  readonly sourceIds?: readonly string[];
  readonly now?: () => Date;
}

export function createIngest(deps: IngestDeps): Ingest {
  const now = deps.now ?? (() => new Date());
  const targets = (type: string): DeliveryTarget[] =>
    deps
      .routes()
      .route(type)
      .map((endpoint) => toRoutedTarget(endpoint, deps.deliveryDefaults));
  return {
    catalogue: deps.catalogue,
    check: (event) => deps.catalogue.check(event.type, event.data ?? {}),
    reservedId(id) {
      if (id.startsWith(IDEMPOTENCY_PREFIX)) return `ids starting with ${IDEMPOTENCY_PREFIX} are derived from Idempotency-Key headers`;
      const source = deps.sourceIds?.find((sourceId) => id.startsWith(`${sourceId}.`));
      return source ? `ids starting with ${source}. are the events of the inbound source ${source}` : undefined;
    },
    targets,
    async accept(incoming, { fallbackId, origin } = {}) {
      const acceptedAt = now();
      const event: WebhookEvent = {
        id: incoming.id ?? fallbackId ?? createEventId(acceptedAt),
        type: incoming.type,
        timestamp: incoming.timestamp ?? acceptedAt.toISOString(),
        data: incoming.data ?? {},
      };
      const routed = targets(event.type);
      const result = await deps.publisher.publish(event, routed, { fingerprint: fingerprintOf(incoming, origin) });
      const outcome = !result.duplicate ? 'accepted' : result.sameContent === false ? 'conflict' : 'replayed';
      return { id: event.id, workflowId: result.workflowId, outcome, endpoints: routed.length };
    },
  };
}

/**
 * What makes two sends of an event the same event: its type, data, origin and the instant the producer gave (however
 * written). A timestamp the gateway filled in differs on every retry, so it is left out.
 */
export function fingerprintOf(event: IncomingEvent, origin?: string): string {
  const timestamp = event.timestamp === undefined ? null : new Date(event.timestamp).toISOString();
  const canonical = canonicalJson({ type: event.type, timestamp, data: event.data ?? {}, origin: origin ?? null });
  return createHash('sha256').update(canonical).digest('base64url');
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
 * The event id an Idempotency-Key stands for, scoped by the caller's key so that two producers choosing the same key
 * never collide. Producers cannot send such ids themselves ({@link Ingest.reservedId}).
 */
export function idempotentEventId(callerKeyId: string, idempotencyKey: string): string {
  return `${IDEMPOTENCY_PREFIX}${createHash('sha256').update(`${callerKeyId}\n${idempotencyKey}`).digest('base64url').slice(0, 32)}`;
}

// JSON with object keys sorted at every depth, so that key order never makes the same content look different.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
