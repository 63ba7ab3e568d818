import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../auth.js';
import type { RateLimits } from '../rate-limits.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import type { ConsoleContext } from './context.js';
import { registerEndpointPages } from './pages/endpoints.js';
import { registerEventPages } from './pages/events.js';
import { registerEventTypePages } from './pages/event-types.js';
import { registerLoginPages } from './pages/login.js';
import { registerSourcePages } from './pages/sources.js';
import { createSessionKeeper } from './session.js';

export interface ConsoleDeps {
  readonly keyring: Keyring;
  readonly limits: RateLimits;
  /** Where the Temporal Web UI shows a workflow, if the API knows where the UI is. */
  readonly workflowUrl?: (workflowId: string) => string;
}

const FORM_LIMIT_BYTES = 64 * 1024;

// Pages of the console may come only from here, be framed by nobody, and never be cached: they show live state.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the console's own forms.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * The web console at `/console`: pages rendered on the server from the API's own answers (each page calls the API in
 * process, with the signed-in key), forms that work without a script, and one small script for copy buttons.
 */
export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): void {
  const sessions = createSessionKeeper(deps.keyring);
  const context: ConsoleContext = { app, sessions, now: Date.now, ...(deps.workflowUrl ? { workflowUrl: deps.workflowUrl } : {}) };
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(SECURITY_HEADERS);
      return payload;
    });
    const asset = (path: string, type: string, text: string) =>
      scope.get(path, { config: { access: 'console' }, schema: { hide: true } }, async (_request, reply) => reply.type(type).send(text));
    asset('/console/assets/console.css', 'text/css; charset=utf-8', CONSOLE_CSS);
    asset('/console/assets/console.js', 'text/javascript; charset=utf-8', CONSOLE_JS);
    scope.get('/console', { config: { access: 'console' }, schema: { hide: true } }, async (_request, reply) =>
      reply.redirect('/console/endpoints', 303),
    );

    registerLoginPages(scope, sessions, async (ip) => {
      const decision = await deps.limits.admitAuthAttempt(ip);
      await deps.limits.recordAuthFailure(ip);
      return !decision.allowed;
    });
    registerEndpointPages(scope, context);
    registerEventPages(scope, context);
    registerSourcePages(scope, context);
    registerEventTypePages(scope, context);
    done();
  });
}
