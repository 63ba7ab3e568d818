import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { type Endpoint } from '../domain/endpoint.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import { DEFAULT_ENDPOINT_SETTINGS, type EndpointSettings, type EndpointState } from '../domain/endpoint-state.js';
import { configureUpdate, disableSignal, enableSignal, stateQuery, webhookEndpoint } from '../workflows/index.js';
import { endpointEntityStart, listEndpointEntities } from './endpoint-entities.js';

/** The reason an endpoint gets when it disappears from the config file; only that disable is lifted when it returns. */
export const REMOVED_FROM_CONFIG = 'removed from the config file';

// How long one call about one entity may take (apply its definition, answer a query): milliseconds when its
// worker runs. Bounded because an entity whose worker is gone would keep the call, and with it a stopping worker,
// waiting.
const ENTITY_CALL_TIMEOUT_MS = 10_000;

/** What reconciling the config file's endpoints did, by endpoint id. */
export interface ReconcileReport {
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  /** Endpoints of the config file that are no longer in it: disabled, not deleted, so their history stays. */
  readonly disabled: string[];
}

/**
 * Makes the endpoint entities match the config file: creates missing ones, updates changed definitions, and
 * disables the entities of endpoints the file no longer lists. Idempotent; endpoints managed through the API are
 * left alone. Needs a worker on `taskQueue`, since definitions change through an update.
 */
export async function reconcileEndpoints(
  client: Client,
  taskQueue: string,
  endpoints: readonly Endpoint[],
  settings: EndpointSettings = DEFAULT_ENDPOINT_SETTINGS,
): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], updated: [], unchanged: [], disabled: [] };
  // The entities' memos give each one's revision: no query per endpoint at every start.
  const running = new Map((await listEndpointEntities(client, taskQueue)).map((state) => [state.endpoint.id, state]));

  for (const endpoint of endpoints) {
    const workflowId = endpointWorkflowId(endpoint.id);
    const before = running.get(endpoint.id);
    running.delete(endpoint.id);
    const start = new WithStartWorkflowOperation(webhookEndpoint, {
      ...endpointEntityStart(endpoint, 'config', taskQueue, settings),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const after: EndpointState = await client.withDeadline(Date.now() + ENTITY_CALL_TIMEOUT_MS, () =>
      client.workflow.executeUpdateWithStart(configureUpdate, {
        args: [{ definition: endpoint, settings }],
        startWorkflowOperation: start,
      }),
    );
    if (after.status === 'disabled' && after.statusReason === REMOVED_FROM_CONFIG)
      await client.workflow.getHandle(workflowId).signal(enableSignal);
    if (!before) report.created.push(endpoint.id);
    else if (after.revision !== before.revision) report.updated.push(endpoint.id);
    else report.unchanged.push(endpoint.id);
  }

  for (const listed of running.values()) {
    if (listed.source !== 'config' || listed.status === 'disabled') continue;
    // Asked afresh before acting: the memo may be a moment old, and an operator's disable must keep its reason.
    const handle = client.workflow.getHandle(endpointWorkflowId(listed.endpoint.id));
    const state = await client.withDeadline(Date.now() + ENTITY_CALL_TIMEOUT_MS, () => handle.query(stateQuery));
    if (state.source !== 'config' || state.status === 'disabled') continue;
    await handle.signal(disableSignal, REMOVED_FROM_CONFIG);
    report.disabled.push(state.endpoint.id);
  }
  return report;
}
