export { createDeliveryActivities, type AttemptRequest, type DeliveryActivities, type DeliveryActivityDeps } from './deliver.js';
