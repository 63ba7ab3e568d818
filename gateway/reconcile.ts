import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { type Endpoint } from '../domain/endpoint.js';
import { endpointWorkflowId } from '../domain/workflow-ids.js';
import {
  DEFAULT_ENDPOINT_SETTINGS,
  type EndpointSettings,
  type EndpointState,
  type ListedEndpointState,
} from '../domain/endpoint-state.js';
import { configureUpdate, disableSignal, enableSignal, stateQuery, webhookEndpoint } from '../workflows/index.js';
import { readRecentChanges } from './endpoint-changes.js';
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
  const running = await knownEntities(client, taskQueue);

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
    rememberEntity(client, taskQueue, after);
  }

  for (const known of running.values()) {
    if (known.source !== 'config' || known.status === 'disabled') continue;
    // Asked afresh before acting: what is known may be a moment old, and an operator's disable must keep its reason.
    const handle = client.workflow.getHandle(endpointWorkflowId(known.endpoint.id));
    const state = await client.withDeadline(Date.now() + ENTITY_CALL_TIMEOUT_MS, () => handle.query(stateQuery));
    if (state.source !== 'config' || state.status === 'disabled') continue;
    await handle.signal(disableSignal, REMOVED_FROM_CONFIG);
    report.disabled.push(state.endpoint.id);
    rememberEntity(client, taskQueue, { ...state, status: 'disabled' });
  }
  return report;
}

/** What an entity's revision, source and status were when last seen. */
export type KnownEntity = Pick<ListedEndpointState, 'endpoint' | 'source' | 'status' | 'revision'>;

// The entities each client's reconciles created or changed, by task queue: the freshest word on them in this
// process, which neither a listing nor the change log may have yet (a second reconcile right after the first).
const reconciledHere = new WeakMap<Client, Map<string, Map<string, KnownEntity>>>();

function rememberEntity(client: Client, taskQueue: string, state: KnownEntity): void {
  const byQueue = reconciledHere.get(client) ?? new Map<string, Map<string, KnownEntity>>();
  reconciledHere.set(client, byQueue);
  const entities = byQueue.get(taskQueue) ?? new Map<string, KnownEntity>();
  byQueue.set(taskQueue, entities);
  entities.set(state.endpoint.id, state);
}

/**
 * The running entities of the queue, from three sources, because the first trails writes: a visibility listing (the
 * memos give each one's revision, with no query per endpoint), the change log's recent announcements, and what this
 * process's reconciles saw. Correctness rests on the last two; the listing brings everything older.
 */
async function knownEntities(client: Client, taskQueue: string): Promise<Map<string, KnownEntity>> {
  const remembered = [...(reconciledHere.get(client)?.get(taskQueue)?.values() ?? [])];
  return mergeKnownEntities(
    await listEndpointEntities(client, taskQueue, { withDeleted: true }),
    await readRecentChanges(client, taskQueue),
    remembered,
  );
}

/**
 * Merges what is known of the entities, in order of freshness: the listing, then the change log's changes (oldest
 * first; a retired entity is dropped), then what this process saw. For each endpoint, the highest revision wins,
 * and of equal revisions the later source.
 */
export function mergeKnownEntities(
  listed: readonly KnownEntity[],
  changes: readonly { readonly state: KnownEntity; readonly retired?: boolean }[],
  remembered: readonly KnownEntity[],
): Map<string, KnownEntity> {
  const known = new Map<string, KnownEntity>();
  const consider = (state: KnownEntity): void => {
    const current = known.get(state.endpoint.id);
    if (!current || state.revision >= current.revision) known.set(state.endpoint.id, state);
  };
  listed.forEach(consider);
  for (const change of changes) {
    if (change.retired) known.delete(change.state.endpoint.id);
    else consider(change.state);
  }
  remembered.forEach(consider);
  return known;
}
