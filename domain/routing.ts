/** Anything that subscribes to event types by pattern. */
export interface Subscriber {
  readonly id: string;
  readonly events: readonly string[];
}

/** Looks up the subscribers of an event type in time proportional to the type's depth, not to the number of subscribers. */
export interface RouteIndex<T extends Subscriber> {
  /** Subscribers whose patterns match `eventType`, each once, in the order they were given. */
  route(eventType: string): T[];
  readonly size: number;
}

/** Builds a {@link RouteIndex}; the patterns are assumed valid (see `EventPatternSchema`). */
export function createRouteIndex<T extends Subscriber>(subscribers: readonly T[]): RouteIndex<T> {
  const everything: number[] = [];
  const byType = new Map<string, number[]>();
  const byPrefix = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, position: number): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [position]);
    else list.push(position);
  };

  subscribers.forEach((subscriber, position) => {
    for (const pattern of subscriber.events) {
      if (pattern === '*') everything.push(position);
      else if (pattern.endsWith('.*')) add(byPrefix, pattern.slice(0, -2), position);
      else add(byType, pattern, position);
    }
  });

  return {
    size: subscribers.length,
    route(eventType) {
      const positions = new Set<number>(everything);
      for (const position of byType.get(eventType) ?? []) positions.add(position);
      // `order.*` subscribes to every type below `order`: try each proper prefix of the type.
      for (let dot = eventType.indexOf('.'); dot !== -1; dot = eventType.indexOf('.', dot + 1)) {
        for (const position of byPrefix.get(eventType.slice(0, dot)) ?? []) positions.add(position);
      }
      return [...positions].sort((a, b) => a - b).map((position) => subscribers[position] as T);
    },
  };
}
