import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { type Endpoint } from '../domain/endpoint.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import { ENDPOINT_STATE_MEMO, type EndpointSettings, type EndpointSource, type ListedEndpointState } from '../domain/endpoint-state.js';
import { displayHost } from '../domain/url.js';
import type { webhookEndpoint } from '../workflows/index.js';
import { endpointIdsKey, endpointStatusKey } from '../workflows/search-attributes.js';
import { retiredEndpointEntitiesQuery, runningEndpointEntitiesQuery } from './visibility.js';

/** How an endpoint's entity workflow is started, whoever starts it: the same id, summary and search attributes. */
export function endpointEntityStart(
  endpoint: Endpoint,
  source: EndpointSource,
  taskQueue: string,
  settings: EndpointSettings,
): WorkflowStartOptions<typeof webhookEndpoint> {
  return {
    workflowId: endpointWorkflowId(endpoint.id),
    taskQueue,
    args: [{ endpoint, source, settings }],
    staticSummary: `endpoint ${endpoint.id} → ${displayHost(endpoint.url)}`,
    typedSearchAttributes: [
      { key: endpointIdsKey, value: [endpoint.id] },
      { key: endpointStatusKey, value: endpoint.enabled ? 'active' : 'disabled' },
    ],
  };
}

/**
 * The running endpoint entities of a task queue, as their memos say, sorted by id: one visibility listing, however
 * many endpoints. Visibility trails writes by a moment. Scoped to the task queue: gateways that share a namespace
 * each own the endpoints on their own queue. An entity still sending a deleted endpoint's held deliveries away runs
 * on, but its endpoint is gone: it is left out unless `withDeleted` (for those who track entities, not endpoints).
 */
export async function listEndpointEntities(
  client: Client,
  taskQueue: string,
  { withDeleted = false }: { readonly withDeleted?: boolean } = {},
): Promise<ListedEndpointState[]> {
  const states = await listedStates(client, runningEndpointEntitiesQuery(taskQueue));
  return states.filter((state) => withDeleted || !state.deleted).sort((a, b) => a.endpoint.id.localeCompare(b.endpoint.id));
}

/**
 * The last state of each entity on a task queue that ended for its endpoint's deletion within the namespace's
 * retention, as its memo says (status `disabled`, reason `deleted`, changed at the deletion), oldest deletion first;
 * an endpoint deleted more than once is there once per deletion.
 */
export async function listRetiredEndpoints(client: Client, taskQueue: string): Promise<ListedEndpointState[]> {
  const states = await listedStates(client, retiredEndpointEntitiesQuery(taskQueue));
  return states.sort((a, b) => a.statusChangedAt.localeCompare(b.statusChangedAt));
}

async function listedStates(client: Client, query: string): Promise<ListedEndpointState[]> {
  const states: ListedEndpointState[] = [];
  for await (const execution of client.workflow.list({ query })) {
    const state = execution.memo?.[ENDPOINT_STATE_MEMO] as ListedEndpointState | undefined;
    if (state) states.push(state);
  }
  return states;
}
