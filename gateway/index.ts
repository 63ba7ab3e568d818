// The gateway's surface for the processes built on it (the API, the worker, the plugin): its composition root, and
// the services and results they name.
export { createGateway, type Gateway, type GatewayObserver, type GatewayOptions } from './create-gateway.js';
export type { DeliveryEntry, DeliveryHistory, DeliveryHistoryQuery, DeliveryPage } from './delivery-history.js';
export type { DeliveryReports } from './delivery-reports.js';
export type { DeliveryStart, DeliveryStarter, StartDeliveryOptions } from './delivery-starter.js';
export type { EndpointAdmin } from './endpoint-admin.js';
export type { EndpointHealthRow, HealthView } from './endpoint-health.js';
export { createTemporalRegistry, type EndpointRegistry, type TemporalRegistryOptions } from './endpoint-registry.js';
export type { EventLoader, WorkflowRun } from './event-loader.js';
export { createHealthReporter, type HealthReporter } from './health-reporter.js';
export {
  fingerprintOf,
  idempotentEventId,
  type AcceptOptions,
  type AcceptResult,
  type BatchItem,
  type BatchOutcome,
  type CheckedBatch,
  type EventOutcome,
  type Ingest,
  type ReadyEvent,
  type Refused,
  type RefusedBatch,
  type StartOutcome,
  type BatchOptions,
} from './ingest.js';
export type { EventCatalogue, EventProblem } from './catalogue.js';
export type { ReconcileReport } from './reconcile.js';
export type { Recovery, Redelivery, RedeliveryResult } from './redelivery.js';
export type { TestSend } from './test-send.js';
export { createSourceStore, followSources, type SourceStore } from './source-store.js';
export { createSendSlotBroker, type SendSlotBroker } from './send-slots.js';
