import type { ConnectionLike } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto, { type temporal } from '@temporalio/proto';

/** A search attribute to register: its name and type, as `defineSearchAttributeKey` returns them. */
export interface SearchAttributeDefinition {
  readonly name: string;
  readonly type: SearchAttributeType;
}

// A CommonJS module whose namespace export Node cannot detect statically: reached through its default export.
const { IndexedValueType } = proto.temporal.api.enums.v1;

/**
 * Registers the search attributes the namespace lacks and returns their names. Idempotent: the dev server only
 * honours `--search-attribute` flags when it creates a new database, so every start checks again.
 */
export async function ensureSearchAttributes(
  connection: ConnectionLike,
  namespace: string,
  definitions: readonly SearchAttributeDefinition[],
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...existing.systemAttributes, ...existing.customAttributes };
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const { name, type } of definitions) {
    const wanted = IndexedValueType[`INDEXED_VALUE_TYPE_${type}`];
    const current = known[name];
    if (current === undefined) missing[name] = wanted;
    else if (current !== wanted) {
      throw new Error(`Search attribute ${name} exists in namespace ${namespace} as ${IndexedValueType[current]}, but ${type} is needed.`);
    }
  }
  const names = Object.keys(missing);
  if (names.length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return names;
}

/** Sets how long closed workflows (the delivery history) are kept; the dev server's default is 24 hours. */
export async function setNamespaceRetention(connection: ConnectionLike, namespace: string, retentionMs: number): Promise<void> {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(retentionMs) },
  });
}
