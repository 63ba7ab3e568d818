import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { EndpointOperationError } from '../errors.js';
import { type Endpoint } from '../domain/endpoint.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import {
  DEFAULT_ENDPOINT_SETTINGS,
  type EndpointAction,
  type EndpointSettings,
  type EndpointState,
  type ListedEndpointState,
} from '../domain/endpoint-state.js';
import { endpointEntityStart, listEndpointEntities } from './endpoint-entities.js';
import {
  configureUpdate,
  disableSignal,
  enableSignal,
  pauseSignal,
  resumeSignal,
  retireUpdate,
  stateQuery,
  webhookEndpoint,
} from '../workflows/index.js';

/** Manages endpoint entities for the HTTP API: the same operations as the Temporal CLI, with checks. */
export interface EndpointAdmin {
  create(endpoint: Endpoint): Promise<EndpointState>;
  get(endpointId: string): Promise<EndpointState>;
  /** Every running endpoint of the task queue, as their memos say (visibility: a moment behind). */
  list(): Promise<ListedEndpointState[]>;
  /** Replaces the definition of an endpoint managed through the API. */
  replace(endpoint: Endpoint): Promise<EndpointState>;
  act(endpointId: string, action: EndpointAction, reason?: string): Promise<EndpointState>;
  /** Ends an API-managed endpoint: routing forgets it, its held deliveries are cancelled, its history stays. */
  remove(endpointId: string): Promise<EndpointState>;
}

// How long removing an endpoint waits for its entity to end: milliseconds when its worker runs.
const RETIRE_WAIT_MS = 5_000;

export function createEndpointAdmin(
  client: Client,
  taskQueue: string,
  settings: EndpointSettings = DEFAULT_ENDPOINT_SETTINGS,
): EndpointAdmin {
  const handle = (endpointId: string) => client.workflow.getHandle(endpointWorkflowId(endpointId));
  // The state of the endpoint's running entity, deleted or not; `undefined` when none runs.
  const read = async (endpointId: string): Promise<EndpointState | undefined> => {
    try {
      const description = await handle(endpointId).describe();
      return description.status.name === 'RUNNING' ? await handle(endpointId).query(stateQuery) : undefined;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  };
  // A deleted endpoint is gone for the API from the deletion on, though its entity still sends held deliveries away.
  const get = async (endpointId: string): Promise<EndpointState> => {
    const state = await read(endpointId);
    if (!state || state.deleted) throw new EndpointOperationError('not-found', `no endpoint ${endpointId}`);
    return state;
  };
  const apiManaged = async (endpointId: string): Promise<EndpointState> => {
    const state = await get(endpointId);
    if (state.source !== 'api') {
      throw new EndpointOperationError('conflict', `endpoint ${endpointId} is defined in the config file: change it there`);
    }
    return state;
  };

  return {
    async create(endpoint) {
      const start = (): Promise<unknown> =>
        client.workflow.start(webhookEndpoint, {
          ...endpointEntityStart(endpoint, 'api', taskQueue, settings),
          workflowIdConflictPolicy: 'FAIL',
        });
      const exists = (): EndpointOperationError => new EndpointOperationError('conflict', `endpoint ${endpoint.id} exists`);
      try {
        await start();
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        const holder = await read(endpoint.id);
        if (holder) throw holder.deleted ? stillDeleting(holder) : exists();
        // The entity that held the id ended between the refused start and the look at it: the id is free now.
        await start().catch((again: unknown) => {
          throw again instanceof WorkflowExecutionAlreadyStartedError ? exists() : again;
        });
      }
      return get(endpoint.id);
    },
    get,
    list: () => listEndpointEntities(client, taskQueue),
    async replace(endpoint) {
      await apiManaged(endpoint.id);
      return handle(endpoint.id).executeUpdate(configureUpdate, { args: [{ definition: endpoint, settings }] });
    },
    async act(endpointId, action, reason) {
      await get(endpointId);
      const entity = handle(endpointId);
      if (action === 'pause') await entity.signal(pauseSignal, reason);
      if (action === 'resume') await entity.signal(resumeSignal);
      if (action === 'disable') await entity.signal(disableSignal, reason);
      if (action === 'enable') await entity.signal(enableSignal);
      return entity.query(stateQuery);
    },
    async remove(endpointId) {
      await apiManaged(endpointId);
      const retired = await handle(endpointId).executeUpdate(retireUpdate);
      // The entity ends once routing has heard of it, a moment later: wait for that, so that the endpoint is gone
      // when the caller hears it was removed. Past the bound it ends all the same; only the answer came first.
      await client.withDeadline(Date.now() + RETIRE_WAIT_MS, () => handle(endpointId).result()).catch(() => undefined);
      return retired;
    },
  };
}

/**
 * Why an id cannot be taken yet: the deleted endpoint's entity still holds it while it sends its held deliveries
 * away, at the endpoint's release rate. The wait is that count over the rate, and a second for the entity to end.
 */
function stillDeleting(state: EndpointState): EndpointOperationError {
  const held = state.heldDeliveries.length;
  const seconds = Math.ceil(held / Math.max(1, state.settings.releasePerSecond)) + 1;
  return new EndpointOperationError(
    'conflict',
    `endpoint ${state.endpoint.id} was deleted and is still sending its ${held} held deliveries away; create it again in about ${seconds} s`,
    seconds,
  );
}
