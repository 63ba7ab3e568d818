import type { FastifyInstance, FastifyReply } from 'fastify';
import { html } from '../html.js';
import { page } from '../layout.js';
import { clearedCookie, isSameOrigin, sessionCookie, type SessionKeeper } from '../session.js';

const loginForm = (next: string, refused?: string) =>
  page(
    'Sign in',
    undefined,
    html`<form method="post" action="/console/login">
      <input type="hidden" name="next" value="${next}" />
      <label for="key">API key</label>
      <p class="hint">A read key shows everything; a manage key may also change things. The key is kept in this browser until it closes.</p>
      <input type="password" id="key" name="key" required autocomplete="off" />
      <button>Sign in</button>
    </form>`,
    refused ? { kind: 'refused', text: refused } : undefined,
  );

// Only paths of the console: a `next` elsewhere would make the sign-in page an open redirect.
const consolePath = (next: string | undefined): string =>
  next && /^\/console(\/|$)/.test(next) && !next.startsWith('//') ? next : '/console/endpoints';

/** Signing in with an API key, and out. The failed-attempt limit of the API applies to both. */
export function registerLoginPages(scope: FastifyInstance, sessions: SessionKeeper, onFailure: (ip: string) => Promise<boolean>): void {
  scope.get('/console/login', { config: { access: 'console' }, schema: { hide: true } }, async (request, reply) => {
    const next = consolePath((request.query as Record<string, string | undefined>)['next']);
    if (!sessions.keysRequired) return reply.redirect(next, 303);
    return reply.type('text/html; charset=utf-8').send(loginForm(next).text);
  });

  // Another site must not sign a browser in with its own key, or out: both need this host's Origin, if one is sent.
  const foreign = (reply: FastifyReply) =>
    reply.code(403).type('text/html; charset=utf-8').send(loginForm('/console/endpoints', 'Sign in from this page.').text);

  scope.post('/console/login', { config: { access: 'console' }, schema: { hide: true } }, async (request, reply) => {
    if (!isSameOrigin(request)) return foreign(reply);
    const form = (request.body ?? {}) as Record<string, string | undefined>;
    const next = consolePath(form['next']);
    const key = form['key'] ?? '';
    if (!sessions.identify(key)) {
      const blocked = await onFailure(request.ip);
      return reply
        .code(blocked ? 429 : 401)
        .type('text/html; charset=utf-8')
        .send(loginForm(next, blocked ? 'Too many failed attempts; wait a minute.' : 'That is not a key of this API.').text);
    }
    return reply.header('set-cookie', sessionCookie(key, request.protocol === 'https')).redirect(next, 303);
  });

  scope.post('/console/logout', { config: { access: 'console' }, schema: { hide: true } }, async (request, reply) =>
    isSameOrigin(request) ? reply.header('set-cookie', clearedCookie()).redirect('/console/login', 303) : foreign(reply),
  );
}
