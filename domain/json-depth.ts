/**
 * The deepest JSON accepted anywhere. Real events nest a few levels; thousands of levels would overflow the stack
 * of recursive code downstream (schema validation, Temporal's payload conversion), so they are refused at the door.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays or objects deeper than `maxDepth`; iterative, so any depth is safe to ask about. */
export function exceedsJsonDepth(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
