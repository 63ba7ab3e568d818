import { describe, expect, test } from 'vitest';
import { EndpointSchema } from '../../domain/endpoint.js';
import { DEFAULT_ENDPOINT_SETTINGS, type ListedEndpointState } from '../../domain/endpoint-state.js';
import { listedState, newEndpointState, transitionEndpoint } from '../../domain/endpoint-transitions.js';
import { createDeletedEndpoints } from '../../gateway/deleted-endpoints.js';

// What a process remembers of deleted endpoints: a deletion heard from the change log and the same one listed from the
// ended entity, in either order, and never more than its bound.

function deletedAt(id: string, at: string): ListedEndpointState {
  const created = newEndpointState(
    EndpointSchema.parse({ id, url: 'https://hooks.example.com/x' }),
    'api',
    DEFAULT_ENDPOINT_SETTINGS,
    new Date(0),
  );
  return listedState(transitionEndpoint(created, { type: 'retire' }, new Date(at)));
}

describe('deleted endpoints', () => {
  test('keep the latest deletion of an id, whichever order the log and a listing tell them in', () => {
    const deleted = createDeletedEndpoints(10);
    deleted.remember(deletedAt('twice', '2026-12-02T10:00:00.000Z'));
    deleted.remember(deletedAt('twice', '2026-12-02T12:00:00.000Z'));
    deleted.remember(deletedAt('twice', '2026-12-02T10:00:00.000Z'));
    expect(deleted.get('twice')).toMatchObject({ status: 'disabled', statusReason: 'deleted', deletedAt: '2026-12-02T12:00:00.000Z' });
  });

  test('forget the oldest remembered first past their bound', () => {
    const deleted = createDeletedEndpoints(2);
    deleted.remember(deletedAt('first', '2026-12-02T10:00:00.000Z'));
    deleted.remember(deletedAt('second', '2026-12-02T11:00:00.000Z'));
    // Deleted again later: now the newest, so `second` goes first.
    deleted.remember(deletedAt('first', '2026-12-02T12:00:00.000Z'));
    deleted.remember(deletedAt('third', '2026-12-02T13:00:00.000Z'));
    expect(['first', 'second', 'third'].map((id) => deleted.get(id)?.deletedAt)).toEqual([
      '2026-12-02T12:00:00.000Z',
      undefined,
      '2026-12-02T13:00:00.000Z',
    ]);
  });
});
