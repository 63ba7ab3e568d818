import { setTimeout as delay } from 'node:timers/promises';
import type { AttemptView, DeliveryView } from '../cli/views.js';

// The API's delivery report as the `webhooks` CLI reads it.
export type { AttemptView, DeliveryView } from '../cli/views.js';

/** The deliveries of each event, read through the API as an operator reads them. */
export async function readDeliveries(apiUrl: string, eventIds: Iterable<string>): Promise<Map<string, readonly DeliveryView[]>> {
  const reports = new Map<string, readonly DeliveryView[]>();
  for (const id of eventIds) {
    const response = await fetch(`${apiUrl}/v1/events/${encodeURIComponent(id)}`);
    if (!response.ok) throw new Error(`GET /v1/events/${id} answered ${response.status}: ${await response.text()}`);
    reports.set(id, ((await response.json()) as { deliveries: DeliveryView[] }).deliveries);
  }
  return reports;
}

/** Seconds between two attempts, by the times the worker recorded. */
export const secondsBetween = (earlier: AttemptView, later: AttemptView): number =>
  (Date.parse(later.started_at) - Date.parse(earlier.started_at)) / 1_000;

const FINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);

/** Like {@link readDeliveries}, once every delivery has come to its end (or `timeoutMs` has passed). */
export async function readFinalDeliveries(
  apiUrl: string,
  eventIds: Iterable<string>,
  timeoutMs: number,
): Promise<Map<string, readonly DeliveryView[]>> {
  const ids = [...eventIds];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reports = await readDeliveries(apiUrl, ids);
    const unfinished = [...reports.values()].some((deliveries) => deliveries.some((delivery) => !FINAL_STATUSES.has(delivery.status)));
    if (!unfinished || Date.now() >= deadline) return reports;
    await delay(1_000);
  }
}
