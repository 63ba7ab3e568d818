import type { Client } from '@temporalio/client';
import type { Endpoint } from '../domain/endpoint.js';
import { createRouteIndex, type RouteIndex } from '../domain/routing.js';
import {
  DISABLED_BY_DEFINITION,
  type EndpointStatusView,
  type ListedEndpointState,
  type RoutableEndpoint,
} from '../domain/endpoint-state.js';
import { listEndpointEntities } from './endpoint-entities.js';

/** The endpoints events are routed to, kept current. */
export interface EndpointRegistry {
  /** The route index as of now. */
  routes(): RouteIndex<RoutableEndpoint>;
  /** The status of any endpoint entity of the task queue, as last read; `undefined` for one without an entity. */
  status(endpointId: string): EndpointStatusView | undefined;
  /** Settles once the endpoint entities have been read at least once. */
  readonly ready: Promise<void>;
  close(): void;
}

export interface TemporalRegistryOptions {
  readonly client: Client;
  readonly taskQueue: string;
  /** The config file's endpoints: known at once, before their entities are read or even created. */
  readonly configEndpoints: readonly Endpoint[];
  /** How often the entities are listed; a pause or disable reaches routing within this. */
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Routes by the endpoint entities of a task queue, read from their memos by listing them (one visibility call,
 * however many endpoints), every `pollIntervalMs`. The config file's endpoints are routable at once, with the status
 * their definition implies, so no event accepted at start-up misses them; an entity's status, once read, prevails.
 */
export function createTemporalRegistry(options: TemporalRegistryOptions): EndpointRegistry {
  const { client, taskQueue, configEndpoints } = options;
  let index = createRouteIndex(configEndpoints.map(fromDefinition));
  let statuses = new Map<string, EndpointStatusView>();
  // The endpoints as last indexed, as JSON: the index is rebuilt only when they changed.
  let indexedJson = '';
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const refresh = async (): Promise<void> => {
    const states = new Map((await listEndpointEntities(client, taskQueue)).map((state) => [state.endpoint.id, state]));
    statuses = new Map(
      [...states.values()].map((state) => [
        state.endpoint.id,
        { status: state.status, statusVersion: state.statusVersion, ...(state.statusReason ? { statusReason: state.statusReason } : {}) },
      ]),
    );
    const fromConfig = configEndpoints.map((endpoint) => {
      const state = states.get(endpoint.id);
      states.delete(endpoint.id);
      return state ? fromState({ ...state, endpoint }) : fromDefinition(endpoint);
    });
    const fromApi = [...states.values()].filter((state) => state.source === 'api').map(fromState);
    const endpoints = [...fromConfig, ...fromApi];
    const json = JSON.stringify(endpoints);
    if (json !== indexedJson) {
      indexedJson = json;
      index = createRouteIndex(endpoints);
    }
  };

  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const loop = async (): Promise<void> => {
    try {
      await refresh();
      markReady();
    } catch (error) {
      options.onError?.(error);
    }
    if (!closed) timer = setTimeout(() => void loop(), options.pollIntervalMs ?? 500);
  };
  void loop();

  return {
    routes: () => index,
    status: (endpointId) => statuses.get(endpointId),
    ready,
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

function fromDefinition(endpoint: Endpoint): RoutableEndpoint {
  return endpoint.enabled ? { ...endpoint, status: 'active' } : { ...endpoint, status: 'disabled', statusReason: DISABLED_BY_DEFINITION };
}

function fromState(state: ListedEndpointState): RoutableEndpoint {
  return {
    ...state.endpoint,
    status: state.status,
    statusVersion: state.statusVersion,
    ...(state.statusReason ? { statusReason: state.statusReason } : {}),
    // Memos written before health counters existed have none.
    ...((state.health?.consecutiveFailures ?? 0) > 0 ? { failing: true } : {}),
  };
}
