import type { z } from 'zod';
import type { DeliveriesPageSchema } from '../server/routes/endpoints.js';
import type { InvocationSchema, SourceViewSchema, SourceWithSecretSchema } from '../server/routes/source-admin.js';
import type {
  EndpointHealthSchema,
  EndpointViewSchema,
  EventAcceptedSchema,
  EventTypeViewSchema,
  RedeliveryAcceptedSchema,
} from '../server/schemas.js';

// The API's answers as the CLI reads them: the API's own response schemas, imported as types only (nothing of the
// server is loaded), so the two cannot drift apart; the delivery report's, as the server spells it out for its readers.

export type EventAccepted = z.output<typeof EventAcceptedSchema>;
export type RedeliveryView = z.output<typeof RedeliveryAcceptedSchema>;
export type EndpointView = z.output<typeof EndpointViewSchema>;
export type EndpointHealthView = z.output<typeof EndpointHealthSchema>;
export type EndpointDeliveriesPage = z.output<typeof DeliveriesPageSchema>;
export type EventTypeView = z.output<typeof EventTypeViewSchema>;

export type { AttemptView, DeliveryReportView as ReportView, EndpointDeliveryView as DeliveryView } from '../server/schemas.js';

export type SourceView = z.output<typeof SourceViewSchema>;
export type SourceWithSecretView = z.output<typeof SourceWithSecretSchema>;
export type InvocationView = z.output<typeof InvocationSchema>;
