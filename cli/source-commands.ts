import { listing, segment, stringOption, UsageError, type CommandOutput, type CommandSpec } from './command.js';
import { formatFields, relativeTime } from './table.js';
import type { InvocationView, SourceView, SourceWithSecretView } from './views.js';

const AUTH_MODES = ['secret', 'hmac-sha256', 'standard-webhooks'];

/** `webhooks sources …`: the inbound sources other systems call, made and changed at runtime. */
export const SOURCE_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['sources', 'list'],
    operands: [],
    summary: 'List the inbound sources, with when each was last called',
    options: {},
    run: (context) =>
      listing<SourceView>(context, '/v1/sources', 'no sources', (now) => [
        { heading: 'id', value: (source) => source.id },
        { heading: 'status', value: (source) => (source.enabled ? 'enabled' : 'disabled') },
        { heading: 'event type', value: (source) => source.event_type },
        { heading: 'auth', value: (source) => source.auth.mode },
        { heading: 'from', value: (source) => source.origin },
        { heading: 'last called', value: (source) => relativeTime(source.last_triggered_at, now) },
        { heading: 'url', value: (source) => source.url },
      ]),
  },
  {
    words: ['sources', 'show'],
    operands: ['<id>'],
    summary: "Show a source's definition (never its secret)",
    options: {},
    async run(context, [id]) {
      const { body: source } = await context.api<SourceView>({ method: 'GET', path: `/v1/sources/${segment(id)}` });
      return { json: source, text: formatSource(source, context.now()) };
    },
  },
  {
    words: ['sources', 'create'],
    operands: [],
    summary: 'Make a source; its URL is printed, and its generated secret once',
    options: {
      'event-type': { type: 'string', valueName: 'type', description: 'the type of the events its calls become (required)' },
      id: { type: 'string', valueName: 'id', description: 'its id, the last part of its URL (default: generated)' },
      name: { type: 'string', valueName: 'text', description: 'a name for people' },
      mode: {
        type: 'string',
        valueName: 'mode',
        description: 'how calls prove themselves: secret (default), hmac-sha256, standard-webhooks',
      },
      'secret-env': {
        type: 'string',
        valueName: 'name',
        description: 'take the secret from this variable of the API instead of generating one',
      },
      header: { type: 'string', valueName: 'name', description: 'the header the secret or signature comes in (secret and hmac-sha256)' },
    },
    async run(context, _operands, options) {
      const eventType = stringOption(options, 'event-type');
      if (!eventType) throw new UsageError('give --event-type');
      const mode = stringOption(options, 'mode') ?? 'secret';
      if (!AUTH_MODES.includes(mode)) throw new UsageError(`--mode must be one of ${AUTH_MODES.join(', ')}`);
      const [id, name, secretEnv, header] = ['id', 'name', 'secret-env', 'header'].map((option) => stringOption(options, option));
      const { body: source } = await context.api<SourceWithSecretView>({
        method: 'POST',
        path: '/v1/sources',
        body: {
          event_type: eventType,
          ...(id ? { id } : {}),
          ...(name ? { name } : {}),
          auth: { mode, ...(secretEnv ? { secret_env: secretEnv } : {}), ...(header ? { header } : {}) },
        },
      });
      return withSecret(source, `made source ${source.id}: senders call POST ${source.url}`);
    },
  },
  ...(['enable', 'disable'] as const).map((action): CommandSpec => ({
    words: ['sources', action],
    operands: ['<id>'],
    summary: action === 'disable' ? 'Refuse calls with 403, keeping the URL' : 'Take calls again',
    options: {},
    async run(context, [id]) {
      const { body: source } = await context.api<SourceView>({
        method: 'PATCH',
        path: `/v1/sources/${segment(id)}`,
        body: { enabled: action === 'enable' },
      });
      return { json: source, text: `${source.id} is ${source.enabled ? 'enabled' : 'disabled'}` };
    },
  })),
  {
    words: ['sources', 'rotate-secret'],
    operands: ['<id>'],
    summary: 'Give a source a new generated secret; the old one stops working at once',
    options: {},
    async run(context, [id]) {
      const { body: source } = await context.api<SourceWithSecretView>({
        method: 'POST',
        path: `/v1/sources/${segment(id)}/rotate-secret`,
      });
      return withSecret(source, `new secret for ${source.id}`);
    },
  },
  {
    words: ['sources', 'delete'],
    operands: ['<id>'],
    summary: 'Delete a source: its URL answers 404 for good, and its id is never given out again',
    options: {},
    async run(context, [id]) {
      const { body: source } = await context.api<SourceView>({ method: 'DELETE', path: `/v1/sources/${segment(id)}` });
      return { json: source, text: `deleted ${source.id}: ${source.url} now answers 404` };
    },
  },
  {
    words: ['sources', 'invocations'],
    operands: ['<id>'],
    summary: 'The recent calls to a source, newest first, with a payload excerpt',
    options: {},
    run: (context, [id]) =>
      listing<InvocationView>(context, `/v1/sources/${segment(id)}/invocations`, `no calls to ${id} yet`, (now) => [
        { heading: 'when', value: (call) => relativeTime(call.at, now) },
        { heading: 'from', value: (call) => call.source_ip },
        { heading: 'status', value: (call) => call.status },
        { heading: 'result', value: (call) => call.result },
        { heading: 'event', value: (call) => call.event_id },
        { heading: 'payload', value: (call) => call.payload_excerpt.replace(/\s+/g, ' ').slice(0, 60) },
      ]),
  },
];

// The secret is in the answer to the one request that made it: say plainly that it will not be shown again.
function withSecret(source: SourceWithSecretView, headline: string): CommandOutput {
  const secret = source.secret ? `\nsecret (shown once, keep it now): ${source.secret}` : '';
  return { json: source, text: `${headline}${secret}` };
}

function formatSource(source: SourceView, now: Date): string {
  return formatFields([
    ['id', source.id],
    ['name', source.name],
    ['url', source.url],
    ['event type', source.event_type],
    ['status', source.enabled ? 'enabled' : `disabled${source.status_reason ? ` (${source.status_reason})` : ''}`],
    ['auth', source.auth.mode],
    ['header', source.auth.header],
    ['secret', source.auth.generated_secret ? 'generated (rotate with sources rotate-secret)' : `from ${source.auth.secret_env}`],
    ['rate limit', source.rate_limit ? `${source.rate_limit.limit} per ${source.rate_limit.window_ms / 1000}s` : 'none'],
    ['from', source.origin],
    ['revision', source.revision],
    ['last called', source.last_triggered_at ? `${source.last_triggered_at} (${relativeTime(source.last_triggered_at, now)})` : 'never'],
  ]);
}
