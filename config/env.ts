/** An environment variable that overrides one setting of the config file. */
export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly string[];
  readonly kind: 'string' | 'integer' | 'boolean';
}

/** Every environment override, in one table so the README and the loader cannot drift apart. */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { variable: 'TEMPORAL_ADDRESS', path: ['temporal', 'address'], kind: 'string' },
  { variable: 'TEMPORAL_NAMESPACE', path: ['temporal', 'namespace'], kind: 'string' },
  { variable: 'TEMPORAL_TLS', path: ['temporal', 'tls'], kind: 'boolean' },
  { variable: 'WEBHOOKS_TASK_QUEUE', path: ['temporal', 'task_queue'], kind: 'string' },
  { variable: 'WEBHOOKS_API_HOST', path: ['api', 'host'], kind: 'string' },
  { variable: 'WEBHOOKS_API_PORT', path: ['api', 'port'], kind: 'integer' },
  { variable: 'WEBHOOKS_REDIS_URL', path: ['api', 'redis_url'], kind: 'string' },
  { variable: 'WEBHOOKS_DATA_DIR', path: ['embedded', 'data_dir'], kind: 'string' },
  { variable: 'WEBHOOKS_LOG_LEVEL', path: ['log_level'], kind: 'string' },
  { variable: 'WEBHOOKS_METRICS_HOST', path: ['metrics', 'host'], kind: 'string' },
  { variable: 'WEBHOOKS_METRICS_PORT', path: ['metrics', 'port'], kind: 'integer' },
];

/** Returns a copy of the raw config with every set override applied; values are left for the schema to judge. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const result = structuredClone(raw);
  for (const { variable, path, kind } of ENV_OVERRIDES) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    let target: Record<string, unknown> = result;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      target = typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : (target[key] = {});
    }
    target[path.at(-1) as string] = convert(text, kind);
  }
  return result;
}

function convert(text: string, kind: EnvOverride['kind']): unknown {
  if (kind === 'integer' && /^\d+$/.test(text)) return Number(text);
  if (kind === 'boolean' && /^(true|false|1|0)$/i.test(text)) return /^(true|1)$/i.test(text);
  return text;
}
