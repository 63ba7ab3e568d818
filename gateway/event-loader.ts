import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { WebhookEvent } from '../domain/event.js';

/** Where a delivery workflow keeps its event: in its own input, the first event of its history. */
export interface WorkflowRun {
  readonly workflowId: string;
  /** Empty for the latest run of the workflow id. */
  readonly runId: string;
}

/** Reads the event of a delivery workflow run, once per run and process. */
export interface EventLoader {
  load(run: WorkflowRun): Promise<WebhookEvent>;
}

/**
 * Loads events from the input of the workflow run that delivers them, with a bounded cache.
 *
 * Why: an attempt's activity input would otherwise carry the whole event, and a workflow's history would hold one
 * copy per attempt — 5,000 endpoints × 10 attempts × a 100 KiB event is gigabytes. The input of a run never
 * changes, so one read per run and worker process is enough, and the cache can never be stale.
 */
export function createEventLoader(client: Client, cacheSize = 1_000): EventLoader {
  const cache = new Map<string, Promise<WebhookEvent>>();

  const fetch = async ({ workflowId, runId }: WorkflowRun): Promise<WebhookEvent> => {
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId ? { runId } : {}) },
      maximumPageSize: 1,
    });
    const payloads = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const input = await decodeFromPayloadsAtIndex<{ event?: WebhookEvent }>(client.options.loadedDataConverter, 0, payloads);
    if (!input?.event) throw new Error(`workflow ${workflowId} (run ${runId}) has no event in its input`);
    return input.event;
  };

  return {
    load(run) {
      const key = `${run.workflowId}\u0000${run.runId}`;
      const cached = cache.get(key);
      if (cached) {
        // Re-inserting marks it as recently used; the Map keeps insertion order, so the oldest is first.
        cache.delete(key);
        cache.set(key, cached);
        return cached;
      }
      const loading = fetch(run);
      cache.set(key, loading);
      loading.catch(() => cache.delete(key));
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
      return loading;
    },
  };
}
