export interface StoreWatchdogOptions {
  /** How long the store must keep failing before `onStuck`. */
  readonly stuckAfterMs?: number;
  /** Called once when the store has failed for `stuckAfterMs`. */
  readonly onStuck: () => void;
  readonly now?: () => number;
}

export interface StoreWatchdog {
  /** Takes one line of the server's output. */
  observe(line: string): void;
}

// What the dev server prints, again and again, while its history shard cannot use the store.
const STUCK_SHARD = 'shard status unknown';
// The server repeats the line every second or so while stuck; a silence this long means it recovered.
const QUIET_MS = 10_000;

/**
 * Tells when the embedded server is stuck on its store. When SQLite meets a full disk, the dev server's history shard
 * fails ("shard status unknown") and may stay failed after space returns, while the process lives on and answers
 * every start with UNAVAILABLE: only a restart brings it back. The server says so in its own output, which is where
 * this looks (a probe through the API is no help: it times out like any call to a busy server).
 */
export function createStoreWatchdog(options: StoreWatchdogOptions): StoreWatchdog {
  const stuckAfterMs = options.stuckAfterMs ?? 30_000;
  const now = options.now ?? Date.now;
  let failingSince: number | undefined;
  let lastSeen = 0;
  let reported = false;
  return {
    observe(line) {
      if (reported || !line.includes(STUCK_SHARD)) return;
      const at = now();
      if (failingSince === undefined || at - lastSeen > QUIET_MS) failingSince = at;
      lastSeen = at;
      if (at - failingSince >= stuckAfterMs) {
        reported = true;
        options.onStuck();
      }
    },
  };
}
