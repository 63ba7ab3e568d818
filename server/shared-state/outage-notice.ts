/** Where the notice writes; a pino or Fastify logger fits. */
export interface OutageLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** Tells the log that Redis went away and came back, without a line per failed request. */
export interface OutageNotice {
  /** Reports a failure: warns, unless a warning went out less than the quiet time ago. */
  failed(error: unknown): void;
  /** Reports Redis answering again: says so once, if this outage was warned about. */
  recovered(): void;
}

const QUIET_MS = 30_000;

/**
 * A notice that warns at most once per `quietMs` however many requests fail, and writes one line when Redis is
 * back. An outage too short to be warned about (a flap soon after another) gets no line when it ends either.
 */
export function createOutageNotice(log: OutageLog, now: () => number = Date.now, quietMs = QUIET_MS): OutageNotice {
  let downSinceMs: number | undefined;
  let announced = false;
  let lastWarningMs = Number.NEGATIVE_INFINITY;
  return {
    failed(error) {
      const at = now();
      downSinceMs ??= at;
      if (at - lastWarningMs < quietMs) return;
      lastWarningMs = at;
      announced = true;
      log.warn(
        { err: error, downMs: at - downSinceMs },
        'Redis is unreachable: rate limits are counted and source calls logged in this process only until it is back',
      );
    },
    recovered() {
      if (downSinceMs === undefined) return;
      const downMs = now() - downSinceMs;
      downSinceMs = undefined;
      if (!announced) return;
      announced = false;
      log.info({ downMs }, 'Redis is reachable again: rate limits and source logs are shared across API replicas');
    },
  };
}
