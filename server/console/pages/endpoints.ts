import type { FastifyInstance } from 'fastify';
import { problemText } from '../api-calls.js';
import { consoleRoute, type ConsoleContext, type PageRequest } from '../context.js';
import { html, type Html } from '../html.js';
import { after, ago, canManage, csrfField, deleteForm, noticeFrom, oneTimeSecret, page, table } from '../layout.js';
import { endpointForm, endpointFromForm, type EndpointFields } from './endpoint-form.js';

interface Window {
  readonly attempts: number;
  readonly success_rate: number | null;
}
interface HealthRow {
  readonly id: string;
  readonly name?: string;
  readonly status: string;
  readonly status_reason?: string;
  readonly windows: Readonly<Record<'5m' | '1h' | '24h', Window>>;
  readonly last_success_at?: string;
  readonly last_failure_at?: string;
  readonly last_failure_reason?: string;
  readonly failing_since?: string;
  readonly auto_disable_at?: string;
  readonly retrying: number;
  readonly held: number;
}
interface EndpointRow extends EndpointFields {
  readonly status: string;
  readonly status_reason?: string;
  readonly status_changed_at?: string;
  readonly source: string;
  readonly revision: number;
}
interface DeliveryEntry {
  readonly event_id: string;
  readonly event_type: string;
  readonly status: string;
  readonly started_at: string;
}

const ACTIONS = ['pause', 'resume', 'disable', 'enable'] as const;

const rate = (window: Window): string =>
  window.success_rate === null ? '-' : `${Math.round(window.success_rate * 1000) / 10}% of ${window.attempts}`;

/** Endpoints: the list with health, one endpoint with its deliveries and controls, and the forms. */
export function registerEndpointPages(scope: FastifyInstance, context: ConsoleContext): void {
  consoleRoute(scope, context, 'GET', '/console/endpoints', async ({ session, api, query }) => {
    const [{ body: health }, { body: listed }] = await Promise.all([
      api<{ data: HealthRow[] }>('GET', '/v1/endpoints/health'),
      api<{ data: EndpointRow[] }>('GET', '/v1/endpoints'),
    ]);
    const urls = new Map(listed.data.map((endpoint) => [endpoint.id, endpoint.url]));
    const search = (query['q'] ?? '').toLowerCase();
    const status = query['status'] ?? '';
    const rows = health.data.filter(
      (row) =>
        (!status || row.status === status) &&
        (!search || [row.id, row.name ?? '', urls.get(row.id) ?? ''].some((text) => text.toLowerCase().includes(search))),
    );
    const now = context.now();
    return page(
      'Endpoints',
      session,
      html`<form method="get" class="inline">
          <input type="text" name="q" value="${query['q'] ?? ''}" placeholder="Search id, name or URL" aria-label="Search" />
          <select name="status" aria-label="Status">
            ${['', 'active', 'paused', 'disabled'].map((option) => html`<option value="${option}" ${option === status ? 'selected' : ''}>${option || 'any status'}</option>`)}
          </select>
          <button>Filter</button>
        </form>
        ${canManage(session) ? html`<a href="/console/endpoints/new">+ New endpoint</a>` : ''}
        ${table(
          ['Endpoint', 'Status', '5 min', '1 h', '24 h', 'Last success', 'Last failure', 'Failing since', 'Retrying', 'Held'],
          rows.map(
            (row) =>
              html`<tr>
                <td>
                  <a href="/console/endpoints/${encodeURIComponent(row.id)}">${row.id}</a
                  >${row.name && row.name !== row.id ? html`<br /><small>${row.name}</small>` : ''}<br /><small
                    >${urls.get(row.id) ?? ''}</small
                  >
                </td>
                <td class="status-${row.status}">
                  ${row.status}${row.status_reason ? html`<br /><small>${row.status_reason}</small>` : ''}
                </td>
                <td>${rate(row.windows['5m'])}</td>
                <td>${rate(row.windows['1h'])}</td>
                <td>${rate(row.windows['24h'])}</td>
                <td>${ago(row.last_success_at, now)}</td>
                <td>
                  ${ago(row.last_failure_at, now)}${row.last_failure_reason ? html`<br /><small>${row.last_failure_reason}</small>` : ''}
                </td>
                <td>${ago(row.failing_since, now)}</td>
                <td>${row.retrying}</td>
                <td>${row.held}</td>
              </tr>`,
          ),
        )}
        ${rows.length === 0 ? html`<p>No endpoint matches.</p>` : ''}`,
      noticeFrom(query),
    );
  });

  consoleRoute(scope, context, 'GET', '/console/endpoints/new', ({ session }) =>
    Promise.resolve(page('New endpoint', session, endpointForm(session, undefined))),
  );

  consoleRoute(scope, context, 'POST', '/console/endpoints/new', async ({ session, api, form }) => {
    const definition = endpointFromForm(form, undefined);
    const answer = await api<{ signing_secret?: string }>('POST', '/v1/endpoints', definition);
    const id = String(definition['id']);
    if (answer.status === 201 && answer.body.signing_secret)
      return signingSecretPage(session, id, answer.body.signing_secret, 'Endpoint created.');
    if (answer.status === 201)
      return { redirect: after(`/console/endpoints/${encodeURIComponent(id)}`, { kind: 'done', text: 'Endpoint created.' }) };
    return page('New endpoint', session, endpointForm(session, undefined, form), { kind: 'refused', text: problemText(answer) });
  });

  consoleRoute(scope, context, 'GET', '/console/endpoints/:id', async (request) => endpointPage(request, context));

  consoleRoute(scope, context, 'GET', '/console/endpoints/:id/edit', async ({ session, api, params }) => {
    const { status, body } = await api<EndpointRow>('GET', `/v1/endpoints/${encodeURIComponent(params['id'] ?? '')}`);
    if (status !== 200) return notFoundPage(session, params['id']);
    return page(`Edit ${body.id}`, session, endpointForm(session, body));
  });

  consoleRoute(scope, context, 'POST', '/console/endpoints/:id/edit', async ({ session, api, params, form }) => {
    const id = params['id'] ?? '';
    const { body: current } = await api<EndpointRow>('GET', `/v1/endpoints/${encodeURIComponent(id)}`);
    const answer = await api<{ signing_secret?: string }>(
      'PATCH',
      `/v1/endpoints/${encodeURIComponent(id)}`,
      endpointFromForm(form, current),
    );
    if (answer.status === 200 && answer.body.signing_secret)
      return signingSecretPage(session, id, answer.body.signing_secret, 'Endpoint changed.');
    if (answer.status === 200)
      return { redirect: after(`/console/endpoints/${encodeURIComponent(id)}`, { kind: 'done', text: 'Endpoint changed.' }) };
    return page(`Edit ${id}`, session, endpointForm(session, current, form), { kind: 'refused', text: problemText(answer) });
  });

  consoleRoute(scope, context, 'POST', '/console/endpoints/:id/action', async ({ api, params, form }) => {
    const id = params['id'] ?? '';
    const action = ACTIONS.find((name) => name === form['action']);
    const back = `/console/endpoints/${encodeURIComponent(id)}`;
    if (!action) return { redirect: after(back, { kind: 'refused', text: 'Unknown action.' }) };
    const reason = form['reason']?.trim();
    const answer = await api<{ status: string }>('POST', `${back.replace('/console', '/v1')}/${action}`, reason ? { reason } : {});
    return {
      redirect: after(
        back,
        answer.status === 200 ? { kind: 'done', text: `Now ${answer.body.status}.` } : { kind: 'refused', text: problemText(answer) },
      ),
    };
  });

  consoleRoute(scope, context, 'POST', '/console/endpoints/:id/test', async ({ api, params }) => {
    const id = params['id'] ?? '';
    const back = `/console/endpoints/${encodeURIComponent(id)}`;
    const answer = await api<{ status: string; attempt: { status_code?: number; duration_ms: number; error_class?: string } | null }>(
      'POST',
      `/v1/endpoints/${encodeURIComponent(id)}/test`,
    );
    if (answer.status !== 200) return { redirect: after(back, { kind: 'refused', text: problemText(answer) }) };
    const { attempt } = answer.body;
    const outcome = attempt
      ? `${attempt.status_code === undefined ? (attempt.error_class ?? 'no answer') : `HTTP ${attempt.status_code}`} in ${attempt.duration_ms} ms`
      : 'no attempt';
    return {
      redirect: after(back, {
        kind: answer.body.status === 'succeeded' ? 'done' : 'refused',
        text: `Test event ${answer.body.status}: ${outcome}.`,
      }),
    };
  });

  consoleRoute(scope, context, 'POST', '/console/endpoints/:id/rotate-signing-secret', async ({ session, api, params }) => {
    const id = params['id'] ?? '';
    const answer = await api<{ signing_secret?: string }>('POST', `/v1/endpoints/${encodeURIComponent(id)}/rotate-signing-secret`);
    if (answer.status === 200 && answer.body.signing_secret)
      return signingSecretPage(session, id, answer.body.signing_secret, 'New signing secret.');
    return { redirect: after(`/console/endpoints/${encodeURIComponent(id)}`, { kind: 'refused', text: problemText(answer) }) };
  });

  consoleRoute(scope, context, 'POST', '/console/endpoints/:id/recover', async ({ api, params, form }) => {
    const id = params['id'] ?? '';
    const back = `/console/endpoints/${encodeURIComponent(id)}`;
    // A datetime-local field has no zone: the form says UTC, and so it is read.
    const given = form['since'] ?? '';
    const since = Date.parse(/(?:Z|[+-]\d\d:\d\d)$/.test(given) ? given : `${given}Z`);
    if (Number.isNaN(since)) return { redirect: after(back, { kind: 'refused', text: 'Give the time to recover from.' }) };
    const answer = await api<{ recovered: unknown[] }>(
      'POST',
      `/v1/endpoints/${encodeURIComponent(id)}/recover?since=${encodeURIComponent(new Date(since).toISOString())}`,
    );
    return {
      redirect: after(
        back,
        answer.status === 202
          ? { kind: 'done', text: `${answer.body.recovered.length} failed deliveries sent again.` }
          : { kind: 'refused', text: problemText(answer) },
      ),
    };
  });

  consoleRoute(scope, context, 'POST', '/console/endpoints/:id/delete', async ({ api, params, form }) => {
    const id = params['id'] ?? '';
    if (form['confirm'] !== id)
      return {
        redirect: after(`/console/endpoints/${encodeURIComponent(id)}`, {
          kind: 'refused',
          text: 'Type the endpoint’s id to confirm the delete.',
        }),
      };
    const answer = await api('DELETE', `/v1/endpoints/${encodeURIComponent(id)}`);
    return answer.status === 200
      ? { redirect: after('/console/endpoints', { kind: 'done', text: `Deleted ${id}.` }) }
      : { redirect: after(`/console/endpoints/${encodeURIComponent(id)}`, { kind: 'refused', text: problemText(answer) }) };
  });
}

async function endpointPage({ session, api, params, query }: PageRequest, context: ConsoleContext): Promise<Html> {
  const id = params['id'] ?? '';
  const path = `/v1/endpoints/${encodeURIComponent(id)}`;
  const [{ status, body: endpoint }, listed, { body: health }] = await Promise.all([
    api<EndpointRow>('GET', path),
    api<{ data: DeliveryEntry[]; next_page_token?: string }>('GET', `${path}/deliveries?${deliveriesQuery(query)}`),
    api<{ data: HealthRow[] }>('GET', '/v1/endpoints/health'),
  ]);
  if (status !== 200) return notFoundPage(session, id);
  // A status or page the API refuses (edited by hand in the address bar) shows its reason, and no list.
  const deliveries = listed.status === 200 ? listed.body : { data: [] };
  const refused = listed.status === 200 ? undefined : ({ kind: 'refused', text: problemText(listed) } as const);
  const row = health.data.find((entry) => entry.id === id);
  const now = context.now();
  const manage = canManage(session);
  const actions = ACTIONS.filter((action) =>
    endpoint.status === 'paused'
      ? action !== 'pause'
      : endpoint.status === 'disabled'
        ? action === 'enable'
        : action === 'pause' || action === 'disable',
  );
  return page(
    endpoint.name && endpoint.name !== id ? `${endpoint.name} (${id})` : id,
    session,
    html`<table>
        <tr>
          <th>Status</th>
          <td class="status-${endpoint.status}">
            ${endpoint.status}${endpoint.status_reason ? ` — ${endpoint.status_reason}` : ''} (${ago(endpoint.status_changed_at, now)})
          </td>
        </tr>
        <tr>
          <th>URL</th>
          <td><code>${endpoint.url}</code></td>
        </tr>
        <tr>
          <th>Events</th>
          <td><code>${(endpoint.events ?? []).join(', ')}</code></td>
        </tr>
        <tr>
          <th>Body format</th>
          <td>${endpoint.format ?? 'default'}${endpoint.data_key ? ` (data under ${endpoint.data_key})` : ''}</td>
        </tr>
        <tr>
          <th>Auth</th>
          <td>${authText(endpoint.auth)}</td>
        </tr>
        ${
          endpoint.filter
            ? html`<tr>
                <th>Payload filter</th>
                <td><code>${JSON.stringify(endpoint.filter)}</code></td>
              </tr>`
            : ''
        }
        ${
          endpoint.transform
            ? html`<tr>
                <th>Transform</th>
                <td><pre>${endpoint.transform}</pre></td>
              </tr>`
            : ''
        }
        ${
          endpoint.tls
            ? html`<tr>
                <th>TLS</th>
                <td>${tlsText(endpoint.tls)}</td>
              </tr>`
            : ''
        }
        <tr>
          <th>Signing</th>
          <td>${signingText(endpoint.signing)}</td>
        </tr>
        <tr>
          <th>Retry</th>
          <td>
            ${endpoint.retry?.schedule ? endpoint.retry.schedule.join(', ') : endpoint.retry?.exponential ? 'exponential backoff' : 'default'}
          </td>
        </tr>
        <tr>
          <th>Defined in</th>
          <td>${endpoint.source === 'config' ? 'the config file (change it there)' : 'the API'} · revision ${endpoint.revision}</td>
        </tr>
        ${
          row
            ? html`<tr>
                  <th>Success</th>
                  <td>5 min ${rate(row.windows['5m'])} · 1 h ${rate(row.windows['1h'])} · 24 h ${rate(row.windows['24h'])}</td>
                </tr>
                <tr>
                  <th>Last success / failure</th>
                  <td>
                    ${ago(row.last_success_at, now)} / ${ago(row.last_failure_at, now)}
                    ${row.last_failure_reason ? `(${row.last_failure_reason})` : ''}
                  </td>
                </tr>
                <tr>
                  <th>Failing since</th>
                  <td>
                    ${ago(row.failing_since, now)}${row.auto_disable_at ? ` · disabled ${ago(row.auto_disable_at, now)} unless an attempt succeeds` : ''}
                  </td>
                </tr>
                <tr>
                  <th>Retrying / held</th>
                  <td>${row.retrying} / ${row.held}</td>
                </tr>`
            : ''
        }
      </table>
      ${
        manage
          ? html`<h2>Controls</h2>
              ${actions.map(
                (action) =>
                  html`<form method="post" action="/console/endpoints/${encodeURIComponent(id)}/action" class="inline">
                    ${csrfField(session)}<input type="hidden" name="action" value="${action}" />
                    ${action === 'pause' || action === 'disable' ? html`<input type="text" name="reason" placeholder="Reason" aria-label="Reason to ${action}" />` : ''}
                    <button>${action[0]?.toUpperCase()}${action.slice(1)}</button>
                  </form>`,
              )}
              <form method="post" action="/console/endpoints/${encodeURIComponent(id)}/test" class="inline">
                ${csrfField(session)}<button>Send test</button>
              </form>
              ${
                endpoint.signing && !endpoint.signing.secret_env
                  ? html`<form method="post" action="/console/endpoints/${encodeURIComponent(id)}/rotate-signing-secret" class="inline">
                      ${csrfField(session)}<button>Rotate signing secret</button>
                    </form>`
                  : ''
              }
              ${endpoint.source === 'api' ? html`<a href="/console/endpoints/${encodeURIComponent(id)}/edit">Edit</a>` : ''}
              <form method="post" action="/console/endpoints/${encodeURIComponent(id)}/recover" class="inline">
                ${csrfField(session)}<label for="since">Send again every delivery that failed since (UTC)</label>
                <input type="datetime-local" id="since" name="since" required /><button>Recover</button>
              </form>
              ${endpoint.source === 'api' ? deleteForm(session, `/console/endpoints/${encodeURIComponent(id)}/delete`, id) : ''}`
          : ''
      }
      <h2>Deliveries</h2>
      <p>
        ${['all', 'retrying', 'held', 'failed', 'succeeded'].map(
          (status) =>
            html`<a href="/console/endpoints/${encodeURIComponent(id)}${status === 'all' ? '' : `?status=${status}`}">${status}</a> `,
        )}
      </p>
      ${table(
        ['Event', 'Type', 'Status', 'Started'],
        deliveries.data.map(
          (entry) =>
            html`<tr>
              <td><a href="/console/events/${encodeURIComponent(entry.event_id)}">${entry.event_id}</a></td>
              <td>${entry.event_type}</td>
              <td class="status-${entry.status}">${entry.status}</td>
              <td>${ago(entry.started_at, now)}</td>
            </tr>`,
        ),
      )}
      ${deliveries.data.length === 0 ? html`<p>No events${query['status'] ? ` ${query['status']}` : ''} yet.</p>` : ''}
      ${
        deliveries.next_page_token
          ? html`<p>
              <a
                href="/console/endpoints/${encodeURIComponent(id)}?${new URLSearchParams({ ...(query['status'] ? { status: query['status'] } : {}), page: deliveries.next_page_token }).toString()}"
                >Older deliveries</a
              >
            </p>`
          : ''
      }`,
    refused ?? noticeFrom(query),
  );
}

function signingText(signing: EndpointFields['signing']): string {
  if (!signing) return 'default';
  const scheme = signing.scheme ?? 'standard-webhooks';
  return signing.secret_env
    ? `${scheme} with $${[signing.secret_env].flat().join(', $')}`
    : `${scheme} with a secret the gateway generated (id ${signing.secret_id ?? '-'})`;
}

/** The page after a change whose answer holds a new signing secret: the one time it is shown. */
function signingSecretPage(session: PageRequest['session'], id: string, secret: string, done: string): Html {
  return page(
    id,
    session,
    html`<p>Give the receiver this secret to verify signatures with.</p>
      ${oneTimeSecret('signing-secret', secret)}
      <p><a href="/console/endpoints/${encodeURIComponent(id)}">Go to the endpoint</a></p>`,
    { kind: 'done', text: done },
  );
}

// The deliveries list of an endpoint's page: 25 at a time, newest first, optionally of one status.
function deliveriesQuery(query: Readonly<Record<string, string>>): string {
  return new URLSearchParams({
    page_size: '25',
    ...(query['status'] ? { status: query['status'] } : {}),
    ...(query['page'] ? { page_token: query['page'] } : {}),
  }).toString();
}

export function notFoundPage(session: PageRequest['session'], id: string | undefined): Html {
  return page(
    'Not found',
    session,
    html`<p>Nothing is called ${id ?? ''} here. <a href="/console/endpoints">Back to the endpoints</a></p>`,
  );
}

function authText(auth: EndpointFields['auth']): string {
  if (!auth) return 'none';
  if (auth.type === 'oauth2') return `OAuth2 client ${auth.client_id} at ${auth.token_url} (secret from $${auth.client_secret_env})`;
  return `${auth.type} (secret from $${auth.type === 'bearer' ? auth.token_env : auth.password_env})`;
}

function tlsText(tls: NonNullable<EndpointFields['tls']>): string {
  const parts = [
    tls.client_cert_env ? `client certificate from $${tls.client_cert_env}, key from $${tls.client_key_env ?? ''}` : '',
    tls.ca_env ? `CA from $${tls.ca_env}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}
