import { intersectPatterns } from '../../domain/pattern.js';
import { duplicateIds, type ForeignMapping, hostOf, isTable, MappingProblems, type Raw, stableEndpointId } from './mapping.js';

// The keys Operator documents for a webhook (seeds/operator-webhook-notifications.md) and for [notifications].
const WEBHOOK_KEYS = ['enabled', 'name', 'url', 'events', 'auth_type', 'token_env', 'username', 'password_env'];
const NOTIFICATION_KEYS = ['enabled', 'events', 'webhook', 'webhooks'];

/** Whether a parsed TOML file is an Operator `config.toml`: it has `[notifications]` and no setting of ours. */
export function isOperatorConfig(raw: Raw, gatewayKeys: readonly string[]): boolean {
  return isTable(raw['notifications']) && !Object.keys(raw).some((key) => gatewayKeys.includes(key));
}

/**
 * Maps Operator's `[notifications.webhook]` and `[[notifications.webhooks]]` onto endpoints. Operator sends
 * `{event, timestamp, data}`, which is the `event` format; a Slack or Discord hook gets that chat's format, since
 * their hooks take nothing else. `[notifications] events` narrows every webhook's events, and `enabled = false` at
 * either level keeps the endpoint defined but disabled. The file's other sections are Operator's own, left alone.
 */
export function fromOperator(raw: Raw): ForeignMapping | MappingProblems {
  const problems = new MappingProblems();
  const notifications = raw['notifications'] as Raw;
  problems.unknownKeys(notifications, NOTIFICATION_KEYS, 'notifications', '[notifications]');
  const allOn = problems.flag(notifications, 'enabled', 'notifications') ?? true;
  const allEvents = problems.events(notifications, 'notifications');

  const entries: { path: string; table: Raw; single: boolean }[] = [];
  const single = notifications['webhook'];
  if (single !== undefined) {
    if (isTable(single)) entries.push({ path: 'notifications.webhook', table: single, single: true });
    else problems.add('notifications.webhook', 'must be a table ([notifications.webhook])');
  }
  const many = notifications['webhooks'];
  if (many !== undefined) {
    if (Array.isArray(many) && many.every(isTable)) {
      many.forEach((table, index) => entries.push({ path: `notifications.webhooks[${index}]`, table, single: false }));
    } else {
      problems.add('notifications.webhooks', 'must be an array of tables ([[notifications.webhooks]])');
    }
  }
  if (entries.length === 0 && problems.list.length === 0) {
    problems.add('notifications', 'has no [notifications.webhook] or [[notifications.webhooks]] to deliver to');
  }

  const endpoints: Raw[] = [];
  const lines: string[] = [];
  const origins = new Map<string, string>();
  const ids: { id: string; path: string }[] = [];
  for (const { path, table, single: isSingle } of entries) {
    problems.unknownKeys(table, WEBHOOK_KEYS, path, 'a webhook');
    const url = problems.url(table, path);
    const name = problems.text(table, 'name', path);
    const own = problems.events(table, path);
    const auth = authOf(table, path, problems);
    const on = problems.flag(table, 'enabled', path) ?? true;
    if (url === undefined) continue;

    const id = isSingle && name === undefined ? 'webhook' : stableEndpointId(name, url);
    const subscribed = own ?? allEvents ?? ['*'];
    const narrowed = own && allEvents ? intersectPatterns(own, allEvents) : subscribed;
    // An endpoint needs events: one that [notifications] events leaves with none keeps its own, disabled.
    const events = narrowed.length > 0 ? narrowed : subscribed;
    const off = !allOn
      ? '[notifications] enabled = false'
      : !on
        ? 'enabled = false'
        : narrowed.length === 0
          ? 'none of its events is in [notifications] events'
          : undefined;
    const format = chatFormat(url) ?? 'event';
    ids.push({ id, path });
    origins.set(`endpoints[${endpoints.length}]`, path);
    endpoints.push({ id, name: name ?? id, url, events, enabled: off === undefined, format, ...(auth ? { auth } : {}) });
    const secret = auth && (auth.type === 'bearer' ? auth.token_env : auth.password_env);
    lines.push(
      `${path} → endpoint "${id}": ${hostOf(url)}, events ${events.join(', ')}, body ${format}` +
        `${auth ? `, ${auth.type} auth from $${secret}` : ''}${off ? ` (disabled: ${off})` : ''}`,
    );
  }
  duplicateIds(ids, problems, 'give the webhooks different names');
  if (problems.list.length > 0) return problems;
  const ignored = Object.keys(raw).filter((key) => key !== 'notifications');
  if (ignored.length > 0) lines.push(`left to Operator: ${ignored.map((key) => `[${key}]`).join(', ')}`);
  return { from: 'an Operator config.toml', config: { endpoints }, lines, origins, fileSecrets: {} };
}

type OperatorAuth = { type: 'bearer'; token_env: string } | { type: 'basic'; username: string; password_env: string };

function authOf(table: Raw, path: string, problems: MappingProblems): OperatorAuth | undefined {
  const type = problems.text(table, 'auth_type', path);
  const tokenEnv = problems.text(table, 'token_env', path);
  const username = problems.text(table, 'username', path);
  const passwordEnv = problems.text(table, 'password_env', path);
  if (type === undefined || type === 'none') {
    const stray = [tokenEnv && 'token_env', username && 'username', passwordEnv && 'password_env'].find(Boolean);
    if (stray) problems.add(`${path}.${stray}`, 'needs auth_type ("bearer" or "basic")');
    return undefined;
  }
  if (type === 'bearer') {
    if (tokenEnv === undefined) problems.add(`${path}.token_env`, 'required with auth_type = "bearer"');
    return tokenEnv === undefined ? undefined : { type: 'bearer', token_env: tokenEnv };
  }
  if (type === 'basic') {
    if (username === undefined) problems.add(`${path}.username`, 'required with auth_type = "basic"');
    if (passwordEnv === undefined) problems.add(`${path}.password_env`, 'required with auth_type = "basic"');
    return username === undefined || passwordEnv === undefined ? undefined : { type: 'basic', username, password_env: passwordEnv };
  }
  problems.add(`${path}.auth_type`, 'must be "bearer", "basic" or "none"');
  return undefined;
}

// Slack's and Discord's incoming webhooks refuse any body but their own, so an Operator webhook pointed at one gets it.
function chatFormat(url: string): 'slack' | 'discord' | undefined {
  const { host, pathname } = new URL(url);
  if (host === 'hooks.slack.com') return 'slack';
  if (/^(?:\w+\.)?discord(?:app)?\.com$/.test(host) && pathname.startsWith('/api/webhooks/')) return 'discord';
  return undefined;
}
