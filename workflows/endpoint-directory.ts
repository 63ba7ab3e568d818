import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { endpointChangedSignal } from './messages.js';

/** Input of {@link webhookEndpointDirectory}. */
export interface EndpointDirectoryInput {
  /** Continue as new after this many changes even if Temporal does not suggest it yet (tests use it). */
  readonly changesPerRun?: number;
}

const DEFAULT_CHANGES_PER_RUN = 500;

/**
 * The change log of one task queue's endpoints, `endpoint-changes/<task queue>`: each endpoint entity signals it when
 * what routing needs of it changed, and its history is the log itself. API and worker processes follow that history
 * with a long poll, so a pause reaches routing at once, and an idle gateway costs Temporal nothing: no process lists
 * the endpoints on a timer. It keeps no state of its own; a run ends after a few hundred changes, so the history a
 * process reads when it starts stays short.
 */
export async function webhookEndpointDirectory(input: EndpointDirectoryInput = {}): Promise<void> {
  let changes = 0;
  setHandler(endpointChangedSignal, () => void changes++);
  const limit = input.changesPerRun ?? DEFAULT_CHANGES_PER_RUN;
  await condition(() => changes >= limit || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof webhookEndpointDirectory>(input);
}
