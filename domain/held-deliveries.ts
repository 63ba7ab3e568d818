/**
 * The deliveries a paused endpoint's entity holds, each once, in the order they asked. A paused endpoint may hold tens
 * of thousands, each asking by a signal of its own: kept as an immutable list, copied and searched at every hold, they
 * cost the entity's worker minutes of its one workflow thread (50,000 holds: 283 s, growing with the square of the
 * count), and a burst of holds in one activation could run past the SDK's deadlock timeout. Here a hold, a lookup and
 * the release of each delivery cost the same however many are held.
 */
export interface HeldDeliveries {
  readonly size: number;
  has(deliveryWorkflowId: string): boolean;
  /** Holds a delivery after the others, unless it is held already (a delivery may ask twice). */
  add(deliveryWorkflowId: string): void;
  /** The first `count` held, without releasing them. */
  first(count: number): readonly string[];
  /** Releases the first `count` held. */
  drop(count: number): void;
  /** The held ids in order: for the state query and the next run's input. */
  toArray(): readonly string[];
}

// Each entity's held deliveries live in its own closure; workflows share this module, frozen, and it keeps nothing at
// its top level.
export function createHeldDeliveries(initial: Iterable<string> = []): HeldDeliveries {
  // The ids from `head` on are held; those before it were released, and are dropped once they are the larger part.
  const ids: string[] = [];
  const members = new Set<string>();
  let head = 0;
  const held: HeldDeliveries = {
    get size() {
      return ids.length - head;
    },
    has: (deliveryWorkflowId) => members.has(deliveryWorkflowId),
    add(deliveryWorkflowId) {
      if (members.has(deliveryWorkflowId)) return;
      members.add(deliveryWorkflowId);
      ids.push(deliveryWorkflowId);
    },
    first: (count) => ids.slice(head, head + Math.max(0, count)),
    drop(count) {
      const end = Math.min(ids.length, head + Math.max(0, count));
      for (const id of ids.slice(head, end)) members.delete(id);
      head = end;
      if (head * 2 >= ids.length) {
        ids.splice(0, head);
        head = 0;
      }
    },
    toArray: () => ids.slice(head),
  };
  for (const id of initial) held.add(id);
  return held;
}
