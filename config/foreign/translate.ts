import { ConfigError } from '../../errors.js';
import { fromAgentStack, isAgentStackConfig } from './agentstack.js';
import { type ForeignMapping, MappingProblems, type Raw } from './mapping.js';
import { fromOperator, isOperatorConfig } from './operator.js';

/**
 * The mapping of a config file written for another webhook sender (an Operator `config.toml`, an Agent Stack
 * `config.yaml`), or `undefined` for a file of this gateway's own. A file is taken for a foreign one only when it holds
 * none of `gatewayKeys`, so a mistyped key of ours is still reported as such.
 */
export function translateForeignConfig(
  raw: Raw,
  syntax: 'toml' | 'yaml',
  source: string,
  gatewayKeys: readonly string[],
): ForeignMapping | undefined {
  const mapped =
    syntax === 'toml' && isOperatorConfig(raw, gatewayKeys)
      ? fromOperator(raw)
      : syntax === 'yaml' && isAgentStackConfig(raw, gatewayKeys)
        ? fromAgentStack(raw)
        : undefined;
  if (mapped instanceof MappingProblems) throw new ConfigError(source, mapped.list);
  return mapped;
}

/** A problem the gateway's schema found in a mapped file, at the foreign key it came from. */
export function foreignPath(path: string, mapping: ForeignMapping): string {
  for (const [prefix, origin] of mapping.origins) {
    if (path === prefix || path.startsWith(`${prefix}.`)) return `${origin}${path.slice(prefix.length)}`;
  }
  return path;
}
