import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities.js';

// What a team would write instead of the gateway: one workflow per event that POSTs it to each URL, with Temporal's
// own retries. `local` runs each POST as a local activity, Temporal's lowest-latency pattern.

const { post } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '20 seconds' });
const { post: postLocally } = proxyLocalActivities<BaselineActivities>({ startToCloseTimeout: '20 seconds' });

export interface NotifyInput {
  readonly id: string;
  readonly urls: readonly string[];
  readonly body: string;
  readonly local: boolean;
}

/** POSTs the event to every URL at once. */
export async function notify(input: NotifyInput): Promise<void> {
  await Promise.all(input.urls.map((url) => (input.local ? postLocally : post)(url, input.id, input.body)));
}
