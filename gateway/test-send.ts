import type { DeliveryReport } from '../domain/delivery.js';
import { TEST_EVENT_ID_PREFIX } from '../domain/event-id-prefixes.js';
import type { WebhookEvent } from '../domain/event.js';
import { outOfLine, toDeliveryTarget, type DeliveryDefaults } from '../domain/target.js';
import type { DeliveryReports } from './delivery-reports.js';
import type { DeliveryStarter } from './delivery-starter.js';
import type { EndpointAdmin } from './endpoint-admin.js';
import { createEventId } from './event-id.js';

/** The event type of test sends; receivers can tell them from real events by it. */
export const TEST_EVENT_TYPE = 'webhook.test';
// Beyond the endpoint's own timeout: time for the workflow and activity tasks around the one request.
const TEST_SEND_OVERHEAD_MS = 15_000;

/** Sends a sample event to one endpoint and reports how its one attempt went. */
export type TestSend = (endpointId: string) => Promise<DeliveryReport>;

export interface TestSendDeps {
  readonly admin: Pick<EndpointAdmin, 'get'>;
  readonly deliveries: Pick<DeliveryStarter, 'start'>;
  readonly reports: Pick<DeliveryReports, 'waitFor'>;
  readonly deliveryDefaults: DeliveryDefaults;
}

/**
 * Sends a sample event to one endpoint through the normal pipeline (signed and authenticated as configured, visible
 * in Temporal) and waits for the outcome. One attempt, no retries; sent even while the endpoint is paused or
 * disabled, since checking a receiver before resuming it is what a test is for.
 */
export function createTestSend({ admin, deliveries, reports, deliveryDefaults }: TestSendDeps): TestSend {
  return async (endpointId) => {
    const { endpoint } = await admin.get(endpointId);
    const now = new Date();
    const event: WebhookEvent = {
      id: createEventId(now).replace(/^evt_/, TEST_EVENT_ID_PREFIX),
      type: TEST_EVENT_TYPE,
      timestamp: now.toISOString(),
      data: { message: `A test event for endpoint ${endpoint.id}, sent by temporal-webhooks`, endpoint_id: endpoint.id },
    };
    const target = outOfLine(toDeliveryTarget(endpoint, deliveryDefaults));
    const { workflowId } = await deliveries.start(event, [
      // The newest status version there can be: no worker's view of the entity holds a test back.
      { ...target, retry: { ...target.retry, scheduleMs: [] }, statusVersion: Number.MAX_SAFE_INTEGER },
    ]);
    const report = await reports.waitFor(workflowId, target.timeoutMs + TEST_SEND_OVERHEAD_MS);
    // Just started, it cannot have passed its retention: a missing report means Temporal lost track of it.
    if (!report) throw new Error(`the test delivery ${workflowId} has no report`);
    return report;
  };
}
