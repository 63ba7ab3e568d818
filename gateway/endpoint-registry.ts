import type { Client } from '@temporalio/client';
import type { Endpoint } from '../domain/endpoint.js';
import { createRouteIndex, type RouteIndex } from '../domain/routing.js';
import {
  DISABLED_BY_DEFINITION,
  applyEndpointChanges,
  isDeletion,
  statusView,
  type EndpointChange,
  type EndpointStatusView,
  type ListedEndpointState,
  type RoutableEndpoint,
} from '../domain/endpoint-state.js';
import { runInBackground } from './background.js';
import { createDeletedEndpoints } from './deleted-endpoints.js';
import { ensureChangeLog, followChangeLog } from './endpoint-changes.js';
import { listEndpointEntities, listRetiredEndpoints } from './endpoint-entities.js';

/** The endpoints events are routed to, kept current. */
export interface EndpointRegistry {
  /** The route index as of now. */
  routes(): RouteIndex<RoutableEndpoint>;
  /** Every endpoint routing knows of, as of now. */
  list(): readonly RoutableEndpoint[];
  /**
   * The status of any endpoint entity of the task queue, as last read (disabled, `deleted`, with `deletedAt`, for one
   * deleted within the namespace's retention, up to 20,000 deletions); `undefined` for one without an entity.
   */
  status(endpointId: string): EndpointStatusView | undefined;
  /**
   * The latest deletion of the id known (within the same bounds), also once an endpoint made again under the id runs
   * and `status` tells of that one: a delivery accepted before the deletion is another endpoint's, and not sent.
   */
  deletion(endpointId: string): EndpointStatusView | undefined;
  /** Settles once the endpoint entities have been read at least once. */
  readonly ready: Promise<void>;
  /**
   * Settles once the deleted endpoints have been read too, after `ready`: until then `status` may not know that an
   * endpoint was deleted before this process started.
   */
  readonly statusesRead: Promise<void>;
  /** Stops following and cancels its requests (see `BackgroundLoop.close`). */
  close(): Promise<void>;
}

export interface TemporalRegistryOptions {
  readonly client: Client;
  readonly taskQueue: string;
  /** The config file's endpoints: known at once, before their entities are read or even created. */
  readonly configEndpoints: readonly Endpoint[];
  /** Told when the entities could not be read or the change log not followed; routing goes on by what it knew. */
  readonly onError?: (error: unknown, retryInMs: number) => void;
}

// Routing goes on by what it last read while it cannot follow; a change missed meanwhile waits for the next try.
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 15_000;
// ~200 bytes each: a few MB at most, for more deletions than a gateway's operators make in a retention.
const MAX_REMEMBERED_DELETIONS = 20_000;

/**
 * Routes by the endpoint entities of a task queue. It reads them all once, from their memos (a visibility listing of
 * the running ones and one of those a deletion ended, however many endpoints), then follows the queue's change log (`webhookEndpointDirectory`), to which every entity
 * announces what routing needs of it when that changes: a pause reaches routing as soon as the log has it, and
 * nothing is listed again on a timer, so an idle gateway costs Temporal nothing. It reads everything again only when
 * it cannot go on following (the log ended, or Temporal failed it). The config file's endpoints are routable at
 * once, with the status their definition implies, so no event accepted at start-up misses them; an entity's state,
 * once read, prevails.
 */
export function createTemporalRegistry(options: TemporalRegistryOptions): EndpointRegistry {
  const { client, taskQueue, configEndpoints } = options;
  let states = new Map<string, ListedEndpointState>();
  let endpoints: readonly RoutableEndpoint[] = configEndpoints.map(fromDefinition);
  let index = createRouteIndex(endpoints);
  let statuses = new Map<string, EndpointStatusView>();
  // Deleted endpoints, as their entities last said (disabled, `deleted`): a retry of an earlier event's delivery to one
  // is cancelled rather than sent to an endpoint its operator removed, even once an endpoint is made again under the
  // id. Read with the entities (those ended within the namespace's retention, so a restarted process knows them too),
  // and as the log announces deletions: a round adds what it lists to what the log told, which a listing may not show
  // yet. A later deletion of the id replaces an earlier one. At most MAX_REMEMBERED_DELETIONS, the oldest forgotten
  // first: a retention's worth of deletions is listed again at each round, and a process that follows for months must
  // not grow without end.
  const deleted = createDeletedEndpoints(MAX_REMEMBERED_DELETIONS);
  // The endpoints as last indexed, as JSON: the index is rebuilt only when they changed.
  let indexedJson = '';

  const reindex = (): void => {
    statuses = new Map([...states.values()].map((state) => [state.endpoint.id, statusView(state)]));
    const unclaimed = new Map(states);
    const fromConfig = configEndpoints.map((endpoint) => {
      const state = unclaimed.get(endpoint.id);
      unclaimed.delete(endpoint.id);
      return state ? fromState({ ...state, endpoint }) : fromDefinition(endpoint);
    });
    const fromApi = [...unclaimed.values()].filter((state) => state.source === 'api').map(fromState);
    const listed = [...fromConfig, ...fromApi];
    const json = JSON.stringify(listed);
    if (json !== indexedJson) {
      indexedJson = json;
      endpoints = listed;
      index = createRouteIndex(listed);
    }
  };

  const applyChanges = (changes: readonly EndpointChange[]): void => {
    // Reindexing walks every endpoint. On start, following reads back up to a thousand changes the listing already
    // had: with 10,000 endpoints, reindexing for each page of them held the first new change back 1.7 s (0.7 s since).
    for (const change of changes) if (isDeletion(change)) deleted.remember(change.state);
    if (applyEndpointChanges(states, changes)) reindex();
  };

  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let markStatusesRead: () => void = () => {};
  const statusesRead = new Promise<void>((resolve) => (markStatusesRead = resolve));
  const following = runInBackground({
    client,
    async round({ call, signal, recovered }) {
      const runId = await call(() => ensureChangeLog(client, taskQueue));
      const listed = await call(() => listEndpointEntities(client, taskQueue, { withDeleted: true }));
      // An entity still sending a deleted endpoint's held deliveries away runs on, but the endpoint is gone.
      states = new Map(listed.filter((state) => !state.deleted).map((state) => [state.endpoint.id, state]));
      for (const state of listed) if (state.deleted) deleted.remember(state);
      reindex();
      // Routing is ready without the deletions, which only a retry's attempt asks about: they are listed after.
      markReady();
      for (const state of await call(() => listRetiredEndpoints(client, taskQueue))) deleted.remember(state);
      markStatusesRead();
      recovered();
      await followChangeLog({ client, taskQueue, runId, onChanges: applyChanges, signal });
    },
    onError: (error, retryInMs) => options.onError?.(error, retryInMs),
    firstRetryMs: FIRST_RETRY_MS,
    lastRetryMs: LAST_RETRY_MS,
  });

  return {
    routes: () => index,
    list: () => endpoints,
    status: (endpointId) => statuses.get(endpointId) ?? deleted.get(endpointId),
    deletion: (endpointId) => deleted.get(endpointId),
    ready,
    statusesRead,
    close: () => following.close(),
  };
}

function fromDefinition(endpoint: Endpoint): RoutableEndpoint {
  return endpoint.enabled ? { ...endpoint, status: 'active' } : { ...endpoint, status: 'disabled', statusReason: DISABLED_BY_DEFINITION };
}

function fromState(state: ListedEndpointState): RoutableEndpoint {
  return { ...state.endpoint, ...statusView(state) };
}
