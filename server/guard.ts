import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiScope } from '../config/ingest.js';
import { ANONYMOUS, type Keyring, type Principal } from './auth.js';
import { sendProblem } from './problem.js';
import { answerRateLimit, type RateLimits } from './rate-limits.js';

/**
 * Who may call a route: a key with the named scope, anyone (`public`: health, docs), the holder of an inbound
 * source's secret (`source`: the route checks it itself, after the source's rate limit), or a console session
 * (`console`: the page checks its cookie, and its calls to the API go through this guard with the session's key).
 */
export type RouteAccess = ApiScope | 'public' | 'source' | 'console';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The caller, once the guard has let the request in. */
    principal?: Principal;
  }
}

/** The key a caller's requests are counted under: its API key, or without keys its address. */
export function callerKeyOf(request: FastifyRequest): string {
  const principal = request.principal;
  return principal && principal !== ANONYMOUS ? `key:${principal.keyId}` : `address:${request.ip}`;
}

/** Answers 429 for an address that failed to authenticate too often; `undefined` if it may try. */
export async function refuseRepeatedFailures(reply: FastifyReply, limits: RateLimits, address: string): Promise<FastifyReply | undefined> {
  return answerRateLimit(reply, await limits.admitAuthAttempt(address));
}

/**
 * Lets a request in only with a key that has its route's scope, and within the global and per-key rate limits. It
 * runs before the body is read, so that refused callers cost no parsing.
 */
export function registerGuard(app: FastifyInstance, keyring: Keyring, limits: RateLimits): void {
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public' || access === 'source' || access === 'console') return undefined;
    const principal = keyring.identify(request.headers.authorization);
    if (!principal) {
      const blocked = await refuseRepeatedFailures(reply, limits, request.ip);
      if (blocked) return blocked;
      await limits.recordAuthFailure(request.ip);
      return sendProblem(reply.header('www-authenticate', 'Bearer realm="temporal-webhooks"'), {
        status: 401,
        type: 'unauthorized',
        title: 'Unauthorized',
        detail: request.headers.authorization ? 'The API key is not valid.' : 'Send an API key as Authorization: Bearer <key>.',
      });
    }
    if (!principal.scopes.has(access)) {
      return sendProblem(reply, {
        status: 403,
        type: 'insufficient-scope',
        title: 'Forbidden',
        detail: `The key "${principal.keyId}" lacks the ${access} scope this needs.`,
      });
    }
    request.principal = principal;
    return answerRateLimit(reply, await limits.admitCaller(callerKeyOf(request)));
  });
}
