import { randomUUID } from 'node:crypto';
import type { DeliveryTarget, OAuth2Reference } from '../../domain/delivery.js';
import type { WebhookEvent } from '../../domain/event.js';
import type { RetryPolicy } from '../../domain/retry.js';
import type { Invocation } from '../../server/invocation-log.js';

/** An event with a fresh id; override any field. */
export function anEvent(overrides: Partial<WebhookEvent> = {}): WebhookEvent {
  return {
    id: `evt_test_${randomUUID()}`,
    type: 'order.created',
    timestamp: '2026-01-15T10:30:00.000Z',
    data: { order_id: 'o_123', total: 42 },
    ...overrides,
  };
}

/** A delivery target for `url` with short, test-friendly timeouts and no retries unless given. */
export function aTarget(url: string, overrides: Partial<DeliveryTarget> = {}): DeliveryTarget {
  return {
    endpointId: 'ep-test',
    url,
    headers: {},
    format: 'standard',
    timeoutMs: 5_000,
    retry: retryAfter([]),
    retryOnStatus: [],
    ...overrides,
  };
}

/** An OAuth2 client (client credentials, secret sent as HTTP Basic) whose secret is the variable `clientSecretEnv`. */
export function anOAuth2Client(tokenUrl: string, clientId: string, clientSecretEnv: string): OAuth2Reference {
  return { type: 'oauth2', tokenUrl, clientId, clientSecretEnv, clientAuth: 'basic' };
}

/** A retry policy with exactly these delays (no jitter), short enough for tests. */
export function retryAfter(scheduleMs: readonly number[]): RetryPolicy {
  return { scheduleMs, jitter: 0, retryAfterMaxMs: 10_000 };
}

/** The `n`th call to an inbound source, accepted, for invocation-log tests. */
export function anInvocation(n: number): Invocation {
  return { at: `t${n}`, sourceIp: '10.0.0.1', status: 202, result: 'accepted', payloadExcerpt: `#${n}` };
}
