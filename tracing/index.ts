export { startTracing, tracingFromEnv, type Tracing, type TracingOptions, type TracingRole } from './tracing.js';
