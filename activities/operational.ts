import type { OperationalNotice } from '../domain/endpoint-state.js';

/** What the operational activities need from their process. */
export interface OperationalActivityDeps {
  /** Routes an event about the gateway itself and starts its delivery, as any event's; a repeated id starts nothing. */
  readonly announce: (notice: OperationalNotice) => Promise<void>;
}

/** Builds the activities through which workflows publish events about the gateway itself. */
export function createOperationalActivities(deps: OperationalActivityDeps) {
  return {
    /** Publishes an operational event such as `endpoint.disabled`: its delivery is started like any other event's. */
    async publishOperationalEvent(notice: OperationalNotice): Promise<void> {
      await deps.announce(notice);
    },
  };
}

/** The operational activities' interface, for `proxyActivities` in workflows. */
export type OperationalActivities = ReturnType<typeof createOperationalActivities>;
