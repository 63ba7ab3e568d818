import type { ApiClient } from './api-client.js';
import { formatTable, type Column } from './table.js';

// What every command is made of, and the small helpers they share.

/** What a command may use: the API, the clock, and a way to read a file or standard input. */
export interface CommandContext {
  readonly api: ApiClient;
  readonly now: () => Date;
  /** Reads a file, or standard input for `-`. */
  readonly readText: (path: string) => Promise<string>;
}

/** A command's result: the API's answer as is (for `--json`), and the same for a person to read. */
export interface CommandOutput {
  readonly json: unknown;
  readonly text: string;
}

/** An option of a command, in `node:util` `parseArgs` terms. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly valueName?: string;
}

export interface CommandSpec {
  /** The words that name it, e.g. `['endpoints', 'pause']`. */
  readonly words: readonly string[];
  /** Its positional arguments, for usage lines, e.g. `['<id>']`. */
  readonly operands: readonly string[];
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  run(
    context: CommandContext,
    operands: readonly string[],
    options: Readonly<Record<string, string | boolean | undefined>>,
  ): Promise<CommandOutput>;
}

/** A mistake in how a command was called: exit status 2, with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that lists what `path` answers with, `{ "data": [...] }`: a table of it, or `empty` when there is none. */
export async function listing<Row>(
  context: CommandContext,
  path: string,
  empty: string,
  columns: (now: Date) => readonly Column<Row>[],
): Promise<CommandOutput> {
  const {
    body: { data },
  } = await context.api<{ data: Row[] }>({ method: 'GET', path });
  return { json: data, text: data.length === 0 ? empty : formatTable(data, columns(context.now())) };
}

/** A string option's value, or `undefined` when it was not given. */
export function stringOption(options: Readonly<Record<string, string | boolean | undefined>>, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

// Ids go into the path as one segment, whatever they hold.
export function segment(id: string | undefined): string {
  return encodeURIComponent(id ?? '');
}
