export { buildApp, type AppDeps } from './app.js';
export type { Api } from './api.js';
export { buildAppFromConfig, type AppFromConfigOptions } from './from-config.js';
export { sendProblem, type Problem, type ProblemDetail } from './problem.js';
export { closeGracefully } from './shutdown.js';
