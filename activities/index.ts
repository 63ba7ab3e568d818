export {
  createDeliveryActivities,
  type AttemptRequest,
  type DeliveryActivities,
  type DeliveryActivityDeps,
  type WorkflowRun,
} from './deliver.js';
export { createClientTlsPools, readTlsMaterial, type ClientTlsPools, type TlsMaterial } from './client-tls.js';
export { createAccessTokens, TokenRequestError, type AccessTokenOptions, type AccessTokens } from './oauth2.js';
export { createOperationalActivities, type OperationalActivities, type OperationalActivityDeps } from './operational.js';
export { createSendActivities, type PreparedEvent, type SendActivities, type SendActivityDeps } from './send.js';
