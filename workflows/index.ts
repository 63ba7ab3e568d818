// The worker bundles this file: it exports workflows and their message definitions only.
export { deliverEvent, deliveriesQuery, type DeliverEventInput } from './deliver-event.js';
export {
  configureUpdate,
  disableSignal,
  enableSignal,
  pauseSignal,
  resumeSignal,
  stateQuery,
  webhookEndpoint,
  type EndpointSource,
  type EndpointState,
  type EndpointStatus,
  type EndpointWorkflowInput,
} from './endpoint.js';
