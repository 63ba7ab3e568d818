import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { EndpointSchema, toEndpointInput, type Endpoint } from '../domain/endpoint.js';
import type { OperationalActivities } from '../activities/index.js';
import {
  applyHealthReport,
  DEFAULT_ENDPOINT_SETTINGS,
  DISABLED_BY_DEFINITION,
  EMPTY_HEALTH,
  ENDPOINT_STATE_MEMO,
  type EndpointSettings,
  type EndpointSource,
  type EndpointState,
  type EndpointStatus,
} from '../domain/endpoint-state.js';
import {
  autoDisableSignal,
  configureUpdate,
  type ConfigureRequest,
  healthSignal,
  disableSignal,
  enableSignal,
  holdSignal,
  pauseSignal,
  releaseSignal,
  resumeSignal,
  retireUpdate,
  stateQuery,
} from './messages.js';
import { endpointStatusKey } from './search-attributes.js';

/** Input of {@link webhookEndpoint}: a new endpoint's definition, or the whole state when continuing as new. */
export interface EndpointWorkflowInput {
  readonly endpoint: Endpoint;
  readonly source: EndpointSource;
  readonly state?: EndpointState;
  /** Continue as new after this many history events even if Temporal does not suggest it yet (tests use it). */
  readonly historyLimit?: number;
  readonly settings?: EndpointSettings;
}

const { publishOperationalEvent } = proxyActivities<OperationalActivities>({ startToCloseTimeout: '1 minute' });

const DEFAULT_HISTORY_LIMIT = 10_000;

/**
 * One long-lived entity per endpoint, the source of truth for its definition and status. Operators steer it with
 * plain signals (`temporal workflow signal --workflow-id endpoint/<id> --name pause`); it keeps its history small by
 * continuing as new with its state.
 */
export async function webhookEndpoint(input: EndpointWorkflowInput): Promise<void> {
  let state: EndpointState = input.state ?? {
    endpoint: input.endpoint,
    source: input.source,
    status: input.endpoint.enabled ? 'active' : 'disabled',
    ...(input.endpoint.enabled ? {} : { statusReason: DISABLED_BY_DEFINITION }),
    statusChangedAt: new Date().toISOString(),
    statusVersion: 1,
    revision: 1,
    heldDeliveries: [],
    settings: input.settings ?? DEFAULT_ENDPOINT_SETTINGS,
    health: EMPTY_HEALTH,
    pendingNotices: [],
  };
  let publishedStatus: EndpointStatus | undefined;
  let publishedMemo: string | undefined;
  // The status goes to a search attribute (for queries) and the whole state to the memo: API processes list the
  // entities of their task queue every moment and route by what the memos say, without asking each entity.
  const publish = (): void => {
    if (state.status !== publishedStatus) {
      publishedStatus = state.status;
      upsertSearchAttributes([{ key: endpointStatusKey, value: state.status }]);
    }
    // Held deliveries and pending notices stay out of the memo: there may be thousands, and routing needs neither.
    const { heldDeliveries: _held, pendingNotices: _notices, ...published } = state;
    const memo = JSON.stringify(published);
    if (memo !== publishedMemo) {
      publishedMemo = memo;
      upsertMemo({ [ENDPOINT_STATE_MEMO]: published });
    }
  };
  const setStatus = (status: EndpointStatus, reason?: string): void => {
    if (state.status === status && state.statusReason === reason) return;
    const { statusReason: _replaced, ...rest } = state;
    state = {
      ...rest,
      status,
      ...(reason ? { statusReason: reason } : {}),
      statusChangedAt: new Date().toISOString(),
      statusVersion: state.statusVersion + 1,
    };
    publish();
  };

  // A paused endpoint that is disabled stays disabled when resumed: resume only lifts a pause.
  setHandler(pauseSignal, (reason) => {
    if (state.status === 'active') setStatus('paused', reason ?? 'paused by an operator');
  });
  setHandler(resumeSignal, () => {
    if (state.status === 'paused') setStatus('active');
  });
  setHandler(disableSignal, (reason) => setStatus('disabled', reason ?? 'disabled by an operator'));
  // Disabled for what the endpoint did rather than by an operator: announced to subscribers of endpoint.disabled.
  const autoDisable = (reason: string): void => {
    if (state.status === 'disabled') return;
    setStatus('disabled', reason);
    const notice = {
      id: `op_endpoint_disabled_${state.endpoint.id}_${state.statusVersion}`,
      type: 'endpoint.disabled' as const,
      timestamp: state.statusChangedAt,
      data: { endpoint_id: state.endpoint.id, reason },
    };
    state = { ...state, pendingNotices: [...state.pendingNotices, notice] };
  };
  setHandler(autoDisableSignal, autoDisable);
  setHandler(healthSignal, (report) => {
    state = { ...state, health: applyHealthReport(state.health, report) };
    const { failingSince } = state.health;
    if (failingSince && Date.now() - Date.parse(failingSince) >= state.settings.autoDisableAfterMs) {
      autoDisable(`failing since ${failingSince} with no success in between`);
    }
    publish();
  });
  setHandler(enableSignal, () => {
    if (state.status === 'disabled') setStatus('active');
  });
  setHandler(
    configureUpdate,
    ({ definition, settings }) => {
      if (settings) state = { ...state, settings };
      if (JSON.stringify(definition) !== JSON.stringify(state.endpoint)) {
        state = { ...state, endpoint: definition, revision: state.revision + 1 };
      }
      // The definition's `enabled` flag is a disable of its own: it neither overrides nor lifts an operator's.
      if (!definition.enabled && state.status !== 'disabled') setStatus('disabled', DISABLED_BY_DEFINITION);
      if (definition.enabled && state.status === 'disabled' && state.statusReason === DISABLED_BY_DEFINITION) setStatus('active');
      publish();
      return state;
    },
    {
      validator: ({ definition }: ConfigureRequest) => {
        // Definitions travel parsed (durations in ms); checking them means parsing their written form again.
        const parsed = EndpointSchema.safeParse(toEndpointInput(definition));
        if (!parsed.success)
          throw new Error(
            `invalid endpoint: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
          );
        if (parsed.data.id !== state.endpoint.id) throw new Error(`this entity is endpoint ${state.endpoint.id}, not ${parsed.data.id}`);
      },
    },
  );
  let retired = false;
  setHandler(retireUpdate, () => {
    retired = true;
    setStatus('disabled', 'deleted');
    return state;
  });
  setHandler(holdSignal, (deliveryWorkflowId) => {
    if (!state.heldDeliveries.includes(deliveryWorkflowId))
      state = { ...state, heldDeliveries: [...state.heldDeliveries, deliveryWorkflowId] };
  });
  setHandler(stateQuery, () => state);
  publish();

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const shouldContinueAsNew = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit;
  // Holding and releasing happen here, in one place: whatever the order of pause, resume and hold signals, a held
  // delivery stays in the list until the endpoint is no longer paused, and then it is released, never forgotten.
  for (;;) {
    await condition(
      () =>
        state.pendingNotices.length > 0 ||
        (state.status !== 'paused' && state.heldDeliveries.length > 0) ||
        retired ||
        shouldContinueAsNew(),
    );
    const [notice] = state.pendingNotices;
    if (notice) {
      // The event id is fixed by the notice, so a retried activity or a replayed run never announces twice.
      await publishOperationalEvent(notice);
      state = { ...state, pendingNotices: state.pendingNotices.slice(1) };
      continue;
    }
    if (state.status === 'paused' || state.heldDeliveries.length === 0) break;
    const batch = state.heldDeliveries.slice(0, state.settings.releasePerSecond);
    state = { ...state, heldDeliveries: state.heldDeliveries.slice(batch.length) };
    const release = {
      endpointId: state.endpoint.id,
      statusVersion: state.statusVersion,
      ...(state.status === 'disabled' ? { cancelledReason: `endpoint disabled (${state.statusReason ?? 'no reason given'})` } : {}),
    };
    await Promise.all(
      batch.map(async (workflowId) => {
        try {
          await getExternalWorkflowHandle(workflowId).signal(releaseSignal, release);
        } catch {
          // The delivery has ended meanwhile (terminated, or its retention passed): nothing is waiting any more.
        }
      }),
    );
    if (state.heldDeliveries.length > 0) await sleep(1_000);
  }
  // Handlers still running would be cut off by continue-as-new; the state carries over as plain JSON.
  await condition(allHandlersFinished);
  if (retired) return;
  await continueAsNew<typeof webhookEndpoint>({ ...input, state });
}
