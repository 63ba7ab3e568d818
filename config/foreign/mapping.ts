import { createHash } from 'node:crypto';
import type { ConfigProblem } from '../../errors.js';
import { EndpointIdSchema } from '../../domain/endpoint.js';
import { EventPatternSchema } from '../../domain/pattern.js';

/** A value read from a foreign file, before anything is known of its shape. */
export type Raw = Record<string, unknown>;

export const isTable = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Another system's config file, read as this gateway's configuration. */
export interface ForeignMapping {
  /** What the file was taken for, e.g. `an Operator config.toml`. */
  readonly from: string;
  /** The gateway configuration it maps to, in the config file's shape, for the schema to check and complete. */
  readonly config: Raw;
  /** One line per mapped entry, for the operator to read at start: no URL path, no secret. */
  readonly lines: readonly string[];
  /** The foreign key each gateway endpoint came from (`endpoints[1]` → `notifications.webhooks[0]`), for errors. */
  readonly origins: ReadonlyMap<string, string>;
  /**
   * Secrets the file holds as plain text, by the environment variable the mapped endpoint names instead, so that
   * workflow history stores the name and never the value.
   */
  readonly fileSecrets: Readonly<Record<string, string>>;
}

/** Collects what cannot be mapped, each at the foreign key it concerns. */
export class MappingProblems {
  readonly list: ConfigProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  /** Reports each key of `table` outside `known`: a setting the mapping would otherwise drop in silence. */
  unknownKeys(table: Raw, known: readonly string[], path: string, what: string): void {
    for (const key of Object.keys(table)) {
      if (!known.includes(key)) this.add(`${path}.${key}`, `not a setting this gateway can map (${what} takes ${known.join(', ')})`);
    }
  }

  text(table: Raw, key: string, path: string): string | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value !== '') return value;
    this.add(`${path}.${key}`, 'must be a non-empty string');
    return undefined;
  }

  flag(table: Raw, key: string, path: string): boolean | undefined {
    const value = table[key];
    if (value === undefined || typeof value === 'boolean') return value;
    this.add(`${path}.${key}`, 'must be true or false');
    return undefined;
  }

  /** An absolute http(s) URL, which every foreign webhook needs. */
  url(table: Raw, path: string): string | undefined {
    const url = this.text(table, 'url', path);
    if (url === undefined) {
      if (table['url'] === undefined) this.add(`${path}.url`, 'required: where the webhook is POSTed');
      return undefined;
    }
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      this.add(`${path}.url`, 'must be an absolute http:// or https:// URL');
      return undefined;
    }
    return url;
  }

  /** A list of event patterns; `undefined` when the key is absent. */
  events(table: Raw, path: string): string[] | undefined {
    const value = table['events'];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0) {
      this.add(`${path}.events`, 'must be a non-empty list of event patterns');
      return undefined;
    }
    const bad = value.findIndex((pattern) => !EventPatternSchema.safeParse(pattern).success);
    if (bad !== -1) {
      this.add(`${path}.events[${bad}]`, 'pattern must be *, a prefix such as order.*, or an exact event type');
      return undefined;
    }
    return value as string[];
  }
}

const ID_MAX = 60;

/**
 * An endpoint id that stays the same each time the file is read: the entry's name made URL-safe, or, for an entry
 * without one, the receiver's host and a short hash of its URL (so that reordering the file changes no id).
 */
export function stableEndpointId(name: string | undefined, url: string): string {
  if (name !== undefined) {
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, ID_MAX);
    if (EndpointIdSchema.safeParse(slug).success) return slug;
  }
  const host = hostOf(url)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, ID_MAX - 7);
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 6);
  return `${host || 'webhook'}-${hash}`;
}

/** The host of a URL: what a log line may show of it (a path can hold a token, as Slack's hook URLs do). */
export function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : 'an invalid URL';
}

/** Reports ids two entries share, naming both keys. */
export function duplicateIds(ids: readonly { id: string; path: string }[], problems: MappingProblems, remedy: string): void {
  const seen = new Map<string, string>();
  for (const { id, path } of ids) {
    const first = seen.get(id);
    if (first === undefined) seen.set(id, path);
    else problems.add(path, `maps to endpoint id "${id}", as ${first} does: ${remedy}`);
  }
}
