import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiCaller, type CallApi } from './api-calls.js';
import { page } from './layout.js';
import { isGenuineChange, type ConsoleSession, type SessionKeeper } from './session.js';
import { html, Html } from './html.js';

/** What every page of the console is built with. */
export interface ConsoleContext {
  /** The whole API, which the console calls in process. */
  readonly app: FastifyInstance;
  readonly sessions: SessionKeeper;
  /** Where the Temporal Web UI shows a workflow, when the console knows the UI. */
  readonly workflowUrl?: (workflowId: string) => string;
  readonly now: () => number;
}

/** A request to a page, with its session, its API caller, and its path, query and form values as text. */
export interface PageRequest {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly session: ConsoleSession;
  readonly api: CallApi;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly form: Readonly<Record<string, string>>;
}

/** A page's answer: markup to show, or a path to go to (after a change, so a reload does not repeat it). */
export type PageAnswer = Html | { readonly redirect: string };

const asText = (value: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries((value ?? {}) as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );

/**
 * Registers a console page. Without a session it sends the browser to sign in; a change (POST) must carry the
 * session's token and no foreign Origin, or it is refused with 403 before anything is called.
 */
export function consoleRoute(
  scope: FastifyInstance,
  context: ConsoleContext,
  method: 'GET' | 'POST',
  url: string,
  handler: (page: PageRequest) => Promise<PageAnswer>,
): void {
  scope.route({
    method,
    url,
    config: { access: 'console' },
    schema: { hide: true },
    async handler(request, reply) {
      const session = context.sessions.open(request);
      if (!session) return reply.redirect(`/console/login?next=${encodeURIComponent(request.url)}`, 303);
      const form = asText(request.body);
      if (method === 'POST' && !isGenuineChange(request, session, form['csrf'])) {
        return reply
          .code(403)
          .type('text/html; charset=utf-8')
          .send(
            page(
              'Refused',
              session,
              html`<p>This change did not come from a page of this console. Go back, reload the page and try again.</p>`,
            ).text,
          );
      }
      const answer = await handler({
        request,
        reply,
        session,
        api: apiCaller(context.app, session, request.ip),
        params: asText(request.params),
        query: asText(request.query),
        form,
      });
      if (answer instanceof Html) return reply.type('text/html; charset=utf-8').send(answer.text);
      return reply.redirect(answer.redirect, 303);
    },
  });
}
