export { buildApp, type AppDeps } from './app.js';
export { buildAppFromConfig } from './from-config.js';
export { createTemporalPublisher, type EventPublisher, type PublishResult, type TemporalPublisherOptions } from './publisher.js';
export { sendProblem, type Problem, type ProblemDetail } from './problem.js';
