import { statusView, type EndpointStatusView, type ListedEndpointState } from '../domain/endpoint-state.js';

/**
 * The deleted endpoints a process knows of, each as its entity last said, with `deletedAt`. A deletion is kept when an
 * endpoint is made again under its id: the deliveries accepted before it must not go to the new one.
 */
export interface DeletedEndpoints {
  /** Keeps a deletion, unless a later one of the same id is known; past `max`, the oldest kept is forgotten. */
  remember(state: ListedEndpointState): void;
  get(endpointId: string): EndpointStatusView | undefined;
}

// The same deletion comes both from the change log and from the listing of ended entities, in either order, and a
// listing repeats a retention's worth at every round: the later deletion of an id wins, and the count stays bounded.
export function createDeletedEndpoints(max: number): DeletedEndpoints {
  const deleted = new Map<string, EndpointStatusView>();
  return {
    remember(state) {
      const known = deleted.get(state.endpoint.id)?.deletedAt;
      if (known !== undefined && known >= state.statusChangedAt) return;
      // Taken out and put back, so that the map's order stays the order of remembering: the oldest is first.
      deleted.delete(state.endpoint.id);
      deleted.set(state.endpoint.id, { ...statusView(state), deletedAt: state.statusChangedAt });
      for (const id of deleted.keys()) {
        if (deleted.size <= max) break;
        deleted.delete(id);
      }
    },
    get: (endpointId) => deleted.get(endpointId),
  };
}
