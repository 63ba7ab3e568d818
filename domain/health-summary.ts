import type { EndpointStatus, ListedEndpointState } from './endpoint-state.js';
import { countRecentAttempts, HEALTH_WINDOWS, type HealthWindow } from './recent-attempts.js';

/** An endpoint's attempts over one window, and the share of them that delivered (`null`: none were made). */
export interface WindowHealth {
  readonly attempts: number;
  readonly delivered: number;
  readonly failed: number;
  readonly successRate: number | null;
}

/** What the health view shows of an endpoint, from its entity's state alone. */
export interface EndpointHealthSummary {
  readonly endpointId: string;
  readonly name?: string;
  readonly status: EndpointStatus;
  readonly statusReason?: string;
  readonly windows: Readonly<Record<HealthWindow, WindowHealth>>;
  readonly lastSuccessAt?: string;
  readonly lastFailureAt?: string;
  readonly lastFailureReason?: string;
  /** Failed attempts since the last success. */
  readonly consecutiveFailures: number;
  /** The first failure after the last success; the auto-disable clock runs from it. */
  readonly failingSince?: string;
  /** When the endpoint will be disabled if no attempt succeeds before (active endpoints that are failing). */
  readonly autoDisableAt?: string;
}

/** Summarises an entity's listed state as of `now`. Pure. */
export function summarizeEndpointHealth(state: ListedEndpointState, now: Date): EndpointHealthSummary {
  const health = state.health ?? { delivered: 0, failed: 0, consecutiveFailures: 0 };
  const recent = health.recent ?? { minutes: [], hours: [] };
  const windows = Object.fromEntries(
    Object.entries(HEALTH_WINDOWS).map(([window, minutes]) => {
      const { delivered, failed } = countRecentAttempts(recent, now, minutes);
      const attempts = delivered + failed;
      return [window, { attempts, delivered, failed, successRate: attempts === 0 ? null : delivered / attempts }];
    }),
  ) as Record<HealthWindow, WindowHealth>;
  const { failingSince } = health;
  const autoDisableAt =
    failingSince && state.status === 'active' && state.settings?.autoDisableAfterMs
      ? new Date(Date.parse(failingSince) + state.settings.autoDisableAfterMs).toISOString()
      : undefined;
  return {
    endpointId: state.endpoint.id,
    ...(state.endpoint.name ? { name: state.endpoint.name } : {}),
    status: state.status,
    ...(state.statusReason ? { statusReason: state.statusReason } : {}),
    windows,
    ...(health.lastSuccessAt ? { lastSuccessAt: health.lastSuccessAt } : {}),
    ...(health.lastFailureAt ? { lastFailureAt: health.lastFailureAt } : {}),
    ...(health.lastFailureReason ? { lastFailureReason: health.lastFailureReason } : {}),
    consecutiveFailures: health.consecutiveFailures,
    ...(failingSince ? { failingSince } : {}),
    ...(autoDisableAt ? { autoDisableAt } : {}),
  };
}
