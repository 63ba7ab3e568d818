import type { Client } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { EndpointSchema } from '../../domain/endpoint.js';
import { DEFAULT_ENDPOINT_SETTINGS, ENDPOINT_STATE_MEMO } from '../../domain/endpoint-state.js';
import { listedState, newEndpointState } from '../../domain/endpoint-transitions.js';
import { createHealthView } from '../../gateway/endpoint-health.js';

// The health view over a scripted visibility store: what it asks for an endpoint that failed, and what it does when
// the namespace does not know WebhookRetryingEndpointIds yet (registered by hand on a managed cluster).

const NOW = new Date('2026-03-02T12:00:00.000Z');

/** A client whose listing holds one endpoint that failed an hour ago, and whose counts answer `count(query)`. */
function visibility(count: (query: string) => number): { client: Client; asked: string[] } {
  const endpoint = EndpointSchema.parse({ id: 'crm', url: 'https://crm.example.com/hooks', events: ['order.*'] });
  const state = newEndpointState(endpoint, 'api', DEFAULT_ENDPOINT_SETTINGS, new Date('2026-03-01T10:00:00.000Z'));
  const failing = {
    ...state,
    health: {
      delivered: 0,
      failed: 1,
      consecutiveFailures: 1,
      lastFailureAt: '2026-03-02T11:00:00.000Z',
      failingSince: '2026-03-02T11:00:00.000Z',
    },
  };
  const asked: string[] = [];
  const client = {
    workflow: {
      list: () => [{ memo: { [ENDPOINT_STATE_MEMO]: listedState(failing) } }],
      count: (query: string) => {
        asked.push(query);
        // A throw in the executor rejects the promise, as the client's failed call would.
        return new Promise((resolve) => resolve({ count: count(query) }));
      },
    },
  } as unknown as Client;
  return { client, asked };
}

describe('the health view', () => {
  test('counts an endpoint’s retrying deliveries by the attribute that names it', async () => {
    const { client, asked } = visibility(() => 3);
    const [row] = await createHealthView(client, 'q', () => NOW).read();
    expect(row).toMatchObject({ endpointId: 'crm', retrying: 3 });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain("WebhookRetryingEndpointIds = 'crm'");
  });

  test('counts by the event’s status where the namespace does not know the attribute', async () => {
    const { client, asked } = visibility((query) => {
      if (query.includes('WebhookRetryingEndpointIds')) {
        throw Object.assign(new Error('invalid query: unknown search attribute WebhookRetryingEndpointIds'), { code: 3 });
      }
      return 2;
    });
    const [row] = await createHealthView(client, 'q', () => NOW).read();
    expect(row).toMatchObject({ endpointId: 'crm', retrying: 2 });
    expect(asked[1]).toBe(
      "WorkflowType = 'deliverEvent' AND WebhookEndpointIds = 'crm' AND WebhookStatus = 'retrying' AND ExecutionStatus = 'Running'",
    );
  });

  test('does not hide another failure of the store behind the older count', async () => {
    const { client } = visibility(() => {
      throw Object.assign(new Error('visibility unavailable'), { code: 14 });
    });
    await expect(createHealthView(client, 'q', () => NOW).read()).rejects.toThrow('visibility unavailable');
  });
});
