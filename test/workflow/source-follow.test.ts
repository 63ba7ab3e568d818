import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SourceBook, SourceDefinition } from '../../domain/source-book.js';
import { sourceDirectoryWorkflowId } from '../../domain/workflow-ids.js';
import { createSourceStore, followSources, type SourceStore } from '../../gateway/source-store.js';
import { sourcesQuery } from '../../workflows/index.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue, type TestWorker } from '../support/temporal.js';

// Every API process follows the source book: at start it should read the book once, and once more per change, so that
// a fleet of processes starting together costs the book's worker one query each.

const FROM_FILE: SourceDefinition = {
  id: 'from-file',
  event_type: 'file.called',
  enabled: true,
  auth: { mode: 'secret', secret_env: 'FILE_SECRET' },
};
const MADE_LATER: SourceDefinition = {
  id: 'made-later',
  event_type: 'later.called',
  enabled: true,
  auth: { mode: 'secret', secret_env: 'LATER_SECRET' },
};

let client: Client;
let worker: TestWorker;
let taskQueue: string;
let queries = 0;
// While set, a follower's long polls of this workflow wait for it before they are made: what it does while it is busy.
let pollsHeld: { readonly workflowId: string; readonly until: Promise<void> } | undefined;

beforeAll(async () => {
  taskQueue = uniqueTaskQueue('source-follow');
  worker = await startTestWorker(taskQueue);
  client = await connectTestClient();
  const service = client.workflowService as unknown as { queryWorkflow: (...args: unknown[]) => Promise<unknown> };
  const query = service.queryWorkflow.bind(service);
  service.queryWorkflow = (...args) => {
    queries++;
    return query(...args);
  };
  type HistoryRequest = { execution?: { workflowId?: string }; nextPageToken?: Uint8Array };
  const history = client.workflowService as unknown as { getWorkflowExecutionHistory: (request: HistoryRequest) => Promise<unknown> };
  const poll = history.getWorkflowExecutionHistory.bind(history);
  history.getWorkflowExecutionHistory = async (request) => {
    if (pollsHeld && request.nextPageToken && request.execution?.workflowId === pollsHeld.workflowId) await pollsHeld.until;
    return poll(request);
  };
});

afterAll(async () => {
  await client?.connection.close();
  await worker?.stop();
});

const ids = (book: SourceBook | undefined): string[] => (book?.sources ?? []).map((source) => source.definition.id);

test('the source follower reads the book once at start, then once per change, and hears of each change', async () => {
  const store = createSourceStore(client, taskQueue);
  const books: SourceBook[] = [];
  const errors: unknown[] = [];
  const follower = followSources({
    store,
    client,
    configSources: [FROM_FILE],
    onBook: (book) => books.push(book),
    onError: (error) => errors.push(error),
  });
  try {
    // The reconcile's answer, then the follow's one read.
    await expect.poll(() => books.length, { timeout: 30_000 }).toBe(2);
    expect(queries).toBe(1);
    expect(books.map(ids)).toEqual([['from-file'], ['from-file']]);

    await store.create(MADE_LATER);

    await expect.poll(() => ids(books.at(-1)), { timeout: 30_000 }).toEqual(['from-file', 'made-later']);
    expect(queries).toBe(2);
    expect(errors).toEqual([]);
  } finally {
    await follower.close();
  }
});

/**
 * Runs `body` with a task queue and worker of its own (the first test's book is still running on the shared queue),
 * stopping the worker after it.
 */
async function onOwnQueue(name: string, body: (queue: string) => Promise<void>): Promise<void> {
  const queue = uniqueTaskQueue(name);
  const worker = await startTestWorker(queue);
  try {
    await body(queue);
  } finally {
    await worker.stop();
  }
}

/** A follower of `store` with the config file's one source, each book it tells of pushed to `books`. */
const followInto = (store: SourceStore, books: SourceBook[]) =>
  followSources({ store, client, configSources: [FROM_FILE], onBook: (book) => books.push(book), onError: () => undefined });

test('a change made just before the book is ended from outside is in the book the next run starts from', () =>
  onOwnQueue('source-ended', async (queue) => {
    const store = createSourceStore(client, queue);
    const workflowId = sourceDirectoryWorkflowId(queue);
    let release = (): void => undefined;
    pollsHeld = { workflowId, until: new Promise<void>((resolve) => (release = resolve)) };
    const books: SourceBook[] = [];
    const follower = followInto(store, books);
    try {
      await expect.poll(() => books.length, { timeout: 30_000 }).toBe(2);
      // The follower's next poll waits while the book changes and then ends, so that it hears of both on one page.
      await store.create(MADE_LATER);
      const handle = client.workflow.getHandle(workflowId);
      const { runId } = await handle.describe();
      await handle.terminate('test: the book ended from outside');
      release();

      await expect
        .poll(
          async () => {
            const now = await handle.describe();
            return now.runId !== runId && now.status.name === 'RUNNING';
          },
          { timeout: 30_000 },
        )
        .toBe(true);
      expect(ids(await handle.query(sourcesQuery))).toEqual(['from-file', 'made-later']);
      // The follower tells of the new run's book once it has read it: a moment after the run started.
      await expect.poll(() => ids(books.at(-1)), { timeout: 30_000 }).toEqual(['from-file', 'made-later']);
    } finally {
      release();
      pollsHeld = undefined;
      await follower.close();
    }
  }));

test('a book ended while no process followed it starts again from its own last book, not empty', () =>
  onOwnQueue('source-ended-idle', async (queue) => {
    const store = createSourceStore(client, queue);
    await store.ensure();
    await store.create(MADE_LATER);
    await client.workflow.getHandle(sourceDirectoryWorkflowId(queue)).terminate('test: ended while no process followed it');

    const books: SourceBook[] = [];
    const follower = followInto(store, books);
    try {
      await expect.poll(() => ids(books.at(-1)).sort(), { timeout: 30_000 }).toEqual(['from-file', 'made-later']);
    } finally {
      await follower.close();
    }
  }));
