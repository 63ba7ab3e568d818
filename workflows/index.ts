// The worker bundles this file: it exports workflows and their message definitions only.
export { deliverEvent, type DeliverEventInput } from './deliver-event.js';
export { webhookEndpoint, type EndpointWorkflowInput } from './endpoint.js';
export { webhookEndpointDirectory, type EndpointDirectoryInput } from './endpoint-directory.js';
export {
  autoDisableSignal,
  configureUpdate,
  healthSignal,
  deliveriesQuery,
  disableSignal,
  enableSignal,
  endpointChangedSignal,
  holdSignal,
  pauseSignal,
  joinLineSignal,
  leaveLineSignal,
  lineQuery,
  releaseSignal,
  reserveSendSlotUpdate,
  turnSignal,
  resumeSignal,
  retireUpdate,
  stateQuery,
} from './messages.js';
export type { LeaveLine, SlotRequest, Turn } from './messages.js';
export { webhookSourceDirectory, type SourceDirectoryInput } from './source-directory.js';
export {
  changeSourceUpdate,
  createSourceUpdate,
  deleteSourceUpdate,
  reconcileSourcesUpdate,
  rotateSourceSecretUpdate,
  sourcesQuery,
} from './messages.js';
