export { buildApp, type AppDeps } from './app.js';
export { buildAppFromConfig, type AppFromConfigOptions } from './from-config.js';
export {
  createTemporalRegistry,
  type EndpointRegistry,
  type RoutableEndpoint,
  type TemporalRegistryOptions,
} from '../runtime/endpoint-registry.js';
export { createTemporalPublisher, type EventPublisher, type PublishResult, type TemporalPublisherOptions } from '../runtime/publisher.js';
export { sendProblem, type Problem, type ProblemDetail } from './problem.js';
export { closeGracefully } from './shutdown.js';
