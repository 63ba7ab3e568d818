/** How large one delivery workflow may grow before an event's endpoints are split among child workflows. */
export interface PartLimits {
  /** Endpoints per workflow: bounds its history (a few events per attempt) far below Temporal's 51,200. */
  readonly maxTargets: number;
  /**
   * Bytes of the endpoint-id list, as JSON, so it fits one search attribute value (Temporal's limit is 2 KiB):
   * every workflow then lists all of its endpoints in `WebhookEndpointIds`.
   */
  readonly maxIdsBytes: number;
}

export const DEFAULT_PART_LIMITS: PartLimits = { maxTargets: 100, maxIdsBytes: 1_800 };

/** The JSON size of a list of endpoint ids, as a search attribute stores it. */
export function endpointIdsBytes(ids: readonly string[]): number {
  return JSON.stringify(ids).length;
}

/** Whether endpoints with these ids fit in one delivery workflow. */
export function fitsOnePart(ids: readonly string[], limits: PartLimits = DEFAULT_PART_LIMITS): boolean {
  return ids.length <= limits.maxTargets && endpointIdsBytes(ids) <= limits.maxIdsBytes;
}

/** Splits targets, in order, into the fewest consecutive parts that each fit one delivery workflow. */
export function partitionTargets<T extends { readonly endpointId: string }>(
  targets: readonly T[],
  limits: PartLimits = DEFAULT_PART_LIMITS,
): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let bytes = 2; // the brackets of an empty JSON list
  for (const target of targets) {
    const added = JSON.stringify(target.endpointId).length + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (current.length >= limits.maxTargets || bytes + added > limits.maxIdsBytes)) {
      parts.push(current);
      current = [];
      bytes = 2;
    }
    bytes += JSON.stringify(target.endpointId).length + (current.length > 0 ? 1 : 0);
    current.push(target);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}
