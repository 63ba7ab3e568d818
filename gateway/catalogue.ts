import type { ValidateFunction } from 'ajv/dist/2020.js';
import { createSchemaCompiler, type EventTypeEntry } from '../config/ingest.js';

/** One located problem with an event: `path` is a JSON pointer into the event (`/data/total`). */
export interface EventProblem {
  readonly path: string;
  readonly message: string;
}

/** What the catalogue says of an event: fine, a type it does not list, or data that breaks the type's schema. */
export type CatalogueVerdict =
  { readonly kind: 'ok' } | { readonly kind: 'unknown-type' } | { readonly kind: 'invalid-data'; readonly errors: readonly EventProblem[] };

/** The event types the configuration declares. Without any, every type is accepted and no data is checked. */
export interface EventCatalogue {
  readonly entries: readonly EventTypeEntry[];
  check(type: string, data: unknown): CatalogueVerdict;
}

const OK: CatalogueVerdict = { kind: 'ok' };
const MAX_ERRORS = 20;

/** Compiles every type's schema once, at start; checking an event is then one call. */
export function createCatalogue(entries: readonly EventTypeEntry[]): EventCatalogue {
  const ajv = createSchemaCompiler();
  const validators = new Map<string, ValidateFunction | undefined>(
    entries.map((entry) => [entry.type, entry.schema ? ajv.compile(entry.schema) : undefined]),
  );
  return {
    entries,
    check(type, data) {
      if (validators.size === 0) return OK;
      if (!validators.has(type)) return { kind: 'unknown-type' };
      const validate = validators.get(type);
      if (!validate || validate(data)) return OK;
      // Paths point into the whole event, where `data` sits, so a producer finds the field at once.
      const errors = (validate.errors ?? []).slice(0, MAX_ERRORS).map((error) => ({
        path: `/data${error.instancePath}`,
        message:
          error.keyword === 'required' ? `must have property ${String(error.params['missingProperty'])}` : (error.message ?? 'invalid'),
      }));
      return { kind: 'invalid-data', errors };
    },
  };
}

/** Why the catalogue refuses a type, in one sentence. */
export const unknownTypeMessage = (type: string): string => `"${type}" is not in the event-type catalogue`;
