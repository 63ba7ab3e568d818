/**
 * A program Temporal's side of the gateway needs (the CLI, the server, its SQL tool, the Web UI server, or the cluster's
 * HAProxy) could not be found, built or set up; `message` says what to install. Named for the CLI, its first use.
 */
export class TemporalCliError extends Error {
  override readonly name = 'TemporalCliError';
  constructor(
    message: string,
    /** The last lines the failed build printed, if it ran. */
    readonly buildOutput?: string,
  ) {
    super(message);
  }
}

/** The Temporal dev server did not start or did not become ready in time. */
export class DevServerError extends Error {
  override readonly name = 'DevServerError';
  constructor(
    message: string,
    /** The last lines the server printed. */
    readonly serverOutput: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One problem in the configuration, located by a path such as `endpoints[0].url`. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** The configuration could not be read or is invalid; `problems` lists every issue found, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The file the configuration came from, if any. */
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n')}`);
  }
}

/** An endpoint operation of the API could not be done: there is no such endpoint, or it may not be changed so. */
export class EndpointOperationError extends Error {
  override readonly name = 'EndpointOperationError';
  constructor(
    readonly reason: 'not-found' | 'conflict',
    message: string,
    /** For a conflict that passes by itself (an id still held by a deleted endpoint): when to try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A page token that this listing did not hand out, or handed out for other filters. */
export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor() {
    super('not a page token of this listing (with these filters)');
  }
}

/** A source operation of the API could not be done: there is no such source (or it was deleted), or it may not be changed so. */
export class SourceOperationError extends Error {
  override readonly name = 'SourceOperationError';
  constructor(
    readonly reason: 'not-found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Temporal did not confirm the start of an event's delivery, so the event was not accepted. Carries the event's id, so
 * that a caller who sent none can be told the one it was given: sent again with that id, it is delivered at most once
 * even if the first start was stored after all.
 */
export class EventNotAcceptedError extends Error {
  override readonly name = 'EventNotAcceptedError';
  constructor(
    readonly eventId: string,
    /** Whether the gateway made the id up (the event came with neither an id nor an Idempotency-Key). */
    readonly idGenerated: boolean,
    options: ErrorOptions,
  ) {
    super(`Temporal did not confirm the start of event ${eventId}`, options);
  }
}
