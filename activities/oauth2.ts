import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import type { OAuth2Reference } from '../domain/delivery.js';
import { displayHost } from '../domain/url.js';
import { checkLiteralDestination } from './destination.js';
import { describeTransportError } from './transport-error.js';
import { within } from './within.js';

/** A token could not be had: the token endpoint refused the client, failed, or could not be reached. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  // What transport errors are classified by: an attempt that fails here is `auth_failed`.
  readonly code = 'EOAUTH2TOKEN';
}

/** Access tokens of OAuth2 client-credentials clients, fetched when needed and kept until shortly before they expire. */
export interface AccessTokens {
  /**
   * A token for `client`, whose secret is `secret`: the cached one while it is fresh, else a new one. `rejected` is a
   * token a receiver has just refused (401): it is not given again, though one fetched meanwhile by another attempt is.
   * Throws {@link TokenRequestError}.
   */
  get(client: OAuth2Reference, secret: string, rejected?: string, waitMs?: number): Promise<string>;
}

export interface AccessTokenOptions {
  /** The pool token requests go through: the destination guard applies to token URLs as to every request. */
  readonly dispatcher: Dispatcher;
  /** Non-public address kinds allowed (`delivery.allow_destinations`), for token URLs with an IP literal. */
  readonly allowDestinations: readonly string[];
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

interface CachedToken {
  readonly token: Promise<string>;
  /** When to stop handing it out; Infinity while its request is in flight. */
  refreshAt: number;
}

// A token is renewed this long before it expires (or at 90 % of a short lifetime), so it never expires in flight.
const REFRESH_MARGIN_MS = 60_000;
// A token endpoint that gives no expires_in: its token is reused this long, and sooner dropped if a receiver refuses it.
const UNKNOWN_LIFETIME_MS = 5 * 60_000;
const MAX_CACHED_CLIENTS = 1_000;

/**
 * One cache per worker process, keyed by a digest of everything that makes a token (URL, client, scope, audience,
 * secret): a rotated secret fetches a new token, and no secret is kept as a key. Concurrent attempts to one endpoint
 * share one request. The request itself is oauth4webapi's, which checks the response as the RFCs say.
 */
export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const cache = new Map<string, CachedToken>();

  const request = async (client: OAuth2Reference, secret: string): Promise<{ token: string; lifetimeMs?: number }> => {
    const host = displayHost(client.tokenUrl);
    const url = new URL(client.tokenUrl);
    const blocked = checkLiteralDestination(url, options.allowDestinations);
    if (blocked) throw new TokenRequestError(`token request to ${host} not sent: ${blocked.message}`, { cause: blocked });
    const server: oauth.AuthorizationServer = { issuer: url.origin, token_endpoint: client.tokenUrl };
    const oauthClient: oauth.Client = { client_id: client.clientId };
    const authentication = client.clientAuth === 'post' ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret);
    const parameters = new URLSearchParams();
    if (client.scope) parameters.set('scope', client.scope);
    if (client.audience) parameters.set('audience', client.audience);
    try {
      const response = await oauth.clientCredentialsGrantRequest(server, oauthClient, authentication, parameters, {
        // The process-wide timeout, not a caller's: a request shared by several attempts is not cut short by one.
        signal: AbortSignal.timeout(timeoutMs),
        // An http:// token URL is the operator's choice, as an http:// endpoint URL is.
        [oauth.allowInsecureRequests]: url.protocol === 'http:',
        [oauth.customFetch]: (input, init) => undiciFetch(input, { ...init, dispatcher: options.dispatcher }),
      });
      const result = await oauth.processClientCredentialsResponse(server, oauthClient, response);
      return { token: result.access_token, ...(result.expires_in === undefined ? {} : { lifetimeMs: result.expires_in * 1000 }) };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) {
        const description = error.error_description ? `: ${error.error_description}` : '';
        throw new TokenRequestError(`token request to ${host} refused: ${error.error}${description} (HTTP ${error.status})`);
      }
      throw new TokenRequestError(`token request to ${host} failed: ${describeTransportError(error)}`, { cause: error });
    }
  };

  const share = async (client: OAuth2Reference, secret: string, rejected: string | undefined): Promise<string> => {
    const key = createHash('sha256')
      .update(JSON.stringify([client.tokenUrl, client.clientId, client.scope, client.audience, client.clientAuth, secret]))
      .digest('hex');
    const cached = cache.get(key);
    // A request in flight is shared, whatever it comes to: a wrong secret costs one request, not one per attempt.
    if (cached?.refreshAt === Number.POSITIVE_INFINITY) return cached.token;
    if (cached && now() < cached.refreshAt) {
      const token = await cached.token;
      if (token !== rejected) return token;
    }
    // Assigned before the request can finish: its callbacks run later.
    // eslint-disable-next-line prefer-const
    let entry: CachedToken;
    const fetched = request(client, secret).then(({ token, lifetimeMs = UNKNOWN_LIFETIME_MS }) => {
      entry.refreshAt = now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs * 0.9);
      return token;
    });
    // A failed request is not cached: the next attempt asks again.
    fetched.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    entry = { token: fetched, refreshAt: Number.POSITIVE_INFINITY };
    cache.delete(key);
    cache.set(key, entry);
    if (cache.size > MAX_CACHED_CLIENTS) cache.delete(cache.keys().next().value as string);
    return fetched;
  };

  return {
    // An attempt waits for a token only as long as it may.
    get: (client, secret, rejected, waitMs = timeoutMs) =>
      within(share(client, secret, rejected), waitMs, () => {
        throw new TokenRequestError(`no token from ${displayHost(client.tokenUrl)} within ${waitMs} ms`);
      }),
  };
}
