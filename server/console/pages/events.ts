import type { FastifyInstance } from 'fastify';
import { eventWorkflowId } from '../../../domain/workflow-ids.js';
import { problemText } from '../api-calls.js';
import { consoleRoute, type ConsoleContext } from '../context.js';
import { html } from '../html.js';
import { after, canManage, csrfField, noticeFrom, page, table } from '../layout.js';
import type { AttemptView, DeliveryReportView } from '../../schemas.js';

const result = (attempt: AttemptView): string =>
  attempt.endpoint_status
    ? `not sent: endpoint ${attempt.endpoint_status}`
    : attempt.status_code !== undefined
      ? `HTTP ${attempt.status_code}`
      : [attempt.error_class, attempt.error_message].filter(Boolean).join(': ');

/** One event: every endpoint's delivery with every attempt, redelivery, and its workflow in the Temporal Web UI. */
export function registerEventPages(scope: FastifyInstance, context: ConsoleContext): void {
  consoleRoute(scope, context, 'GET', '/console/events/:id', async ({ session, api, params, query }) => {
    const id = params['id'] ?? '';
    const { status, body: report } = await api<DeliveryReportView>('GET', `/v1/events/${encodeURIComponent(id)}`);
    if (status !== 200) return page('Not found', session, html`<p>No event ${id} is known to Temporal.</p>`);
    const workflowUrl = context.workflowUrl?.(eventWorkflowId(id));
    return page(
      `Event ${id}`,
      session,
      html`<p>
          ${report.event_type} ·
          <span class="status-${report.status}">${report.status}</span>
          ${workflowUrl ? html` · <a href="${workflowUrl}" target="_blank" rel="noopener">its workflow in the Temporal Web UI</a>` : ''}
        </p>
        ${
          canManage(session)
            ? html`<form method="post" action="/console/events/${encodeURIComponent(id)}/redeliver" class="inline">
                ${csrfField(session)}<button>Redeliver to every endpoint subscribed now</button>
              </form>`
            : ''
        }
        ${report.deliveries.map(
          (delivery) =>
            html`<h2>
                <a href="/console/endpoints/${encodeURIComponent(delivery.endpoint_id)}">${delivery.endpoint_id}</a>:
                <span class="status-${delivery.status}">${delivery.status}</span
                >${delivery.reason ? html` <small>${delivery.reason}</small>` : ''}
                ${delivery.next_attempt_at ? html` <small>next attempt ${delivery.next_attempt_at}</small>` : ''}
              </h2>
              ${
                canManage(session)
                  ? html`<form method="post" action="/console/events/${encodeURIComponent(id)}/redeliver" class="inline">
                      ${csrfField(session)}<input type="hidden" name="endpoint_id" value="${delivery.endpoint_id}" /><button>
                        Redeliver to ${delivery.endpoint_id}
                      </button>
                    </form>`
                  : ''
              }
              ${table(
                ['#', 'Started', 'Took', 'Result', 'Verdict', 'Response'],
                delivery.attempts.map(
                  (attempt) =>
                    html`<tr>
                      <td>${attempt.attempt}</td>
                      <td>${attempt.started_at}</td>
                      <td>${attempt.duration_ms === undefined ? '-' : `${attempt.duration_ms} ms`}</td>
                      <td>${result(attempt)}</td>
                      <td>${attempt.verdict}</td>
                      <td>${attempt.response_body_excerpt ? html`<pre>${attempt.response_body_excerpt}</pre>` : ''}</td>
                    </tr>`,
                ),
              )}`,
        )}
        ${report.deliveries.length === 0 && !report.unrouted?.length ? html`<p>No endpoint was subscribed to this event.</p>` : ''}
        ${
          report.unrouted?.length
            ? html`<h2>Not routed: payload filter</h2>
                ${table(
                  ['Endpoint', 'Why'],
                  report.unrouted.map(
                    (entry) =>
                      html`<tr>
                        <td><a href="/console/endpoints/${encodeURIComponent(entry.endpoint_id)}">${entry.endpoint_id}</a></td>
                        <td>${entry.reason}</td>
                      </tr>`,
                  ),
                )}`
            : ''
        }`,
      noticeFrom(query),
    );
  });

  consoleRoute(scope, context, 'POST', '/console/events/:id/redeliver', async ({ api, params, form }) => {
    const id = params['id'] ?? '';
    const endpoint = form['endpoint_id'];
    const answer = await api<{ workflow_id: string }>(
      'POST',
      `/v1/events/${encodeURIComponent(id)}/redeliver`,
      endpoint ? { endpoint_id: endpoint } : {},
    );
    return {
      redirect: after(
        `/console/events/${encodeURIComponent(id)}`,
        answer.status === 202
          ? { kind: 'done', text: `Redelivering as workflow ${answer.body.workflow_id}.` }
          : { kind: 'refused', text: problemText(answer) },
      ),
    };
  });
}
