import { ENDPOINT_ACTION_EFFECTS, ENDPOINT_ACTIONS, endpointActionTitle, type EndpointAction } from '../domain/endpoint-state.js';
import { listing, segment, stringOption, UsageError, type CommandContext, type CommandSpec, type OptionSpec } from './command.js';
import { SOURCE_COMMANDS } from './source-commands.js';
import { formatFields, formatTable, relativeTime } from './table.js';
import type {
  AttemptView,
  EndpointDeliveriesPage,
  EndpointHealthView,
  EndpointView,
  EventAccepted,
  EventTypeView,
  RedeliveryView,
  ReportView,
} from './views.js';

const ACTION_DONE: Readonly<Record<EndpointAction, string>> = {
  pause: 'paused',
  resume: 'resumed',
  disable: 'disabled',
  enable: 'enabled',
};

const REASON_OPTION: OptionSpec = { type: 'string', valueName: 'text', description: 'why, shown with the status' };

/** Every command of `webhooks`, in the order `--help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['send'],
    operands: ['<type>'],
    summary: 'Send an event; it is durably accepted when this returns',
    options: {
      data: { type: 'string', valueName: 'json', description: 'the payload, any JSON value (default {})' },
      'data-file': { type: 'string', valueName: 'path', description: 'read the payload from a file, or - for standard input' },
      id: { type: 'string', valueName: 'id', description: 'your event id; sending it again delivers nothing new' },
      'idempotency-key': { type: 'string', valueName: 'key', description: 'an Idempotency-Key for the request' },
    },
    async run(context, [type], options) {
      const data = await payloadOf(context, options);
      const key = stringOption(options, 'idempotency-key');
      const id = stringOption(options, 'id');
      const { body: accepted, headers } = await context.api<EventAccepted>({
        method: 'POST',
        path: '/v1/events',
        body: { type, ...(id ? { id } : {}), ...(data !== undefined ? { data } : {}) },
        ...(key ? { headers: { 'idempotency-key': key } } : {}),
      });
      // A repeat of an id (or Idempotency-Key) is answered like the first send, and delivers nothing new.
      const verb = headers.get('idempotent-replayed') === 'true' ? 'already accepted, nothing new sent:' : 'accepted';
      return { json: accepted, text: `${verb} ${type} as ${accepted.id} (workflow ${accepted.workflow_id})` };
    },
  },
  {
    words: ['events', 'show'],
    operands: ['<event-id>'],
    summary: "Show an event's delivery to each endpoint, with its last attempt",
    options: {
      attempts: { type: 'boolean', description: 'list every attempt of every delivery' },
    },
    async run(context, [eventId], options) {
      const { body: report } = await context.api<ReportView>({ method: 'GET', path: `/v1/events/${segment(eventId)}` });
      return { json: report, text: formatReport(report, context.now(), options['attempts'] === true) };
    },
  },
  {
    words: ['events', 'replay'],
    operands: ['<event-id>'],
    summary: 'Send an event again, as a new delivery with the same webhook-id',
    options: {
      endpoint: {
        type: 'string',
        valueName: 'id',
        description: 'only to this endpoint (default: every endpoint subscribed to its type now)',
      },
    },
    async run(context, [eventId], options) {
      const endpoint = stringOption(options, 'endpoint');
      const { body: replay } = await context.api<RedeliveryView>({
        method: 'POST',
        path: `/v1/events/${segment(eventId)}/redeliver`,
        body: endpoint ? { endpoint_id: endpoint } : {},
      });
      const count = `${replay.endpoints} endpoint${replay.endpoints === 1 ? '' : 's'}`;
      return { json: replay, text: `replaying ${replay.event_id} to ${count} (workflow ${replay.workflow_id})` };
    },
  },
  {
    words: ['event-types'],
    operands: [],
    summary: 'List the event types of the catalogue',
    options: {},
    run: (context) =>
      listing<EventTypeView>(context, '/v1/event-types', 'no event types in the catalogue: any type is accepted', () => [
        { heading: 'type', value: (type) => type.type },
        { heading: 'schema', value: (type) => (type.schema ? 'yes' : 'no') },
        { heading: 'description', value: (type) => type.description },
      ]),
  },
  {
    words: ['endpoints', 'health'],
    operands: [],
    summary: 'Every endpoint’s health: success rates over 5m/1h/24h, last failure, failing since, retrying and held',
    options: {},
    run: (context) =>
      listing<EndpointHealthView>(context, '/v1/endpoints/health', 'no endpoints', (now) => [
        { heading: 'id', value: (endpoint) => endpoint.id },
        { heading: 'status', value: (endpoint) => endpoint.status },
        { heading: '5m', value: (endpoint) => successRate(endpoint.windows['5m']) },
        { heading: '1h', value: (endpoint) => successRate(endpoint.windows['1h']) },
        { heading: '24h', value: (endpoint) => successRate(endpoint.windows['24h']) },
        { heading: 'last success', value: (endpoint) => relativeTime(endpoint.last_success_at, now) },
        {
          heading: 'last failure',
          value: (endpoint) =>
            endpoint.last_failure_at
              ? `${relativeTime(endpoint.last_failure_at, now)} (${endpoint.last_failure_reason ?? '?'})`
              : undefined,
        },
        { heading: 'failing since', value: (endpoint) => relativeTime(endpoint.failing_since, now) },
        { heading: 'retrying', value: (endpoint) => endpoint.retrying },
        { heading: 'held', value: (endpoint) => endpoint.held },
      ]),
  },
  {
    words: ['endpoints', 'list'],
    operands: [],
    summary: 'List the endpoints and their status',
    options: {},
    run: (context) =>
      listing<EndpointView>(context, '/v1/endpoints', 'no endpoints', (now) => [
        { heading: 'id', value: (endpoint) => endpoint.id },
        { heading: 'status', value: (endpoint) => endpoint.status },
        { heading: 'since', value: (endpoint) => relativeTime(endpoint.status_changed_at, now) },
        { heading: 'events', value: (endpoint) => endpoint.events.join(',') },
        { heading: 'url', value: (endpoint) => endpoint.url },
        { heading: 'reason', value: (endpoint) => endpoint.status_reason },
      ]),
  },
  {
    words: ['endpoints', 'show'],
    operands: ['<id>'],
    summary: "Show an endpoint's definition and status",
    options: {},
    async run(context, [id]) {
      const { body: endpoint } = await context.api<EndpointView>({ method: 'GET', path: `/v1/endpoints/${segment(id)}` });
      return { json: endpoint, text: formatEndpoint(endpoint, context.now()) };
    },
  },
  {
    words: ['endpoints', 'deliveries'],
    operands: ['<id>'],
    summary: 'List the events routed to an endpoint, newest first',
    options: {
      status: { type: 'string', valueName: 'status', description: 'only events in this status (e.g. failed, retrying)' },
      since: { type: 'string', valueName: 'time', description: 'only events since this ISO 8601 time' },
      limit: { type: 'string', valueName: 'n', description: 'at most this many, 1 to 100 (default 20)' },
      'page-token': { type: 'string', valueName: 'token', description: 'the next page, as the previous one printed it' },
    },
    async run(context, [id], options) {
      const query = new URLSearchParams();
      for (const [option, parameter] of [
        ['status', 'status'],
        ['since', 'since'],
        ['limit', 'page_size'],
        ['page-token', 'page_token'],
      ] as const) {
        const value = stringOption(options, option);
        if (value !== undefined) query.set(parameter, value);
      }
      const path = `/v1/endpoints/${segment(id)}/deliveries${query.size > 0 ? `?${query.toString()}` : ''}`;
      const { body: page } = await context.api<EndpointDeliveriesPage>({ method: 'GET', path });
      const now = context.now();
      const text =
        page.data.length === 0
          ? `no events for ${id}`
          : formatTable(page.data, [
              { heading: 'event', value: (entry) => entry.event_id },
              { heading: 'type', value: (entry) => entry.event_type },
              { heading: 'status', value: (entry) => entry.status },
              { heading: 'started', value: (entry) => relativeTime(entry.started_at, now) },
            ]);
      const more = page.next_page_token ? `\n\nmore: --page-token ${page.next_page_token}` : '';
      return { json: page, text: `${text}${more}` };
    },
  },
  ...ENDPOINT_ACTIONS.map((action): CommandSpec => ({
    words: ['endpoints', action],
    operands: ['<id>'],
    summary: `${endpointActionTitle(action)}. ${ENDPOINT_ACTION_EFFECTS[action]}`,
    options: action === 'resume' || action === 'enable' ? {} : { reason: REASON_OPTION },
    async run(context, [id], options) {
      const reason = stringOption(options, 'reason');
      const { body: endpoint } = await context.api<EndpointView>({
        method: 'POST',
        path: `/v1/endpoints/${segment(id)}/${action}`,
        body: reason ? { reason } : {},
      });
      const held = endpoint.held_deliveries ? `, ${endpoint.held_deliveries} deliveries held` : '';
      return { json: endpoint, text: `${ACTION_DONE[action]} ${endpoint.id}: now ${endpoint.status}${held}` };
    },
  })),
  ...SOURCE_COMMANDS,
];

/** A window's success rate and attempts, `97.5% of 40`, or `-` when no attempt was made. */
function successRate(window: EndpointHealthView['windows']['5m']): string {
  const rate = window.success_rate;
  return rate === null ? '-' : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)}% of ${window.attempts}`;
}

function formatReport(report: ReportView, now: Date, everyAttempt: boolean): string {
  const fields = formatFields([
    ['event', report.event_id],
    ['type', report.event_type],
    ['status', report.status],
  ]);
  const unrouted = report.unrouted?.length
    ? `\n\nnot routed to (payload filter):\n${formatTable(report.unrouted, [
        { heading: 'endpoint', value: (entry) => entry.endpoint_id },
        { heading: 'reason', value: (entry) => entry.reason },
      ])}`
    : '';
  const head = `${fields}${unrouted}`;
  if (report.parts && report.parts.length > 0) {
    const parts = formatTable(report.parts, [
      { heading: 'part', value: (part) => part.workflow_id },
      { heading: 'endpoints', value: (part) => part.endpoints },
      { heading: 'status', value: (part) => part.status },
    ]);
    return `${head}\n\n${parts}`;
  }
  if (report.deliveries.length === 0) return `${head}\n\nno endpoint ${unrouted ? 'took' : 'matched'} this event`;
  const deliveries = formatTable(report.deliveries, [
    { heading: 'endpoint', value: (delivery) => delivery.endpoint_id },
    { heading: 'status', value: (delivery) => delivery.status },
    { heading: 'attempts', value: (delivery) => delivery.attempts.length },
    { heading: 'last result', value: (delivery) => describeAttempt(delivery.attempts.at(-1)) },
    { heading: 'next attempt', value: (delivery) => relativeTime(delivery.next_attempt_at, now) },
    { heading: 'reason', value: (delivery) => delivery.reason },
  ]);
  if (!everyAttempt) return `${head}\n\n${deliveries}`;
  const attempts = report.deliveries.flatMap((delivery) =>
    delivery.attempts.map((attempt) => ({ endpoint: delivery.endpoint_id, ...attempt })),
  );
  const table = formatTable(attempts, [
    { heading: 'endpoint', value: (attempt) => attempt.endpoint },
    { heading: '#', value: (attempt) => attempt.attempt },
    { heading: 'started', value: (attempt) => attempt.started_at },
    { heading: 'took', value: (attempt) => (attempt.duration_ms === undefined ? undefined : `${attempt.duration_ms}ms`) },
    { heading: 'result', value: describeAttempt },
    { heading: 'verdict', value: (attempt) => attempt.verdict },
  ]);
  return `${head}\n\n${deliveries}\n\n${table}`;
}

function describeAttempt(attempt: AttemptView | undefined): string | undefined {
  if (!attempt) return undefined;
  if (attempt.endpoint_status) return `not sent: endpoint ${attempt.endpoint_status}`;
  if (attempt.status_code !== undefined) return `HTTP ${attempt.status_code}`;
  return [attempt.error_class, attempt.error_message].filter(Boolean).join(': ') || undefined;
}

function formatEndpoint(endpoint: EndpointView, now: Date): string {
  return formatFields([
    ['id', endpoint.id],
    // Not in the API's declared shape (a definition's optional fields pass through as written).
    ['name', typeof endpoint['name'] === 'string' ? endpoint['name'] : undefined],
    ['url', endpoint.url],
    ['events', endpoint.events.join(', ')],
    ['status', endpoint.status],
    ['reason', endpoint.status_reason],
    ['since', endpoint.status_changed_at ? `${endpoint.status_changed_at} (${relativeTime(endpoint.status_changed_at, now)})` : undefined],
    ['held', endpoint.held_deliveries],
    ['source', endpoint.source],
    ['revision', endpoint.revision],
  ]);
}

async function payloadOf(context: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<unknown> {
  const inline = stringOption(options, 'data');
  const file = stringOption(options, 'data-file');
  if (inline !== undefined && file !== undefined) throw new UsageError('give --data or --data-file, not both');
  const text = file !== undefined ? await readPayloadFile(context, file) : inline;
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`the payload is not JSON: ${(error as Error).message}`);
  }
}

async function readPayloadFile(context: CommandContext, path: string): Promise<string> {
  try {
    return await context.readText(path);
  } catch (error) {
    throw new UsageError(
      `cannot read ${path === '-' ? 'standard input' : path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}
