import { createHash } from 'node:crypto';
import type { DeliveryTarget, UnroutedEndpoint } from '../domain/delivery.js';
import { OPERATIONAL_EVENT_ID_PREFIX } from '../domain/event-id-prefixes.js';
import type { IncomingEvent, WebhookEvent } from '../domain/event.js';
import type { RouteIndex } from '../domain/routing.js';
import type { RoutableEndpoint } from '../domain/endpoint-state.js';
import { createLimiter } from '../domain/limiter.js';
import { routeEvent, type RoutedEvent } from '../domain/route-event.js';
import type { DeliveryDefaults } from '../domain/target.js';
import { unknownTypeMessage, type CatalogueVerdict, type EventCatalogue, type EventProblem } from './catalogue.js';
import type { DeliveryStarter } from './delivery-starter.js';
import { EventNotAcceptedError } from '../errors.js';
import { createEventId } from './event-id.js';

/** Why an event was not accepted: nothing was started. */
export interface Refused {
  readonly kind: 'refused';
  /** `reserved-id`: the gateway derives ids of this form itself; the others are the catalogue's verdicts. */
  readonly reason: 'reserved-id' | 'unknown-type' | 'invalid-data';
  /** The refusal in one sentence. */
  readonly message: string;
  /** Each problem, located in the event by a JSON pointer. */
  readonly problems: readonly EventProblem[];
}

/** An event that passed every check, named and routed, not started: what `sendEvent`'s workflow starts itself. */
export interface ReadyEvent {
  readonly kind: 'ready';
  readonly event: WebhookEvent;
  readonly targets: readonly DeliveryTarget[];
  /** The subscribers whose payload filter it failed, and why. */
  readonly unrouted: readonly UnroutedEndpoint[];
  /** The digest of the event's content, kept in its delivery's memo (see {@link fingerprintOf}). */
  readonly fingerprint: string;
}

/**
 * What starting an event's delivery came to: `accepted`, a first delivery started; `replayed`, its id was seen
 * before with the same content and nothing new started; `conflict`, its id was seen before with other content.
 */
export interface StartOutcome {
  readonly kind: 'accepted' | 'replayed' | 'conflict';
  readonly id: string;
  /** Where the id came from: the event itself, the caller's fallback (an Idempotency-Key's, a source's), or made here. */
  readonly idFrom: 'event' | 'fallback' | 'generated';
  readonly workflowId: string;
  /** How many endpoints it was routed to. */
  readonly endpoints: number;
}

/** What accepting one event came to: started (or found started), or refused before anything was started. */
export type AcceptResult = StartOutcome | Refused;

export interface AcceptOptions {
  /** The event's id when it carries none (else a new id is made): one derived from an Idempotency-Key or a source. */
  readonly fallbackId?: string;
  /** Where the event says it comes from (a CloudEvent's `source`): two sources reusing an id are not the same event. */
  readonly origin?: string;
}

/** One item of a batch: an event (and its CloudEvent `source`), or what the caller could not read as one. */
export type BatchItem = { readonly event: IncomingEvent; readonly origin?: string } | { readonly unreadable: EventProblem };

export interface BatchOptions {
  /**
   * Derives the ids of the events without one: item `n` becomes `<idBase>-<n>`, so that sending the batch again
   * under the same Idempotency-Key names its events the same. Without it, such events get new ids.
   */
  readonly idBase?: string;
}

/** A batch with a refused event: none of it was started. Paths start with the item's index, `/3/type`. */
export interface RefusedBatch {
  readonly kind: 'refused';
  /** `unknown-type` when some item's type is not in the catalogue, whatever else is wrong. */
  readonly reason: 'unknown-type' | 'invalid-events';
  readonly problems: readonly EventProblem[];
}

/** A batch whose every event passed the checks; each has its id already, so that one that fails can be sent again. */
export interface CheckedBatch {
  readonly kind: 'checked';
  readonly size: number;
  /** Starts every event, a few at a time; each ends on its own. */
  accept(): Promise<BatchOutcome[]>;
}

/** What became of one event of a checked batch; `failed`: Temporal did not confirm it, and `error` says why. */
export type BatchOutcome =
  | (StartOutcome & { readonly index: number })
  | { readonly kind: 'failed'; readonly index: number; readonly id: string; readonly error: unknown };

/**
 * Turns events into delivery workflows: the one path every way of sending an event goes through (the API, its
 * batches, inbound sources, `sendEvent`), so that each is held to the same checks in the same order.
 */
export interface Ingest {
  readonly catalogue: EventCatalogue;
  /** Checks, names and routes an event, without starting it. */
  prepare(event: IncomingEvent, options?: AcceptOptions): ReadyEvent | Refused;
  /** Checks, routes and starts an event. Throws only when Temporal did not confirm the start. */
  accept(event: IncomingEvent, options?: AcceptOptions): Promise<AcceptResult>;
  /** Checks every event of a batch before any is started: one refused event refuses the batch. */
  checkBatch(items: readonly BatchItem[], options?: BatchOptions): CheckedBatch | RefusedBatch;
  /** The fingerprint a delivery workflow was started with, to tell a repeat of an event from a reuse of its id. */
  storedFingerprint(workflowId: string): Promise<string | undefined>;
  /**
   * Starts the delivery of an event the gateway raises itself (`endpoint.disabled`): routed like any other, but not
   * held to the catalogue, which lists what producers may send.
   */
  announce(event: WebhookEvent): Promise<void>;
  /** The endpoints an event goes to as of now (its type's subscribers, as their filters allow), frozen as delivery targets. */
  route(event: WebhookEvent): RoutedEvent;
}

/** The prefix of ids derived from an Idempotency-Key, which producers may not use themselves. */
const IDEMPOTENCY_PREFIX = 'idem_';
// The gateway's own events are started under ids of these forms, which a producer could otherwise take first: its event
// would then stand in for the gateway's (an endpoint's disabled notice found a duplicate, and never sent). Test sends
// need no such guard: their ids end in 80 random bits.
const RESERVED_ID_PREFIXES = [
  [IDEMPOTENCY_PREFIX, 'are derived from Idempotency-Key headers'],
  [OPERATIONAL_EVENT_ID_PREFIX, "are the gateway's operational events"],
] as const;
// A batch starts at most this many events at once: it must not open a hundred calls to Temporal together.
const BATCH_CONCURRENCY = 16;

export interface IngestDeps {
  readonly deliveries: DeliveryStarter;
  /** The endpoints events are routed to, as of now. */
  readonly routes: () => RouteIndex<RoutableEndpoint>;
  readonly deliveryDefaults: DeliveryDefaults;
  readonly catalogue: EventCatalogue;
  /** The inbound sources' ids: `<source>.` begins the ids of their events, which producers may not use. */
  readonly sourceIds?: readonly string[];
  readonly now?: () => Date;
  /** Told what became of each event accepted or refused here (not of those `prepare` checks for `sendEvent`). */
  readonly onOutcome?: (type: string, outcome: EventOutcome, reason?: string) => void;
}

/** What became of an event: the kinds of {@link AcceptResult}, or `failed` when Temporal did not confirm its start. */
export type EventOutcome = StartOutcome['kind'] | 'refused' | 'failed';

/** The ingest of one gateway: its catalogue, its routes, its delivery starter. */
export function createIngest(deps: IngestDeps): Ingest {
  const now = deps.now ?? (() => new Date());
  const route = (event: WebhookEvent): RoutedEvent => routeEvent(deps.routes().route(event.type), event, deps.deliveryDefaults);
  // Only an id the producer chose can be reserved: the ids passed as fallbacks are the gateway's own derivations.
  const reservedId = (id: string | undefined): string | undefined => {
    if (id === undefined) return undefined;
    const [prefix, reason] = RESERVED_ID_PREFIXES.find(([reserved]) => id.startsWith(reserved)) ?? [];
    if (prefix) return `ids starting with ${prefix} ${reason}`;
    const source = deps.sourceIds?.find((sourceId) => id.startsWith(`${sourceId}.`));
    return source ? `ids starting with ${source}. are the events of the inbound source ${source}` : undefined;
  };
  const verdictOf = (event: IncomingEvent): CatalogueVerdict => deps.catalogue.check(event.type, event.data ?? {});

  // Names a checked event (its id, and its time when the producer gave none) and routes it, as of now.
  const ready = (incoming: IncomingEvent, { fallbackId, origin }: AcceptOptions): ReadyEvent => {
    const acceptedAt = now();
    const event: WebhookEvent = {
      id: incoming.id ?? fallbackId ?? createEventId(acceptedAt),
      type: incoming.type,
      timestamp: incoming.timestamp ?? acceptedAt.toISOString(),
      data: incoming.data ?? {},
    };
    return { kind: 'ready', event, ...route(event), fingerprint: fingerprintOf(incoming, origin) };
  };
  const idFrom = (incoming: IncomingEvent, { fallbackId }: AcceptOptions): StartOutcome['idFrom'] =>
    incoming.id !== undefined ? 'event' : fallbackId !== undefined ? 'fallback' : 'generated';
  const prepare = (incoming: IncomingEvent, options: AcceptOptions = {}): ReadyEvent | Refused => {
    const reserved = reservedId(incoming.id);
    if (reserved) return { kind: 'refused', reason: 'reserved-id', message: reserved, problems: [{ path: '/id', message: reserved }] };
    return catalogueRefusal(verdictOf(incoming), incoming.type) ?? ready(incoming, options);
  };

  const observe = deps.onOutcome ?? (() => undefined);
  const start = async (
    { event, targets: routed, unrouted, fingerprint }: ReadyEvent,
    from: StartOutcome['idFrom'],
  ): Promise<StartOutcome> => {
    let started;
    try {
      started = await deps.deliveries.start(event, routed, { fingerprint, unrouted });
    } catch (error) {
      observe(event.type, 'failed');
      throw new EventNotAcceptedError(event.id, from === 'generated', { cause: error });
    }
    const kind = !started.duplicate ? 'accepted' : started.sameContent === false ? 'conflict' : 'replayed';
    observe(event.type, kind);
    return { kind, id: event.id, idFrom: from, workflowId: started.workflowId, endpoints: routed.length };
  };
  const refuseBatch = (items: readonly BatchItem[], refusal: RefusedBatch): RefusedBatch => {
    for (const item of items) if ('event' in item) observe(item.event.type, 'refused', refusal.reason);
    return refusal;
  };

  return {
    catalogue: deps.catalogue,
    prepare,
    async accept(incoming, options = {}) {
      const prepared = prepare(incoming, options);
      if (prepared.kind === 'refused') observe(incoming.type, 'refused', prepared.reason);
      return prepared.kind === 'refused' ? prepared : start(prepared, idFrom(incoming, options));
    },
    checkBatch(items, { idBase } = {}) {
      const problems: EventProblem[] = [];
      const unknownTypes: EventProblem[] = [];
      const seen = new Set<string>();
      items.forEach((item, index) => {
        const at = `/${index}`;
        if ('unreadable' in item) return void problems.push({ ...item.unreadable, path: `${at}${item.unreadable.path}` });
        const { id, type } = item.event;
        if (id !== undefined) {
          const reserved = reservedId(id);
          if (reserved) problems.push({ path: `${at}/id`, message: reserved });
          if (seen.has(id)) problems.push({ path: `${at}/id`, message: 'this id is used earlier in the batch' });
          seen.add(id);
        }
        const verdict = verdictOf(item.event);
        if (verdict.kind === 'unknown-type') unknownTypes.push({ path: `${at}/type`, message: unknownTypeMessage(type) });
        if (verdict.kind === 'invalid-data') problems.push(...verdict.errors.map((error) => ({ ...error, path: `${at}${error.path}` })));
      });
      if (unknownTypes.length > 0) return refuseBatch(items, { kind: 'refused', reason: 'unknown-type', problems: unknownTypes });
      if (problems.length > 0) return refuseBatch(items, { kind: 'refused', reason: 'invalid-events', problems });

      // Each event is named now, not when started, so that even one that fails has an id to be sent again under.
      const named = (items as readonly Extract<BatchItem, { event: IncomingEvent }>[]).map(({ event, origin }, index) => {
        const id = event.id ?? (idBase ? `${idBase}-${index}` : createEventId(now()));
        const from: StartOutcome['idFrom'] = event.id !== undefined ? 'event' : idBase ? 'fallback' : 'generated';
        return { event, id, from, options: { fallbackId: id, ...(origin ? { origin } : {}) } };
      });
      return {
        kind: 'checked',
        size: named.length,
        async accept() {
          // A batch with events for an endpoint with ordering: fifo is started in order, one at a time: its order is
          // theirs in the endpoint's line.
          const ordered = named.some(({ event }) =>
            deps
              .routes()
              .route(event.type)
              .some((endpoint) => endpoint.ordering === 'fifo'),
          );
          const limit = createLimiter(ordered ? 1 : BATCH_CONCURRENCY);
          return Promise.all(
            named.map(({ event, id, from, options }, index) =>
              limit(async (): Promise<BatchOutcome> => {
                try {
                  return { ...(await start(ready(event, options), from)), index };
                } catch (error) {
                  return { kind: 'failed', index, id, error };
                }
              }),
            ),
          );
        },
      };
    },
    async announce(event) {
      const { targets, unrouted } = route(event);
      await deps.deliveries.start(event, targets, { unrouted });
    },
    storedFingerprint: (workflowId) => deps.deliveries.storedFingerprint(workflowId),
    route,
  };
}

function catalogueRefusal(verdict: CatalogueVerdict, type: string): Refused | undefined {
  if (verdict.kind === 'unknown-type') {
    return {
      kind: 'refused',
      reason: 'unknown-type',
      message: unknownTypeMessage(type),
      problems: [{ path: '/type', message: 'not in the catalogue' }],
    };
  }
  if (verdict.kind === 'invalid-data') {
    const listed = verdict.errors.map((error) => `${error.path}: ${error.message}`).join('; ');
    return {
      kind: 'refused',
      reason: 'invalid-data',
      message: `the data does not match the schema of ${type}: ${listed}`,
      problems: verdict.errors,
    };
  }
  return undefined;
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
 * The event id an Idempotency-Key stands for, scoped by the caller's key so that two producers choosing the same key
 * never collide. Producers cannot send such ids themselves.
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
