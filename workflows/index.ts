// The worker bundles this file: it exports workflows and their message definitions only.
export { deliverEvent, deliveriesQuery, type DeliverEventInput } from './deliver-event.js';
