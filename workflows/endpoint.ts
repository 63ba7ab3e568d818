import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { EndpointSchema, type Endpoint } from '../domain/endpoint.js';
import { endpointStatusKey } from './search-attributes.js';

/** Whether an endpoint takes deliveries: `paused` holds them for later, `disabled` routes it nothing. */
export type EndpointStatus = 'active' | 'paused' | 'disabled';

/** Where an endpoint's definition comes from: the config file is reconciled at start-up, the API manages its own. */
export type EndpointSource = 'config' | 'api';

/** Everything the entity knows about one endpoint. Plain data: it is carried across continue-as-new. */
export interface EndpointState {
  /** The definition, with secrets as references only. */
  readonly endpoint: Endpoint;
  readonly source: EndpointSource;
  readonly status: EndpointStatus;
  /** Why the status is what it is, e.g. "paused by operator" or "the endpoint answered 410 Gone". */
  readonly statusReason?: string;
  /** ISO 8601 time of the last status change. */
  readonly statusChangedAt: string;
  /** Bumped by every change of the definition. */
  readonly revision: number;
}

/** Input of {@link webhookEndpoint}: a new endpoint's definition, or the whole state when continuing as new. */
export interface EndpointWorkflowInput {
  readonly endpoint: Endpoint;
  readonly source: EndpointSource;
  readonly state?: EndpointState;
  /** Continue as new after this many history events even if Temporal does not suggest it yet (tests use it). */
  readonly historyLimit?: number;
}

/** Stops new attempts to the endpoint; deliveries for it are held until `resume`. Works with no worker running. */
export const pauseSignal = defineSignal<[reason?: string]>('pause');
/** Lets held and new deliveries to the endpoint go again. */
export const resumeSignal = defineSignal('resume');
/** Routes the endpoint no more events; its pending retries end as cancelled. */
export const disableSignal = defineSignal<[reason?: string]>('disable');
/** Routes events to the endpoint again. */
export const enableSignal = defineSignal('enable');
/** Replaces the endpoint's definition; the validator refuses an invalid one before it reaches history. */
export const configureUpdate = defineUpdate<EndpointState, [definition: Endpoint]>('configure');
/** The endpoint's definition, status and revision. */
export const stateQuery = defineQuery<EndpointState>('state');

const DEFAULT_HISTORY_LIMIT = 10_000;
/** The memo key under which the entity publishes its {@link EndpointState}. */
export const ENDPOINT_STATE_MEMO = 'state';
/** The reason given when a definition says `enabled: false`; only such a disable is lifted by `enabled: true`. */
export const DISABLED_BY_DEFINITION = 'disabled in its definition';

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
    revision: 1,
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
    const memo = JSON.stringify(state);
    if (memo !== publishedMemo) {
      publishedMemo = memo;
      upsertMemo({ [ENDPOINT_STATE_MEMO]: state });
    }
  };
  const setStatus = (status: EndpointStatus, reason?: string): void => {
    if (state.status === status && state.statusReason === reason) return;
    const { statusReason: _replaced, ...rest } = state;
    state = { ...rest, status, ...(reason ? { statusReason: reason } : {}), statusChangedAt: new Date().toISOString() };
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
  setHandler(enableSignal, () => {
    if (state.status === 'disabled') setStatus('active');
  });
  setHandler(
    configureUpdate,
    (definition) => {
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
      validator: (definition) => {
        const parsed = EndpointSchema.safeParse(definition);
        if (!parsed.success)
          throw new Error(
            `invalid endpoint: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
          );
        if (parsed.data.id !== state.endpoint.id) throw new Error(`this entity is endpoint ${state.endpoint.id}, not ${parsed.data.id}`);
      },
    },
  );
  setHandler(stateQuery, () => state);
  publish();

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit);
  // Handlers still running would be cut off by continue-as-new; the Map-free state carries over as plain JSON.
  await condition(allHandlersFinished);
  await continueAsNew<typeof webhookEndpoint>({ ...input, state });
}
