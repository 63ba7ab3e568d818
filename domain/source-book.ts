// The inbound sources a gateway answers at /v1/sources/<id>, as one durable book: those of the config file and those
// made at runtime, and the ids of deleted ones, which are never given out again. Pure, so the workflow that keeps the
// book and the tests share the rules.

/** How a source's calls prove where they come from (see the config's `sources[].auth`). */
export type SourceAuthMode = 'secret' | 'hmac-sha256' | 'standard-webhooks';

/** A source as written in the config file or sent to the API; its secret by reference, or generated (no `secret_env`). */
export interface SourceDefinition {
  readonly id: string;
  readonly name?: string | undefined;
  readonly event_type: string;
  readonly enabled: boolean;
  readonly auth: {
    readonly mode: SourceAuthMode;
    /** The variable holding the secret; absent for a source whose secret the gateway generated. */
    readonly secret_env?: string | undefined;
    readonly header?: string | undefined;
    /** Standard Webhooks only: how old a signed timestamp may be, in milliseconds. */
    readonly tolerance?: number | undefined;
  };
  readonly id_header?: string | undefined;
  readonly rate_limit?: { readonly limit: number; readonly window: number } | undefined;
}

/** One source in the book. */
export interface StoredSource {
  readonly definition: SourceDefinition;
  /** Who owns the definition: the config file (changed there) or the API. */
  readonly origin: 'config' | 'api';
  /**
   * Which generated secret is current while the definition names no `secret_env`: the secret is derived from the
   * gateway's source key and this number, so the book (and workflow history) never holds a secret. Rotating adds one;
   * it is kept while a `secret_env` is named, so that a secret is never generated twice.
   */
  readonly secretGeneration?: number;
  /** Set when a config source left the config file: it is kept, disabled, until deleted. */
  readonly removedFromConfig?: boolean;
  readonly revision: number;
  readonly createdAt: string;
  readonly changedAt: string;
}

export interface SourceBook {
  /**
   * Names the book's life: the same across continue-as-new and a restart from the last book seen, new when the book
   * had to start empty. Versions compare within one epoch only.
   */
  readonly epoch: string;
  /** Counts the book's changes, so that a reader can tell an older read from a newer one. */
  readonly version: number;
  readonly sources: readonly StoredSource[];
  /** Ids of deleted sources: calls to them answer 404, and no new source may take them. */
  readonly deleted: readonly string[];
}

export const EMPTY_SOURCE_BOOK: SourceBook = { epoch: '', version: 0, sources: [], deleted: [] };

/** Why a change to the book cannot be made. */
export interface SourceBookProblem {
  readonly reason: 'not-found' | 'conflict';
  readonly message: string;
}

/** Whether a source is disabled: by its definition, or because it left the config file. */
export function isSourceEnabled(source: StoredSource): boolean {
  return source.definition.enabled && source.removedFromConfig !== true;
}

const find = (book: SourceBook, id: string): StoredSource | undefined => book.sources.find((source) => source.definition.id === id);

/** Why `definition` cannot be added, if it cannot: its id is taken, or was a deleted source's. */
export function createProblem(book: SourceBook, definition: SourceDefinition): SourceBookProblem | undefined {
  if (book.deleted.includes(definition.id)) {
    return { reason: 'conflict', message: `source ${definition.id} was deleted; its id is not given out again` };
  }
  if (find(book, definition.id)) return { reason: 'conflict', message: `source ${definition.id} exists` };
  return undefined;
}

/** The book with a new API source. */
export function withCreated(book: SourceBook, definition: SourceDefinition, at: string): SourceBook {
  const source: StoredSource = {
    definition,
    origin: 'api',
    ...(definition.auth.secret_env === undefined ? { secretGeneration: 1 } : {}),
    revision: 1,
    createdAt: at,
    changedAt: at,
  };
  return { ...book, version: book.version + 1, sources: [...book.sources, source] };
}

/** Why a source's definition cannot be replaced, if it cannot: there is none, or the config file owns it. */
export function changeProblem(book: SourceBook, id: string): SourceBookProblem | undefined {
  const source = find(book, id);
  if (!source) return { reason: 'not-found', message: `no source ${id}` };
  if (source.origin === 'config') return { reason: 'conflict', message: `source ${id} is defined in the config file: change it there` };
  return undefined;
}

/**
 * The book with a source's definition replaced. A source that stops naming a `secret_env` gets a new generated
 * secret, never one it had before.
 */
export function withChanged(book: SourceBook, definition: SourceDefinition, at: string): SourceBook {
  return mapSource(book, definition.id, (source) => {
    const regenerate = definition.auth.secret_env === undefined && source.definition.auth.secret_env !== undefined;
    return {
      ...source,
      definition,
      ...(regenerate ? { secretGeneration: (source.secretGeneration ?? 0) + 1 } : {}),
      revision: source.revision + 1,
      changedAt: at,
    };
  });
}

/** Why a source's generated secret cannot be rotated, if it cannot. */
export function rotateProblem(book: SourceBook, id: string): SourceBookProblem | undefined {
  const problem = changeProblem(book, id);
  const source = find(book, id);
  if (problem || !source) return problem;
  const variable = source.definition.auth.secret_env;
  return variable === undefined
    ? undefined
    : { reason: 'conflict', message: `source ${id} takes its secret from ${variable}: rotate it there` };
}

/** The book with a source's generated secret replaced by the next one. */
export function withRotated(book: SourceBook, id: string, at: string): SourceBook {
  return mapSource(book, id, (source) => ({
    ...source,
    secretGeneration: (source.secretGeneration ?? 0) + 1,
    revision: source.revision + 1,
    changedAt: at,
  }));
}

/** Why a source cannot be deleted, if it cannot: there is none, or the config file still defines it. */
export function deleteProblem(book: SourceBook, id: string): SourceBookProblem | undefined {
  const source = find(book, id);
  if (!source) return { reason: 'not-found', message: `no source ${id}` };
  if (source.origin === 'config' && !source.removedFromConfig) {
    return { reason: 'conflict', message: `source ${id} is defined in the config file: remove it there first` };
  }
  return undefined;
}

/** The book without the source, its id kept among the deleted. */
export function withDeleted(book: SourceBook, id: string): SourceBook {
  return {
    ...book,
    version: book.version + 1,
    sources: book.sources.filter((source) => source.definition.id !== id),
    deleted: [...book.deleted, id],
  };
}

/**
 * The book after a process read the config file's sources: each is added or made as the file says (the file wins
 * over an API source or a deleted id of the same name, since an operator wrote it there), and a config source the
 * file no longer has is kept, disabled, as an endpoint dropped from the file is.
 */
export function withReconciled(book: SourceBook, definitions: readonly SourceDefinition[], at: string): SourceBook {
  const wanted = new Map(definitions.map((definition) => [definition.id, definition]));
  const sources = book.sources.map((source): StoredSource => {
    const definition = wanted.get(source.definition.id);
    if (definition) {
      wanted.delete(definition.id);
      const same = source.origin === 'config' && !source.removedFromConfig && sameDefinition(source.definition, definition);
      return same ? source : { definition, origin: 'config', revision: source.revision + 1, createdAt: source.createdAt, changedAt: at };
    }
    if (source.origin !== 'config' || source.removedFromConfig) return source;
    return { ...source, removedFromConfig: true, revision: source.revision + 1, changedAt: at };
  });
  const added = [...wanted.values()].map((definition): StoredSource => ({
    definition,
    origin: 'config',
    revision: 1,
    createdAt: at,
    changedAt: at,
  }));
  const readded = new Set(added.map((source) => source.definition.id));
  return {
    ...book,
    version: book.version + 1,
    sources: [...sources, ...added],
    deleted: book.deleted.filter((id) => !readded.has(id)),
  };
}

function mapSource(book: SourceBook, id: string, change: (source: StoredSource) => StoredSource): SourceBook {
  return {
    ...book,
    version: book.version + 1,
    sources: book.sources.map((source) => (source.definition.id === id ? change(source) : source)),
  };
}

// Definitions come from JSON on both sides (history and the config schema's output): compare them as JSON, keys sorted.
function sameDefinition(a: SourceDefinition, b: SourceDefinition): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, inner]) => inner !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const AUTH_MODES: readonly string[] = ['secret', 'hmac-sha256', 'standard-webhooks'];
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * What the book checks of a definition before it reaches history. Every definition the API and the config file send
 * has passed their schema already; this keeps a hand-made update from storing one the API could not serve.
 */
export function definitionShapeProblem(definition: unknown): SourceBookProblem | undefined {
  const fits =
    typeof definition === 'object' &&
    definition !== null &&
    isText((definition as SourceDefinition).id) &&
    !(definition as SourceDefinition).id.includes('/') &&
    isText((definition as SourceDefinition).event_type) &&
    typeof (definition as SourceDefinition).enabled === 'boolean' &&
    AUTH_MODES.includes((definition as SourceDefinition).auth?.mode);
  return fits ? undefined : { reason: 'conflict', message: 'invalid source: needs id, event_type, enabled and auth.mode' };
}
