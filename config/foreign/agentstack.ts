import { duplicateIds, type ForeignMapping, hostOf, isTable, MappingProblems, type Raw, stableEndpointId } from './mapping.js';

// The keys Agent Stack documents (seeds/agentstack-webhooks.md).
const WEBHOOK_KEYS = ['endpoints'];
const ENDPOINT_KEYS = ['url', 'headers', 'events'];

// Headers that carry credentials by name. Their values stay out of workflow history: the endpoint names a variable,
// which each process of the gateway sets from the file when it reads it.
const CREDENTIAL_HEADER = /auth|cookie|token|secret|key|password|passwd|session|signature|credential/i;

/** Whether a parsed YAML file is an Agent Stack `config.yaml`: it has `webhook:` and no setting of ours. */
export function isAgentStackConfig(raw: Raw, gatewayKeys: readonly string[]): boolean {
  return isTable(raw['webhook']) && !Object.keys(raw).some((key) => gatewayKeys.includes(key));
}

/**
 * Maps Agent Stack's `webhook.endpoints` onto endpoints. Its body is the event's fields between `event` and
 * `timestamp`, which is the `flat` format. Its entries have no names, so ids come from each URL. Unlike Agent Stack,
 * which sends once and forgets, deliveries are retried on the default schedule.
 */
export function fromAgentStack(raw: Raw): ForeignMapping | MappingProblems {
  const problems = new MappingProblems();
  const webhook = raw['webhook'] as Raw;
  problems.unknownKeys(webhook, WEBHOOK_KEYS, 'webhook', 'webhook');
  const list = webhook['endpoints'];
  if (!Array.isArray(list) || list.length === 0) {
    problems.add('webhook.endpoints', 'must be a non-empty list of endpoints');
    return problems;
  }

  const endpoints: Raw[] = [];
  const lines: string[] = [];
  const origins = new Map<string, string>();
  const fileSecrets: Record<string, string> = {};
  const ids: { id: string; path: string }[] = [];
  list.forEach((entry: unknown, index) => {
    const path = `webhook.endpoints[${index}]`;
    if (!isTable(entry)) {
      problems.add(path, 'must be a mapping with url, headers and events');
      return;
    }
    problems.unknownKeys(entry, ENDPOINT_KEYS, path, 'an endpoint');
    const url = problems.url(entry, path);
    const events = problems.events(entry, path) ?? ['*'];
    const rawHeaders = entry['headers'] ?? {};
    if (!isTable(rawHeaders)) problems.add(`${path}.headers`, 'must be a mapping of header names to values');
    if (url === undefined || !isTable(rawHeaders)) return;

    const id = stableEndpointId(undefined, url);
    const headers: Record<string, string | { env: string }> = {};
    const kept: string[] = [];
    for (const [name, value] of Object.entries(rawHeaders)) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        problems.add(`${path}.headers.${name}`, 'must be text');
        continue;
      }
      if (!CREDENTIAL_HEADER.test(name)) {
        headers[name] = String(value);
        continue;
      }
      const variable = `WEBHOOKS_${id}_${name}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
      fileSecrets[variable] = String(value);
      headers[name] = { env: variable };
      kept.push(`${name} from $${variable}`);
    }
    ids.push({ id, path });
    origins.set(`endpoints[${endpoints.length}]`, path);
    endpoints.push({ id, name: hostOf(url), url, events, headers, format: 'flat' });
    lines.push(
      `${path} → endpoint "${id}": ${hostOf(url)}, events ${events.join(', ')}, body flat` +
        (kept.length > 0 ? `, header ${kept.join(', ')} (kept out of workflow history)` : ''),
    );
  });
  duplicateIds(ids, problems, 'the same URL is listed twice; merge the entries’ events');
  if (problems.list.length > 0) return problems;
  const ignored = Object.keys(raw).filter((key) => key !== 'webhook');
  if (ignored.length > 0) lines.push(`left to Agent Stack: ${ignored.join(', ')}`);
  lines.push('failed deliveries are retried (Agent Stack sends once): set delivery.retry in a config of this gateway to change it');
  return { from: 'an Agent Stack config.yaml', config: { endpoints }, lines, origins, fileSecrets };
}
