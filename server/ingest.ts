import { createHash } from 'node:crypto';
import type { IncomingEvent, WebhookEvent } from '../domain/event.js';
import type { RouteIndex } from '../domain/routing.js';
import { toRoutedTarget, type DeliveryDefaults } from '../domain/target.js';
import type { RoutableEndpoint } from '../runtime/endpoint-registry.js';
import type { EventPublisher } from '../runtime/publisher.js';
import type { CatalogueVerdict, EventCatalogue } from './catalogue.js';
import { createEventId } from './event-id.js';

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
  /** Routes and starts the event; `fallbackId` names it when the event carries no id (else a new id is made). */
  accept(event: IncomingEvent, fallbackId?: string): Promise<IngestResult>;
}

export interface IngestDeps {
  readonly publisher: EventPublisher;
  /** The endpoints events are routed to, as of now. */
  readonly routes: () => RouteIndex<RoutableEndpoint>;
  readonly deliveryDefaults: DeliveryDefaults;
  readonly catalogue: EventCatalogue;
  readonly now?: () => Date;
}

export function createIngest(deps: IngestDeps): Ingest {
  const now = deps.now ?? (() => new Date());
  return {
    catalogue: deps.catalogue,
    check: (event) => deps.catalogue.check(event.type, event.data ?? {}),
    async accept(incoming, fallbackId) {
      const acceptedAt = now();
      const event: WebhookEvent = {
        id: incoming.id ?? fallbackId ?? createEventId(acceptedAt),
        type: incoming.type,
        timestamp: incoming.timestamp ?? acceptedAt.toISOString(),
        data: incoming.data ?? {},
      };
      const targets = deps
        .routes()
        .route(event.type)
        .map((endpoint) => toRoutedTarget(endpoint, deps.deliveryDefaults));
      const result = await deps.publisher.publish(event, targets, { fingerprint: fingerprintOf(incoming) });
      const outcome = !result.duplicate ? 'accepted' : result.sameContent === false ? 'conflict' : 'replayed';
      return { id: event.id, workflowId: result.workflowId, outcome, endpoints: targets.length };
    },
  };
}

/**
 * What makes two sends of an event the same event: its type, data and the timestamp the producer gave. A timestamp
 * the gateway filled in differs on every retry, so it is left out.
 */
export function fingerprintOf(event: IncomingEvent): string {
  const canonical = canonicalJson({ type: event.type, timestamp: event.timestamp ?? null, data: event.data ?? {} });
  return createHash('sha256').update(canonical).digest('base64url');
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
