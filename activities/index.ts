export { createDeliveryActivities, type AttemptRequest, type DeliveryActivities, type DeliveryActivityDeps } from './deliver.js';
export { createOperationalActivities, type OperationalActivities, type OperationalActivityDeps } from './operational.js';
