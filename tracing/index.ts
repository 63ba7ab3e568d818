export { startTracing, tracingFromEnv, type Tracing, type TracingRole } from './tracing.js';
