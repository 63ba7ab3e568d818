import { PAYLOAD_FORMATS } from '../../../domain/payload.js';
import { html, type Html } from '../html.js';
import { csrfField } from '../layout.js';
import type { ConsoleSession } from '../session.js';

/** An endpoint's definition as the API shows it (the config file's shape). */
export interface EndpointFields {
  readonly id: string;
  readonly name?: string;
  readonly url: string;
  readonly events?: readonly string[];
  readonly filter?: Readonly<Record<string, unknown>>;
  readonly rate_limit?: { readonly requests: number; readonly per: string };
  readonly ordering?: string;
  readonly fifo_on_failure?: string;
  readonly headers?: Readonly<Record<string, string | { readonly env: string }>>;
  readonly auth?:
    | { readonly type: 'bearer'; readonly token_env: string }
    | { readonly type: 'basic'; readonly username: string; readonly password_env: string }
    | {
        readonly type: 'oauth2';
        readonly token_url: string;
        readonly client_id: string;
        readonly client_secret_env: string;
        readonly scope?: string;
        readonly audience?: string;
        readonly client_auth?: string;
      };
  readonly signing?: {
    readonly scheme?: string;
    readonly secret_env?: string | readonly string[];
    readonly secret_id?: string;
    readonly header?: string;
  };
  readonly tls?: { readonly client_cert_env?: string; readonly client_key_env?: string; readonly ca_env?: string };
  readonly format?: string;
  readonly data_key?: string;
  readonly transform?: string;
  readonly timeout?: string;
  readonly retry?: { readonly schedule?: readonly string[]; readonly exponential?: unknown };
  readonly enabled?: boolean;
}

const list = (text: string | undefined): string[] =>
  (text ?? '')
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);

// `Name: value`, or `Name: env:VARIABLE` for a secret the worker reads when it sends.
function headersFrom(text: string | undefined): Record<string, string | { env: string }> {
  const headers: Record<string, string | { env: string }> = {};
  for (const line of (text ?? '').split('\n')) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    headers[name] = value.startsWith('env:') ? { env: value.slice(4).trim() } : value;
  }
  return headers;
}

function headersText(headers: EndpointFields['headers']): string {
  return Object.entries(headers ?? {})
    .map(([name, value]) => `${name}: ${typeof value === 'string' ? value : `env:${value.env}`}`)
    .join('\n');
}

/**
 * The definition a submitted form describes. For a change, each optional setting left blank is sent as `null`,
 * which removes it (the endpoint then takes the default), as a JSON Merge Patch does.
 */
export function endpointFromForm(form: Readonly<Record<string, string>>, current: EndpointFields | undefined): Record<string, unknown> {
  const text = (name: string): string | undefined => form[name]?.trim() || undefined;
  const optional = (value: unknown): unknown => (value === undefined ? (current ? null : undefined) : value);
  const authType = form['auth_type'];
  const auth =
    authType === 'bearer'
      ? { type: 'bearer', token_env: text('token_env') ?? '' }
      : authType === 'basic'
        ? { type: 'basic', username: text('username') ?? '', password_env: text('password_env') ?? '' }
        : authType === 'oauth2'
          ? {
              // What the form does not show (audience, client_auth) is kept from the current definition.
              ...(current?.auth?.type === 'oauth2' ? current.auth : {}),
              type: 'oauth2',
              token_url: text('token_url') ?? '',
              client_id: text('client_id') ?? '',
              client_secret_env: text('client_secret_env') ?? '',
              scope: text('scope'),
            }
          : undefined;
  const scheme = form['signing_scheme'];
  const names = list(form['signing_secret_env']);
  // No variable named: the gateway generates the secret (and keeps the one that signs now, if it made one before).
  const signing =
    scheme === 'standard-webhooks' || scheme === 'hmac-sha256'
      ? {
          scheme,
          ...(names.length > 0 ? { secret_env: names } : {}),
          ...(scheme === 'hmac-sha256' && text('signing_header') ? { header: text('signing_header') } : {}),
        }
      : undefined;
  const schedule = list(form['retry_schedule']);
  // The form shows only a schedule: the rest of a policy (exponential backoff, jitter, deadline) stays as it is unless
  // the schedule itself was changed.
  const scheduleChanged = !current || schedule.join(', ') !== (current.retry?.schedule ?? []).join(', ');
  const definition: Record<string, unknown> = {
    ...(current ? {} : { id: text('id') ?? '' }),
    name: optional(text('name')),
    url: text('url') ?? '',
    events: list(form['events']).length > 0 ? list(form['events']) : ['*'],
    filter: optional(jsonFrom(text('filter'))),
    ordering: optional(form['ordering'] === 'fifo' ? 'fifo' : undefined),
    fifo_on_failure: optional(form['ordering'] === 'fifo' && form['fifo_on_failure'] === 'block' ? 'block' : undefined),
    rate_limit: optional(
      text('rate_limit_requests') || text('rate_limit_per')
        ? { requests: Number(text('rate_limit_requests') ?? ''), per: text('rate_limit_per') ?? '' }
        : undefined,
    ),
    headers: headersFrom(form['headers']),
    auth: optional(auth),
    signing: optional(signing),
    tls: optional(tlsFrom(text)),
    format: optional(text('format')),
    data_key: optional(text('data_key')),
    transform: optional(text('transform')),
    timeout: optional(text('timeout')),
    retry: scheduleChanged ? optional(schedule.length > 0 ? { ...withoutBackoff(current?.retry), schedule } : undefined) : undefined,
    enabled: form['enabled'] === 'on',
  };
  return Object.fromEntries(Object.entries(definition).filter(([, value]) => value !== undefined));
}

function tlsFrom(text: (name: string) => string | undefined): Record<string, string> | undefined {
  const fields = { client_cert_env: text('client_cert_env'), client_key_env: text('client_key_env'), ca_env: text('ca_env') };
  const named = Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return named.length > 0 ? Object.fromEntries(named) : undefined;
}

// Text that is not JSON goes to the API as it is, which refuses it at /filter with its own reason.
function jsonFrom(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function withoutBackoff(retry: EndpointFields['retry']): Record<string, unknown> {
  const { exponential: _replaced, schedule: _old, ...rest } = (retry ?? {}) as Record<string, unknown>;
  return rest;
}

/** The form to make an endpoint, or to change `current`; `submitted` refills it after a refusal. */
export function endpointForm(
  session: ConsoleSession,
  current: EndpointFields | undefined,
  submitted?: Readonly<Record<string, string>>,
): Html {
  const value = (name: string, fallback: string | undefined): string => submitted?.[name] ?? fallback ?? '';
  const auth = current?.auth;
  const authType = value('auth_type', auth?.type ?? 'none');
  const scheme = value('signing_scheme', current?.signing ? (current.signing.scheme ?? 'standard-webhooks') : 'default');
  const format = value('format', current?.format ?? '');
  const ordering = value('ordering', current?.ordering ?? '');
  const onFailure = value('fifo_on_failure', current?.fifo_on_failure ?? 'skip');
  const enabled = submitted ? submitted['enabled'] === 'on' : (current?.enabled ?? true);
  const option = (selected: string, choice: string, label = choice) =>
    html`<option value="${choice}" ${selected === choice ? 'selected' : ''}>${label}</option>`;
  const action = current ? `/console/endpoints/${encodeURIComponent(current.id)}/edit` : '/console/endpoints/new';
  return html`<form method="post" action="${action}">
    ${csrfField(session)}
    <fieldset>
      <legend>Receiver</legend>
      ${
        current
          ? ''
          : html`<label for="id">Id</label>
              <p class="hint">Lowercase letters, digits, _ and -; it names the endpoint in workflow ids and cannot change.</p>
              <input type="text" id="id" name="id" required value="${value('id', '')}" />`
      }
      <label for="name">Name</label><input type="text" id="name" name="name" value="${value('name', current?.name)}" />
      <label for="url">URL</label><input type="url" id="url" name="url" required value="${value('url', current?.url)}" />
      <label for="events">Events</label>
      <p class="hint">
        One pattern per line: <code>*</code> for every event, <code>order.*</code> for a prefix at any depth, or an exact type such as
        <code>order.paid</code>.
      </p>
      <textarea id="events" name="events">${value('events', (current?.events ?? ['*']).join('\n'))}</textarea>
      <label for="filter">Payload filter</label>
      <p class="hint">
        JSON the event must match to be routed here, e.g. <code>{"data.total": {"$gt": 100}}</code>; empty for every event of the types
        above. Operators: <code>$eq $ne $in $nin $gt $gte $lt $lte $exists $contains $and $or $not</code>.
      </p>
      <textarea id="filter" name="filter">${value('filter', current?.filter ? JSON.stringify(current.filter, null, 2) : '')}</textarea>
      <label><input type="checkbox" name="enabled" ${enabled ? 'checked' : ''} /> Enabled (routes events to it)</label>
    </fieldset>
    <fieldset>
      <legend>Requests</legend>
      <label for="headers">Headers</label>
      <p class="hint">
        <code>Name: value</code> per line; <code>Name: env:VARIABLE</code> for a secret the worker reads from its environment when it sends.
      </p>
      <textarea id="headers" name="headers">${value('headers', headersText(current?.headers))}</textarea>
      <label for="auth_type">Authentication</label>
      <select id="auth_type" name="auth_type">
        ${[
          option(authType, 'none'),
          option(authType, 'bearer', 'Bearer token'),
          option(authType, 'basic', 'Basic'),
          option(authType, 'oauth2', 'OAuth2 client credentials'),
        ]}
      </select>
      <p class="hint">
        Secrets are named by environment variable, never written here: a variable whose name starts with <code>WEBHOOKS_ENDPOINT_</code>.
      </p>
      <label for="token_env">Bearer: token variable</label
      ><input type="text" id="token_env" name="token_env" value="${value('token_env', auth?.type === 'bearer' ? auth.token_env : '')}" />
      <label for="username">Basic: user name</label
      ><input type="text" id="username" name="username" value="${value('username', auth?.type === 'basic' ? auth.username : '')}" />
      <label for="password_env">Basic: password variable</label
      ><input
        type="text"
        id="password_env"
        name="password_env"
        value="${value('password_env', auth?.type === 'basic' ? auth.password_env : '')}"
      />
      <label for="token_url">OAuth2: token URL</label
      ><input type="url" id="token_url" name="token_url" value="${value('token_url', auth?.type === 'oauth2' ? auth.token_url : '')}" />
      <label for="client_id">OAuth2: client id</label
      ><input type="text" id="client_id" name="client_id" value="${value('client_id', auth?.type === 'oauth2' ? auth.client_id : '')}" />
      <label for="client_secret_env">OAuth2: client secret variable</label
      ><input
        type="text"
        id="client_secret_env"
        name="client_secret_env"
        value="${value('client_secret_env', auth?.type === 'oauth2' ? auth.client_secret_env : '')}"
      />
      <label for="scope">OAuth2: scope</label
      ><input type="text" id="scope" name="scope" value="${value('scope', auth?.type === 'oauth2' ? auth.scope : '')}" />
      <label for="signing_scheme">Signing</label>
      <select id="signing_scheme" name="signing_scheme">
        ${[option(scheme, 'default', 'the gateway’s default'), option(scheme, 'standard-webhooks'), option(scheme, 'hmac-sha256')]}
      </select>
      <label for="signing_secret_env">Signing secret variable(s)</label>
      <p class="hint">
        Several, comma-separated, sign with each: add the new one first to rotate. None: the gateway generates the secret and shows it once.
      </p>
      <input
        type="text"
        id="signing_secret_env"
        name="signing_secret_env"
        value="${value('signing_secret_env', current?.signing?.secret_env ? [current.signing.secret_env].flat().join(', ') : '')}"
      />
      <label for="signing_header">hmac-sha256: header</label
      ><input type="text" id="signing_header" name="signing_header" value="${value('signing_header', current?.signing?.header)}" />
      <label for="client_cert_env">Mutual TLS: client certificate variable</label>
      <p class="hint">Variables holding PEM text; https:// only. The CA, if given, is trusted instead of the system’s.</p>
      <input type="text" id="client_cert_env" name="client_cert_env" value="${value('client_cert_env', current?.tls?.client_cert_env)}" />
      <label for="client_key_env">Mutual TLS: client key variable</label
      ><input type="text" id="client_key_env" name="client_key_env" value="${value('client_key_env', current?.tls?.client_key_env)}" />
      <label for="ca_env">Receiver’s CA variable</label
      ><input type="text" id="ca_env" name="ca_env" value="${value('ca_env', current?.tls?.ca_env)}" />
      <label for="format">Body format</label>
      <select id="format" name="format">
        ${[option(format, '', 'the gateway’s default'), ...PAYLOAD_FORMATS.map((choice) => option(format, choice))]}
      </select>
      <label for="data_key">Data key</label>
      <p class="hint">standard and event bodies put the payload under this key (default <code>data</code>).</p>
      <input type="text" id="data_key" name="data_key" value="${value('data_key', current?.data_key)}" />
      <label for="transform">Transform</label>
      <p class="hint">
        A <a href="https://docs.jsonata.org/overview" rel="noopener">JSONata</a> expression over the event (<code>id</code>,
        <code>type</code>, <code>timestamp</code>, <code>data</code>) whose value is the body, e.g.
        <code>{"text": type &amp; ": " &amp; data.title}</code>; it replaces the format and data key. Try it with
        <code>POST /v1/endpoints/{id}/transform/preview</code>.
      </p>
      <textarea id="transform" name="transform">${value('transform', current?.transform)}</textarea>
    </fieldset>
    <fieldset>
      <legend>Pace</legend>
      <label for="ordering">Ordering</label>
      <select id="ordering" name="ordering">
        ${[option(ordering, '', 'none: deliveries overlap'), option(ordering, 'fifo', 'fifo: one at a time, in acceptance order')]}
      </select>
      <label for="fifo_on_failure">fifo: after a final failure</label>
      <select id="fifo_on_failure" name="fifo_on_failure">
        ${[option(onFailure, 'skip', 'skip it: the next event goes'), option(onFailure, 'block', 'block: pause the endpoint')]}
      </select>
      <p class="hint">
        At most this many requests start in any window, across every worker; the others wait their turn. Empty for no limit.
      </p>
      <label for="rate_limit_requests">Rate limit: requests</label
      ><input
        type="number"
        min="1"
        max="1000"
        id="rate_limit_requests"
        name="rate_limit_requests"
        value="${value('rate_limit_requests', current?.rate_limit ? String(current.rate_limit.requests) : '')}"
      />
      <label for="rate_limit_per">Rate limit: per</label
      ><input
        type="text"
        id="rate_limit_per"
        name="rate_limit_per"
        placeholder="1s"
        value="${value('rate_limit_per', current?.rate_limit?.per)}"
      />
    </fieldset>
    <fieldset>
      <legend>Retries</legend>
      <label for="timeout">Timeout of one attempt</label
      ><input type="text" id="timeout" name="timeout" placeholder="15s" value="${value('timeout', current?.timeout)}" />
      <label for="retry_schedule">Retry schedule</label>
      <p class="hint">Delays before each retry, comma-separated, e.g. <code>1m, 5m, 15m</code>; empty for the gateway’s default.</p>
      <input
        type="text"
        id="retry_schedule"
        name="retry_schedule"
        value="${value('retry_schedule', current?.retry?.schedule?.join(', '))}"
      />
    </fieldset>
    <button>${current ? 'Save changes' : 'Create endpoint'}</button>
  </form>`;
}
