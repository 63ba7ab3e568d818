import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiError, ApiUnreachableError, createApiClient } from './api-client.js';
import { UsageError, type CommandContext, type CommandSpec, type OptionSpec } from './command.js';
import { COMMANDS } from './commands.js';

/** Where the CLI reads its settings and writes its output; the real process, or a test's capture. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readText: CommandContext['readText'];
  readonly now?: () => Date;
}

/** Exit statuses: 0 done, 1 the API refused or could not be reached, 2 the command was called wrongly. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const DEFAULT_URL = 'http://127.0.0.1:3000';

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: { type: 'string', valueName: 'url', description: `the API (default $WEBHOOKS_URL or ${DEFAULT_URL})` },
  json: { type: 'boolean', description: "print the API's JSON answer instead of a table" },
  help: { type: 'boolean', description: 'show this help' },
};

/**
 * Runs `webhooks <command> [operands] [options]` and returns its exit status. The API key comes from
 * `WEBHOOKS_API_KEY` only: a command-line flag would show it in `ps` and the shell's history.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const words = wordsOf(argv);
  const command = findCommand(words);
  if (!command) {
    const asked = argv.length === 0 || argv.includes('--help') || argv.includes('-h');
    const complaint = words.length === 0 ? 'which command?' : `unknown command: ${words.join(' ')}`;
    (asked ? io.stdout : io.stderr)(`${asked ? '' : `${complaint}\n\n`}${overview()}\n`);
    return asked ? EXIT.ok : EXIT.usage;
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions(command), allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${usage(command)}\n`);
    return EXIT.usage;
  }
  const { values } = parsed;
  if (values['help'] === true) {
    io.stdout(`${usage(command)}\n`);
    return EXIT.ok;
  }
  // The command's words are the first positionals: options, global or not, never take them as values.
  const operands = parsed.positionals.slice(command.words.length);
  if (operands.length !== command.operands.length) {
    io.stderr(`${command.words.join(' ')} takes ${command.operands.join(' ') || 'no operands'}\n\n${usage(command)}\n`);
    return EXIT.usage;
  }
  const baseUrl = (typeof values['url'] === 'string' ? values['url'] : undefined) ?? (io.env['WEBHOOKS_URL'] || DEFAULT_URL);
  const apiKey = io.env['WEBHOOKS_API_KEY'];
  const context: CommandContext = {
    api: createApiClient({ baseUrl, ...(apiKey ? { apiKey } : {}) }),
    now: io.now ?? (() => new Date()),
    readText: io.readText,
  };
  const json = values['json'] === true;
  try {
    const output = await command.run(context, operands, values);
    io.stdout(`${json ? JSON.stringify(output.json, null, 2) : output.text}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${usage(command)}\n`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      io.stderr(`${json ? JSON.stringify({ status: error.status, ...error.problem }, null, 2) : describeApiError(error)}\n`);
      return EXIT.failed;
    }
    if (error instanceof ApiUnreachableError) {
      io.stderr(`${json ? JSON.stringify({ error: error.message }) : error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

// The words of the command line, once options and their values are set aside wherever they stand
// (`webhooks --json endpoints list` as well as `webhooks endpoints list --json`).
function wordsOf(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('-') || arg === '-') words.push(arg);
    else if (!arg.includes('=') && STRING_OPTIONS.has(arg.replace(/^--/, ''))) index++;
  }
  return words;
}

// The names of every option that takes a value, of any command: the word after one is its value, not a command.
const STRING_OPTIONS = new Set(
  [GLOBAL_OPTIONS, ...COMMANDS.map((command) => command.options)].flatMap((options) =>
    Object.entries(options)
      .filter(([, spec]) => spec.type === 'string')
      .map(([name]) => name),
  ),
);

function findCommand(words: readonly string[]): CommandSpec | undefined {
  return COMMANDS.find((command) => command.words.every((word, index) => words[index] === word));
}

function parseOptions(command: CommandSpec): NonNullable<ParseArgsConfig['options']> {
  const all = { ...GLOBAL_OPTIONS, ...command.options };
  return Object.fromEntries(
    Object.entries(all).map(([name, spec]) => [name, { type: spec.type, ...(name === 'help' ? { short: 'h' } : {}) }]),
  );
}

function describeApiError(error: ApiError): string {
  const { problem } = error;
  const lines = [`error ${error.status}: ${problem?.title ?? 'the API refused the request'}`];
  if (problem?.detail && problem.detail !== problem.title) lines.push(problem.detail);
  if (Array.isArray(problem?.errors)) {
    for (const item of problem.errors as { path?: string; message?: string }[]) lines.push(`  ${item.path ?? ''}: ${item.message ?? ''}`);
  }
  return lines.join('\n');
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const entries = Object.entries(options).map(
    ([name, spec]) => [`--${name}${spec.valueName ? ` <${spec.valueName}>` : ''}`, spec.description] as const,
  );
  const width = Math.max(0, ...entries.map(([flag]) => flag.length));
  return entries.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

function usage(command: CommandSpec): string {
  return [
    `usage: webhooks ${[...command.words, ...command.operands].join(' ')} [options]`,
    '',
    command.summary,
    '',
    'options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
  ].join('\n');
}

function overview(): string {
  const names = COMMANDS.map((command) => [...command.words, ...command.operands].join(' '));
  const width = Math.max(...names.map((name) => name.length));
  return [
    'usage: webhooks <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((command, index) => `  ${(names[index] ?? '').padEnd(width)}  ${command.summary}`),
    '',
    'options of every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'environment: WEBHOOKS_URL (the API), WEBHOOKS_API_KEY (sent as Authorization: Bearer)',
  ].join('\n');
}
