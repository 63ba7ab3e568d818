import { setTimeout } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { SourceBook, SourceDefinition } from '../domain/source-book.js';
import { sourceDirectoryWorkflowId } from '../domain/workflow-ids.js';
import { SourceOperationError } from '../errors.js';
import {
  changeSourceUpdate,
  createSourceUpdate,
  deleteSourceUpdate,
  reconcileSourcesUpdate,
  rotateSourceSecretUpdate,
  sourcesQuery,
  webhookSourceDirectory,
} from '../workflows/index.js';
import { callCancellably, runInBackground, type BackgroundLoop } from './background.js';
import { CLOSING_EVENTS, pollHistoryPage } from './history-poll.js';

const { EventType } = proto.temporal.api.enums.v1;

const NO_TOKEN_PAUSE_MS = 1_000;
const SOURCE_CALL_TIMEOUT_MS = 10_000;

/** The durable book of a task queue's inbound sources, in its `webhookSourceDirectory` workflow. */
export interface SourceStore {
  /**
   * Starts the book's workflow if it is not running. A run ended from outside hands on its book, so that sources,
   * deleted ids and secret generations outlive it: read from that run itself, or, when it cannot be read, `book`, the
   * last one the caller saw. Without either it rejects rather than start empty.
   */
  ensure(book?: SourceBook): Promise<void>;
  read(): Promise<SourceBook>;
  /** Each change answers with the book as it made it. */
  create(definition: SourceDefinition): Promise<SourceBook>;
  change(definition: SourceDefinition): Promise<SourceBook>;
  rotateSecret(id: string): Promise<SourceBook>;
  delete(id: string): Promise<SourceBook>;
  /** Makes the book hold the config file's sources as given (see `withReconciled`). */
  reconcile(definitions: readonly SourceDefinition[]): Promise<SourceBook>;
  /**
   * Tells `onBook` the book now, then again after each change, following the workflow's history with a long poll (so
   * an idle book costs Temporal nothing) from run to run, its calls cancelled by `signal`. Ends, one way or the other,
   * once `signal` aborts; rejects when Temporal fails it.
   */
  follow(onBook: (book: SourceBook) => void, signal: AbortSignal): Promise<void>;
}

export function createSourceStore(client: Client, taskQueue: string): SourceStore {
  const workflowId = sourceDirectoryWorkflowId(taskQueue);
  const handle = client.workflow.getHandle(workflowId);
  // A bounded wait: without a worker of the queue the book answers nothing, and a caller must hear so (503).
  const bounded = <T>(call: () => Promise<T>): Promise<T> => client.withDeadline(Date.now() + SOURCE_CALL_TIMEOUT_MS, call);
  const update = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await bounded(call);
    } catch (error) {
      // The book's validators refuse with the reason as the failure's type.
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      if (cause instanceof ApplicationFailure && (cause.type === 'not-found' || cause.type === 'conflict')) {
        throw new SourceOperationError(cause.type, cause.message);
      }
      throw error;
    }
  };
  // What a new run starts from, or `running` when none is needed. The ended run's own book beats the caller's: a change
  // made a moment before the end is in it, and every process that restarts the book reads the same one.
  const bookToStartFrom = async (seen: SourceBook | undefined): Promise<SourceBook | undefined | 'running'> => {
    let lastRun: Awaited<ReturnType<typeof handle.describe>>;
    try {
      lastRun = await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return seen;
      throw error;
    }
    if (lastRun.status.name === 'RUNNING') return 'running';
    try {
      return await bounded(() => client.workflow.getHandle(workflowId, lastRun.runId).query(sourcesQuery));
    } catch (error) {
      if (seen) return seen;
      // Refused, and tried again by the follower: a worker of the queue may be on its way, and starting empty would lose
      // every source made through the API, and every deleted id with them.
      throw new Error(
        `the source book's last run (${lastRun.runId}, ${lastRun.status.name}) cannot be read, and a new one would start empty`,
        { cause: error },
      );
    }
  };
  const store: SourceStore = {
    async ensure(seen) {
      const book = await bookToStartFrom(seen);
      if (book === 'running') return;
      try {
        await client.workflow.start(webhookSourceDirectory, {
          workflowId,
          taskQueue,
          args: [book ? { book } : {}],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `inbound sources of task queue ${taskQueue}`,
        });
      } catch (error) {
        // Started by another process a moment ago, under a policy that refuses: running is all that is needed.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    },
    read: () => bounded(() => handle.query(sourcesQuery)),
    create: (definition) => update(() => handle.executeUpdate(createSourceUpdate, { args: [definition] })),
    change: (definition) => update(() => handle.executeUpdate(changeSourceUpdate, { args: [definition] })),
    rotateSecret: (id) => update(() => handle.executeUpdate(rotateSourceSecretUpdate, { args: [id] })),
    delete: (id) => update(() => handle.executeUpdate(deleteSourceUpdate, { args: [id] })),
    reconcile: (definitions) => update(() => handle.executeUpdate(reconcileSourcesUpdate, { args: [definitions] })),
    async follow(onBook, signal) {
      let last: SourceBook | undefined;
      const seen = (book: SourceBook): void => {
        last = book;
        onBook(book);
      };
      const within = <T>(call: () => Promise<T>): Promise<T> => callCancellably(client, signal, call);
      const read = (): Promise<SourceBook> => within(() => store.read());
      while (!signal.aborted) {
        const { runId } = await within(() => handle.describe());
        let token: Uint8Array | undefined;
        let first = true;
        for (;;) {
          const { events, token: next } = await within(() => pollHistoryPage(client, { workflowId, runId }, token));
          const ended = events.some(
            (event) =>
              event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW ||
              CLOSING_EVENTS.has(event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED),
          );
          // The first page answers at once: the book read after it is the book now, and a change made after that page
          // is on the next one, so none is missed. On a run that has ended it is the book to start the next run from.
          const updated = events.some((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
          if (first || (updated && !ended)) seen(await read());
          if (ended) break;
          first = false;
          token = next;
          if (signal.aborted) return;
          // A running workflow's poll always hands on a token; without one, start over rather than spin on the run.
          if (!token) {
            await setTimeout(NO_TOKEN_PAUSE_MS, undefined, { signal }).catch(() => undefined);
            break;
          }
        }
        // A run ended from outside is started again (from its own last book, see `ensure`); one continued as new is
        // followed in its next run, which carries the book itself.
        await within(() => store.ensure(last));
      }
    },
  };
  return store;
}

export interface FollowSourcesOptions {
  readonly store: SourceStore;
  /** The client `store` was made on: the follower's calls are made in scopes its close cancels. */
  readonly client: Client;
  readonly configSources: readonly SourceDefinition[];
  readonly onBook: (book: SourceBook) => void;
  /** Told of each failure (Temporal away, no worker yet), and when the follower tries again. */
  readonly onError: (error: unknown, retryInMs: number) => void;
}

// A source made or changed while the book cannot be read is served once it can; the config file's meanwhile.
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 30_000;

/**
 * Makes the book hold the config file's sources, then tells `onBook` of it and of every change, for as long as the
 * process lives. Without a worker of the queue, reconciling waits out its deadline: closing cancels it.
 */
export function followSources(options: FollowSourcesOptions): BackgroundLoop {
  const { store, configSources, onBook } = options;
  return runInBackground({
    client: options.client,
    async round({ call, signal, recovered }) {
      await call(() => store.ensure());
      onBook(await call(() => store.reconcile(configSources)));
      recovered();
      await store.follow(onBook, signal);
    },
    onError: options.onError,
    firstRetryMs: FIRST_RETRY_MS,
    lastRetryMs: LAST_RETRY_MS,
  });
}
