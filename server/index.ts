export { buildApp, type AppDeps } from './app.js';
export { buildAppFromConfig, type AppFromConfigOptions } from './from-config.js';
export {
  createTemporalRegistry,
  type EndpointRegistry,
  type RoutableEndpoint,
  type TemporalRegistryOptions,
} from '../gateway/endpoint-registry.js';
export {
  createTemporalPublisher,
  type EventPublisher,
  type PublishResult,
  type TemporalPublisherOptions,
} from '../gateway/delivery-starter.js';
export { sendProblem, type Problem, type ProblemDetail } from './problem.js';
export { closeGracefully } from './shutdown.js';
