import type { WebhookEvent } from './event.js';

/** The JSON body receivers get: the Standard Webhooks shape `{type, timestamp, data}`. */
export function renderEnvelope(event: WebhookEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}
