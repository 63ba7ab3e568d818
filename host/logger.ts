import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';

/** A JSON logger for one component (`api`, `worker`, `start`); secrets in request headers are redacted. */
export function createLogger(component: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { component },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-webhook-secret"]', 'headers.authorization'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

// webpack's module listing after a successful build, which the SDK's bundler logs at INFO on every worker start.
const MODULE_LISTING = /^asset [\s\S]*\nwebpack \S+ compiled successfully in \d+ ms$/;

/**
 * Routes the Temporal SDK's log records into a pino logger, so the worker writes one log format. webpack's module
 * listing (twenty lines on every start) is left out: the bundler's next record, `Workflow bundle created`, says the
 * same in one line. A build with warnings or errors is logged whole.
 */
export function toTemporalLogger(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    if (level === 'INFO' && MODULE_LISTING.test(message)) return;
    logger[PINO_LEVEL[level]](meta ?? {}, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** Logs a start-up step that failed and will be tried again: where, what went wrong, and when the next try is. */
export function startupRetryLogger(
  logger: Logger,
  temporal: { readonly address?: string | undefined; readonly namespace: string },
): (failure: { error: unknown; attempt: number; delayMs: number }) => void {
  return ({ error, attempt, delayMs }) =>
    logger.warn(
      { address: temporal.address ?? 'default', namespace: temporal.namespace, attempt, retryInMs: delayMs, error: String(error) },
      'Temporal is not ready for this process yet; retrying',
    );
}

/** Says how another system's config file was read, once per process that reads it, so the mapping is never silent. */
export function logConfigMapping(logger: Logger, path: string, loaded: LoadedConfig): void {
  if (!loaded.mapping) return;
  const count = loaded.config.endpoints.length;
  logger.info({ config: path }, `read ${loaded.mapping.from} as this gateway’s configuration: ${count} endpoint${count === 1 ? '' : 's'}`);
  for (const line of loaded.mapping.lines) logger.info(line);
}
