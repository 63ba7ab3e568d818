import type { OperationalNotice } from '../domain/endpoint-state.js';
import type { InFlightState } from '../domain/fifo-line.js';

/** What the operational activities need from their process. */
export interface OperationalActivityDeps {
  /** Routes an event about the gateway itself and starts its delivery, as any event's; a repeated id starts nothing. */
  readonly announce: (notice: OperationalNotice) => Promise<void>;
  /** Whether a workflow (a delivery that has its endpoint's turn) is running, has closed, or is not there. */
  readonly workflowState: (workflowId: string) => Promise<InFlightState>;
}

/** Builds the activities through which workflows publish events about the gateway itself. */
export function createOperationalActivities(deps: OperationalActivityDeps) {
  return {
    /** Publishes an operational event such as `endpoint.disabled`: its delivery is started like any other event's. */
    async publishOperationalEvent(notice: OperationalNotice): Promise<void> {
      await deps.announce(notice);
    },
    /** Looks in on the delivery that has a FIFO line's turn, for its entity: one terminated by hand never leaves. */
    lineDeliveryState(workflowId: string): Promise<InFlightState> {
      return deps.workflowState(workflowId);
    },
  };
}

/** The operational activities' interface, for `proxyActivities` in workflows. */
export type OperationalActivities = ReturnType<typeof createOperationalActivities>;
