import type { FastifyInstance } from 'fastify';
import { problemText, type ApiAnswer } from '../api-calls.js';
import { consoleRoute, type ConsoleContext } from '../context.js';
import { html, type Html } from '../html.js';
import { after, ago, canManage, csrfField, deleteForm, noticeFrom, oneTimeSecret, page, table } from '../layout.js';
import type { ConsoleSession } from '../session.js';

interface SourceRow {
  readonly id: string;
  readonly name?: string;
  readonly url: string;
  readonly event_type: string;
  readonly enabled: boolean;
  readonly status_reason?: string;
  readonly auth: { readonly mode: string; readonly header?: string; readonly secret_env?: string; readonly generated_secret: boolean };
  readonly origin: string;
  readonly created_at?: string;
  readonly last_triggered_at?: string;
  readonly secret?: string;
}
interface Invocation {
  readonly at: string;
  readonly source_ip: string;
  readonly status: number;
  readonly result: string;
  readonly event_id?: string;
  readonly payload_excerpt: string;
}

const MODES = ['secret', 'hmac-sha256', 'standard-webhooks'] as const;

/** Inbound sources: the list, making one (its URL and secret shown once), its calls, the toggle, rotate and delete. */
export function registerSourcePages(scope: FastifyInstance, context: ConsoleContext): void {
  consoleRoute(scope, context, 'GET', '/console/sources', async ({ session, api, query }) => {
    const { body } = await api<{ data: SourceRow[] }>('GET', '/v1/sources');
    const now = context.now();
    return page(
      'Inbound sources',
      session,
      html`<p class="hint">Other systems call a source’s URL with its secret; each call becomes an event of the source’s type.</p>
        ${table(
          ['Source', 'Status', 'Event type', 'Auth', 'Last triggered', 'URL'],
          body.data.map(
            (source) =>
              html`<tr>
                <td>
                  <a href="/console/sources/${encodeURIComponent(source.id)}">${source.id}</a
                  >${source.name ? html`<br /><small>${source.name}</small>` : ''}
                </td>
                <td class="status-${source.enabled ? 'enabled' : 'disabled'}">
                  ${source.enabled ? 'enabled' : 'disabled'}${source.status_reason ? html`<br /><small>${source.status_reason}</small>` : ''}
                </td>
                <td>${source.event_type}</td>
                <td>${source.auth.mode}</td>
                <td>${ago(source.last_triggered_at, now)}</td>
                <td><code>${source.url}</code></td>
              </tr>`,
          ),
        )}
        ${body.data.length === 0 ? html`<p>No sources yet.</p>` : ''} ${canManage(session) ? sourceForm(session) : ''}`,
      noticeFrom(query),
    );
  });

  consoleRoute(scope, context, 'POST', '/console/sources', async ({ request, session, api, form }) => {
    const text = (name: string): string | undefined => form[name]?.trim() || undefined;
    const mode = MODES.find((candidate) => candidate === form['mode']) ?? 'secret';
    const answer = await api<SourceRow>('POST', '/v1/sources', {
      ...(text('id') ? { id: text('id') } : {}),
      ...(text('name') ? { name: text('name') } : {}),
      event_type: text('event_type') ?? '',
      auth: { mode, ...(text('secret_env') ? { secret_env: text('secret_env') } : {}) },
    });
    if (answer.status !== 201)
      return page('Inbound sources', session, sourceForm(session, form), { kind: 'refused', text: problemText(answer) });
    // Shown in this answer and never again: it is not put in a redirect, where history and logs would keep it.
    return createdPage(session, answer.body, `${request.protocol}://${request.headers.host ?? ''}`);
  });

  consoleRoute(scope, context, 'GET', '/console/sources/:id', async ({ session, api, params, query }) => {
    const id = params['id'] ?? '';
    const path = `/v1/sources/${encodeURIComponent(id)}`;
    const [{ status, body: source }, { body: calls }] = await Promise.all([
      api<SourceRow>('GET', path),
      api<{ data: Invocation[] }>('GET', `${path}/invocations`),
    ]);
    if (status !== 200) return page('Not found', session, html`<p>${problemText({ status, body: source })}</p>`);
    const now = context.now();
    const manage = canManage(session) && source.origin === 'api';
    return page(
      source.name ? `${source.name} (${id})` : id,
      session,
      html`<table>
          <tr>
            <th>URL</th>
            <td><code>${source.url}</code></td>
          </tr>
          <tr>
            <th>Status</th>
            <td class="status-${source.enabled ? 'enabled' : 'disabled'}">
              ${source.enabled ? 'enabled' : 'disabled: calls get 403'}${source.status_reason ? ` (${source.status_reason})` : ''}
            </td>
          </tr>
          <tr>
            <th>Event type</th>
            <td>${source.event_type}</td>
          </tr>
          <tr>
            <th>Auth</th>
            <td>
              ${source.auth.mode}${source.auth.header ? ` in ${source.auth.header}` : ''}; secret
              ${source.auth.generated_secret ? 'generated by the gateway' : `from $${source.auth.secret_env ?? ''}`}
            </td>
          </tr>
          <tr>
            <th>Defined in</th>
            <td>${source.origin === 'config' ? 'the config file (change it there)' : 'the API'}</td>
          </tr>
          <tr>
            <th>Created</th>
            <td>${source.created_at ?? '-'}</td>
          </tr>
          <tr>
            <th>Last triggered</th>
            <td>${ago(source.last_triggered_at, now)}</td>
          </tr>
        </table>
        ${
          canManage(session)
            ? html`<form method="post" action="/console/sources/${encodeURIComponent(id)}/test">
                ${csrfField(session)}<label for="test-payload">Test payload</label>
                <p class="hint">Sent through the source as its sender would send it; the call lands in the log below.</p>
                <textarea id="test-payload" name="payload">${'{\n  "message": "test from the console"\n}'}</textarea>
                <button>Send test</button>
              </form>`
            : ''
        }
        ${
          manage
            ? html`<form method="post" action="/console/sources/${encodeURIComponent(id)}/toggle" class="inline">
                  ${csrfField(session)}<button>${source.enabled ? 'Disable' : 'Enable'}</button>
                </form>
                ${
                  source.auth.generated_secret
                    ? html`<form method="post" action="/console/sources/${encodeURIComponent(id)}/rotate" class="inline">
                        ${csrfField(session)}<button>Rotate secret</button>
                      </form>`
                    : ''
                }
                ${deleteForm(session, `/console/sources/${encodeURIComponent(id)}/delete`, id)}`
            : ''
        }
        <h2>Invocations</h2>
        ${table(
          ['When', 'From', 'Answer', 'Result', 'Event', 'Payload'],
          calls.data.map(
            (call) =>
              html`<tr>
                <td>${call.at}</td>
                <td>${call.source_ip}</td>
                <td>${call.status}</td>
                <td>${call.result}</td>
                <td>${call.event_id ? html`<a href="/console/events/${encodeURIComponent(call.event_id)}">${call.event_id}</a>` : ''}</td>
                <td><pre>${call.payload_excerpt}</pre></td>
              </tr>`,
          ),
        )}
        ${calls.data.length === 0 ? html`<p>No calls yet.</p>` : ''}`,
      noticeFrom(query),
    );
  });

  consoleRoute(scope, context, 'POST', '/console/sources/:id/test', async ({ api, params, form }) => {
    const id = params['id'] ?? '';
    const back = `/console/sources/${encodeURIComponent(id)}`;
    let data: unknown;
    try {
      data = JSON.parse(form['payload'] || '{}');
    } catch {
      return { redirect: after(back, { kind: 'refused', text: 'The test payload is not JSON.' }) };
    }
    const answer = await api<{ id: string }>('POST', `/v1/sources/${encodeURIComponent(id)}/test`, { data });
    return {
      redirect: after(
        back,
        answer.status === 202
          ? { kind: 'done', text: `Test call accepted as event ${answer.body.id}.` }
          : { kind: 'refused', text: problemText(answer) },
      ),
    };
  });

  consoleRoute(scope, context, 'POST', '/console/sources/:id/toggle', async ({ api, params }) => {
    const id = params['id'] ?? '';
    const path = `/v1/sources/${encodeURIComponent(id)}`;
    const { body: current } = await api<SourceRow>('GET', path);
    const answer = await api<SourceRow>('PATCH', path, { enabled: !current.enabled });
    return {
      redirect: after(
        `/console/sources/${encodeURIComponent(id)}`,
        outcome(answer, answer.body.enabled ? 'Enabled.' : 'Disabled: calls now get 403.'),
      ),
    };
  });

  consoleRoute(scope, context, 'POST', '/console/sources/:id/rotate', async ({ request, session, api, params }) => {
    const id = params['id'] ?? '';
    const answer = await api<SourceRow>('POST', `/v1/sources/${encodeURIComponent(id)}/rotate-secret`);
    if (answer.status !== 200)
      return { redirect: after(`/console/sources/${encodeURIComponent(id)}`, { kind: 'refused', text: problemText(answer) }) };
    return createdPage(session, answer.body, `${request.protocol}://${request.headers.host ?? ''}`, 'The old secret no longer works.');
  });

  consoleRoute(scope, context, 'POST', '/console/sources/:id/delete', async ({ api, params, form }) => {
    const id = params['id'] ?? '';
    if (form['confirm'] !== id)
      return {
        redirect: after(`/console/sources/${encodeURIComponent(id)}`, {
          kind: 'refused',
          text: 'Type the source’s id to confirm the delete.',
        }),
      };
    const answer = await api('DELETE', `/v1/sources/${encodeURIComponent(id)}`);
    return answer.status === 200
      ? { redirect: after('/console/sources', { kind: 'done', text: `Deleted ${id}: its URL now answers 404 for good.` }) }
      : { redirect: after(`/console/sources/${encodeURIComponent(id)}`, { kind: 'refused', text: problemText(answer) }) };
  });
}

function outcome(answer: ApiAnswer<unknown>, done: string) {
  return answer.status === 200 ? ({ kind: 'done', text: done } as const) : ({ kind: 'refused', text: problemText(answer) } as const);
}

function createdPage(session: ConsoleSession, source: SourceRow, origin: string, note = ''): Html {
  return page(
    source.name ? `${source.name} (${source.id})` : source.id,
    session,
    html`<p>Give the sender this URL${source.secret ? ' and secret' : ''}. ${note}</p>
      <p><code id="source-url">${origin}${source.url}</code> <button type="button" data-copy="source-url">Copy</button></p>
      ${source.secret ? oneTimeSecret('source-secret', source.secret) : ''}
      <p><a href="/console/sources/${encodeURIComponent(source.id)}">Go to the source</a></p>`,
    { kind: 'done', text: 'Source ready.' },
  );
}

function sourceForm(session: ConsoleSession, submitted: Readonly<Record<string, string>> = {}): Html {
  return html`<h2>New source</h2>
    <form method="post" action="/console/sources">
      ${csrfField(session)}
      <fieldset>
        <label for="s-name">Name</label><input type="text" id="s-name" name="name" value="${submitted['name'] ?? ''}" />
        <label for="s-id">Id</label>
        <p class="hint">The end of its URL; leave empty for a generated one.</p>
        <input type="text" id="s-id" name="id" value="${submitted['id'] ?? ''}" />
        <label for="s-type">Event type</label
        ><input type="text" id="s-type" name="event_type" required value="${submitted['event_type'] ?? ''}" />
        <label for="s-mode">How calls prove themselves</label>
        <select id="s-mode" name="mode">
          ${MODES.map((mode) => html`<option value="${mode}" ${submitted['mode'] === mode ? 'selected' : ''}>${mode}</option>`)}
        </select>
        <label for="s-env">Secret variable</label>
        <p class="hint">Leave empty and the gateway generates the secret, shown once.</p>
        <input type="text" id="s-env" name="secret_env" value="${submitted['secret_env'] ?? ''}" />
      </fieldset>
      <button>Create source</button>
    </form>`;
}
