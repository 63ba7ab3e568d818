import { z } from 'zod';
import { ENV_OVERRIDES } from './env.js';
import { ConfigSchema } from './schema.js';

/** One documented setting. */
export interface SettingDoc {
  /** Dotted path; `[]` marks each element of a list, e.g. `endpoints[].url`. */
  readonly key: string;
  readonly type: string;
  readonly defaultValue?: string;
  readonly env?: string;
  readonly description: string;
}

interface JsonSchemaNode {
  readonly type?: string | string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly items?: JsonSchemaNode;
  readonly additionalProperties?: JsonSchemaNode | boolean;
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly oneOf?: readonly JsonSchemaNode[];
  readonly const?: unknown;
  /** Set by `DurationSchema`: a string such as `15s`. */
  readonly 'x-kind'?: string;
}

/** Every setting of the config file, read off the schema itself so that the docs cannot drift from it. */
export function describeConfig(): SettingDoc[] {
  const root = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const envByKey = new Map(ENV_OVERRIDES.map((override) => [override.path.join('.'), override.variable]));
  const rows: SettingDoc[] = [];

  const visit = (node: JsonSchemaNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const key = prefix ? `${prefix}.${name}` : name;
      const itemObject = child.type === 'array' && child.items?.properties ? child.items : undefined;
      if (child.properties && !itemObject) {
        visit(child, key);
        continue;
      }
      const env = envByKey.get(key);
      rows.push({
        key,
        type: typeName(child),
        ...(child.default === undefined || isEmptyObject(child.default) ? {} : { defaultValue: JSON.stringify(child.default) }),
        ...(env ? { env } : {}),
        description: child.description ?? '',
      });
      if (itemObject) visit(itemObject, `${key}[]`);
    }
  };
  visit(root, '');
  return rows;
}

/** The settings as a Markdown table, as the README shows it. */
export function renderConfigTable(rows: readonly SettingDoc[] = describeConfig()): string {
  const escape = (text: string): string => text.replaceAll('|', '\\|');
  const lines = ['| setting | type | default | env | what it does |', '| --- | --- | --- | --- | --- |'];
  for (const row of rows) {
    lines.push(
      `| \`${row.key}\` | ${escape(row.type)} | ${row.defaultValue ? `\`${escape(row.defaultValue)}\`` : ''} | ${row.env ? `\`${row.env}\`` : ''} | ${escape(row.description)} |`,
    );
  }
  return lines.join('\n');
}

function typeName(node: JsonSchemaNode): string {
  if (node['x-kind']) return node['x-kind'];
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return alternatives.map(alternativeName).join(' or ');
  if (node.enum) return node.enum.map((value) => String(value)).join(' | ');
  if (node.type === 'array') return `list of ${node.items?.properties ? 'objects' : typeName(node.items ?? {})}`;
  if (node.type === 'object') return 'map';
  return Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

// An object among alternatives is named by its fields, or by its `mode` when it is one of a tagged union.
function alternativeName(node: JsonSchemaNode): string {
  if (node.type === 'null') return 'null';
  const mode = node.properties?.['mode']?.const;
  if (typeof mode === 'string')
    return `{mode: ${mode}, ${Object.keys(node.properties ?? {})
      .filter((name) => name !== 'mode')
      .join(', ')}}`;
  if (node.properties) return `{${Object.keys(node.properties).join(', ')}}`;
  return typeName(node);
}
