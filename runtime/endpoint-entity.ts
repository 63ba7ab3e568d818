import type { WorkflowStartOptions } from '@temporalio/client';
import { endpointWorkflowId, type Endpoint } from '../domain/endpoint.js';
import type { EndpointSettings, EndpointSource } from '../domain/endpoint-state.js';
import { displayHost } from '../domain/url.js';
import type { webhookEndpoint } from '../workflows/index.js';
import { endpointIdsKey, endpointStatusKey } from '../workflows/search-attributes.js';

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
