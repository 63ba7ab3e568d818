import { setTimeout } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
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
import { cancellable, CLOSING_EVENTS } from './history-poll.js';

const { EventType } = proto.temporal.api.enums.v1;

const NO_TOKEN_PAUSE_MS = 1_000;
const SOURCE_CALL_TIMEOUT_MS = 10_000;

/** The durable book of a task queue's inbound sources, in its `webhookSourceDirectory` workflow. */
export interface SourceStore {
  /**
   * Starts the book's workflow if it is not running: with `book`, the last one a process saw, when its workflow was
   * ended from outside, so that sources, deleted ids and secret generations outlive it.
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
   * an idle book costs Temporal nothing) from run to run. Resolves when `signal` aborts; rejects when Temporal does.
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
  const store: SourceStore = {
    async ensure(book) {
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
      const namespace = client.options.namespace;
      let last: SourceBook | undefined;
      const seen = (book: SourceBook): void => {
        last = book;
        onBook(book);
      };
      while (!signal.aborted) {
        const { runId } = await handle.describe();
        seen(await store.read());
        let token: Uint8Array | undefined;
        let first = true;
        for (;;) {
          // Without a token the poll answers at once with the run so far; with one, when something new is written.
          const { history, nextPageToken } = await cancellable(signal, (own) =>
            client.withAbortSignal(own, () =>
              client.workflowService.getWorkflowExecutionHistory({
                namespace,
                execution: { workflowId, runId },
                waitNewEvent: true,
                ...(token ? { nextPageToken: token } : {}),
              }),
            ),
          );
          const events = history?.events ?? [];
          const ended = events.some(
            (event) =>
              event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW ||
              CLOSING_EVENTS.has(event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED),
          );
          if (ended) break;
          // The first page may hold a change made between the read above and the poll.
          if (first || events.some((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)) {
            seen(await store.read());
          }
          first = false;
          token = nextPageToken && nextPageToken.length > 0 ? nextPageToken : undefined;
          if (signal.aborted) return;
          // A running workflow's poll always hands on a token; without one, start over rather than spin on the run.
          if (!token) {
            await setTimeout(NO_TOKEN_PAUSE_MS, undefined, { signal }).catch(() => undefined);
            break;
          }
        }
        // A run ended from outside is started again from the last book seen; one continued as new is followed in its
        // next run, which carries the book itself.
        await store.ensure(last);
      }
    },
  };
  return store;
}

/** A process's view of the source book, kept current in the background. */
export interface SourceFollower {
  /** Resolves once the book has been read (config sources are served from the file until then). */
  readonly ready: Promise<void>;
  /** Stops following, cancelling the Temporal calls in flight, and settles once none is left. */
  close(): Promise<void>;
}

export interface FollowSourcesOptions {
  readonly store: SourceStore;
  /** The store's client: every call of the follower is made in a scope that closing cancels. */
  readonly client: Pick<Client, 'withAbortSignal'>;
  readonly configSources: readonly SourceDefinition[];
  readonly onBook: (book: SourceBook) => void;
  readonly onError: (error: unknown) => void;
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 30_000;

/**
 * Makes the book hold the config file's sources, then tells `onBook` of it and of every change, for as long as the
 * process lives: on a failure (Temporal away, no worker yet) it says so through `onError` and tries again, backing off.
 */
export function followSources(options: FollowSourcesOptions): SourceFollower {
  const { store, configSources, onBook, onError } = options;
  const controller = new AbortController();
  const { signal } = controller;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const seen = (book: SourceBook): void => {
    onBook(book);
    markReady();
  };
  const follow = async (): Promise<void> => {
    let delay = FIRST_RETRY_MS;
    while (!signal.aborted) {
      try {
        await store.ensure();
        seen(await store.reconcile(configSources));
        delay = FIRST_RETRY_MS;
        await store.follow(seen, signal);
      } catch (error) {
        if (signal.aborted) return;
        onError(error);
        await setTimeout(delay, undefined, { signal }).catch(() => undefined);
        delay = Math.min(delay * 2, LAST_RETRY_MS);
      }
    }
  };
  // Without a worker of the queue, reconciling waits out its deadline: a close in that time must cancel it, since a
  // call still running when the connection closes is retried on the closed channel, and throws where none can catch.
  const running = options.client.withAbortSignal(signal, follow);
  return {
    ready,
    async close() {
      controller.abort();
      await running;
    },
  };
}
