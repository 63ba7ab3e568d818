import { relativeTime } from '../../domain/relative-time.js';
import { html, type Html } from './html.js';
import type { ConsoleSession } from './session.js';

/** What a page says after a change: what was done, or why it was not. */
export interface Notice {
  readonly kind: 'done' | 'refused';
  readonly text: string;
}

/** A whole page: the navigation, who is signed in, a notice if any, and the content. */
export function page(title: string, session: ConsoleSession | undefined, content: Html, notice?: Notice): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · temporal-webhooks</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        <header>
          <strong>temporal-webhooks</strong>
          ${
            session
              ? html`<nav>
                    <a href="/console/endpoints">Endpoints</a>
                    <a href="/console/sources">Inbound sources</a>
                    <a href="/console/event-types">Event types</a>
                  </nav>
                  <span class="who">${session.principal.keyId} (${[...session.principal.scopes].join(', ')})</span>
                  ${session.key ? html`<form method="post" action="/console/logout">${csrfField(session)}<button>Sign out</button></form>` : ''}`
              : ''
          }
        </header>
        <main>
          <h1>${title}</h1>
          ${notice ? html`<p class="notice ${notice.kind}" role="status">${notice.text}</p>` : ''} ${content}
        </main>
      </body>
    </html>`;
}

/** The hidden field every changing form carries. */
export function csrfField(session: ConsoleSession): Html {
  return html`<input type="hidden" name="csrf" value="${session.csrf}" />`;
}

/** A secret the gateway just generated, with a copy button: this page is the only place it is ever shown. */
export function oneTimeSecret(id: string, secret: string): Html {
  return html`<p><strong>The secret is shown this once.</strong> Keep it now: it cannot be read again, only rotated.</p>
    <p class="secret"><code id="${id}">${secret}</code> <button type="button" data-copy="${id}">Copy</button></p>`;
}

/** A table of rows under its headings. */
export function table(headings: readonly string[], rows: readonly Html[]): Html {
  return html`<table>
    <thead>
      <tr>
        ${headings.map((heading) => html`<th>${heading}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

/** A delete that needs the thing's id typed in: a mistaken click deletes nothing. */
export function deleteForm(session: ConsoleSession, action: string, id: string): Html {
  return html`<form method="post" action="${action}" class="inline">
    ${csrfField(session)}<input type="text" name="confirm" placeholder="Type ${id} to delete" aria-label="Type the id to confirm" />
    <button class="danger">Delete</button>
  </form>`;
}

/** Whether the session may change things (a `manage` key): read keys see every page without its buttons. */
export function canManage(session: ConsoleSession): boolean {
  return session.principal.scopes.has('manage');
}

/** A notice carried across a redirect in the query (`?done=…` or `?refused=…`); it is only ever shown escaped. */
export function noticeFrom(query: Record<string, unknown>): Notice | undefined {
  if (typeof query['done'] === 'string') return { kind: 'done', text: query['done'] };
  if (typeof query['refused'] === 'string') return { kind: 'refused', text: query['refused'] };
  return undefined;
}

/** Where to go after a change, with what to say there. */
export function after(path: string, notice: Notice): string {
  const separator = path.includes('?') ? '&' : '?';
  return `${path}${separator}${notice.kind}=${encodeURIComponent(notice.text)}`;
}

/** `12s ago`, `in 5m`, or `-`: how long ago, or until, a time is. */
export function ago(iso: string | undefined | null, now: number): string {
  return relativeTime(iso ?? undefined, new Date(now)) ?? '-';
}
