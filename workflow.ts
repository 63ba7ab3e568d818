// The package's public API for workflow code: safe to import in the workflow sandbox.
export {
  EVENT_ID_CONFLICT_FAILURE,
  INVALID_EVENT_FAILURE,
  sendEvent,
  type DuplicateDelivery,
  type EventToSend,
  type SendEventOptions,
  type SentEvent,
  type StartedDelivery,
} from './workflows/send-event.js';
export type { DeliveryReport, DeliveryStatus, EndpointDelivery, AttemptRecord } from './domain/delivery.js';
