import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { applyEnvOverrides } from './env.js';
import { foreignPath, translateForeignConfig, type ForeignMapping } from './foreign/index.js';
import { ConfigSchema, type Config, type ConfigInput } from './schema.js';

/** The config file used when neither `--config` nor `WEBHOOKS_CONFIG` names one. */
export const DEFAULT_CONFIG_PATH = 'examples/quickstart.yaml';

/** The config file's path from `--config <path>`, `--config=<path>`, `WEBHOOKS_CONFIG`, or the default. */
export function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const index = argv.indexOf('--config');
  if (index !== -1 && argv[index + 1]) return argv[index + 1] as string;
  const inline = argv.find((arg) => arg.startsWith('--config='));
  if (inline) return inline.slice('--config='.length);
  return env['WEBHOOKS_CONFIG'] || DEFAULT_CONFIG_PATH;
}

/** A configuration and, when the file was written for another webhook sender, how it was mapped. */
export interface LoadedConfig {
  readonly config: Config;
  readonly mapping?: ForeignMapping;
}

/** Reads, parses (YAML or TOML, by extension), overrides from the environment and validates a config file. */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  return (await readConfigFile(path, env)).config;
}

/**
 * Like {@link loadConfig}, and says how a foreign file (an Operator `config.toml`, an Agent Stack `config.yaml`) was
 * mapped. Secrets such a file holds as plain text are set in `env` under the variable names the mapped endpoints use
 * (unless `env` sets them already), so every process that reads the file can send with them.
 */
export async function readConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [
      { path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})` },
    ]);
  }
  return parseConfigText(text, path, env);
}

/** Like {@link loadConfig}, for text already in memory; `source` names it and picks the format by extension. */
export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = {}): Config {
  return parseConfigText(text, source, env).config;
}

/** Like {@link readConfigFile}, for text already in memory. */
export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  const { value, syntax } = parseByExtension(text, source);
  const mapping = translateForeignConfig(value, syntax, source, Object.keys(ConfigSchema.shape));
  const result = ConfigSchema.safeParse(applyEnvOverrides(mapping?.config ?? value, env));
  if (!result.success) {
    const problems = result.error.issues.map(toProblem);
    throw new ConfigError(
      source,
      mapping ? problems.map((problem) => ({ ...problem, path: foreignPath(problem.path, mapping) })) : problems,
    );
  }
  for (const [name, secret] of Object.entries(mapping?.fileSecrets ?? {})) if (!env[name]) env[name] = secret;
  return { config: result.data, ...(mapping ? { mapping } : {}) };
}

/**
 * Validates a configuration given as an object, in the config file's shape (`endpoints`, `delivery`, `encryption`…),
 * and fills in its defaults: for code that embeds the gateway, such as a worker with `WebhooksPlugin`.
 */
export function defineConfig(input: ConfigInput = {}, source = 'the configuration object'): Config {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(source, result.error.issues.map(toProblem));
  return result.data;
}

function parseByExtension(text: string, source: string): { value: Record<string, unknown>; syntax: 'yaml' | 'toml' } {
  const extension = extname(source).toLowerCase();
  let value: unknown;
  if (extension === '.yaml' || extension === '.yml') {
    const document = parseDocument(text, { prettyErrors: true });
    if (document.errors.length > 0) {
      throw new ConfigError(
        source,
        document.errors.map((error) => ({
          path: '',
          message: `YAML syntax, line ${error.linePos?.[0].line ?? '?'}: ${yamlMessage(error.message)}`,
        })),
      );
    }
    value = document.toJS();
  } else if (extension === '.toml') {
    try {
      value = parseToml(text);
    } catch (error) {
      const line = error instanceof TomlError ? `, line ${error.line}` : '';
      throw new ConfigError(source, [{ path: '', message: `TOML syntax${line}: ${(error as Error).message.split('\n')[0]}` }]);
    }
  } else {
    throw new ConfigError(source, [{ path: '', message: 'the config file must end in .yaml, .yml or .toml' }]);
  }
  const syntax = extension === '.toml' ? 'toml' : 'yaml';
  if (value === null || value === undefined) return { value: {}, syntax };
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(source, [{ path: '', message: 'the file must hold a mapping of settings' }]);
  return { value: value as Record<string, unknown>, syntax };
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const path = issue.path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
  return { path, message: issue.message };
}

// The yaml library appends the position and a code frame to its messages; the line is already reported.
function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
