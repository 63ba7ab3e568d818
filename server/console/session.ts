import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ANONYMOUS, type Keyring, type Principal } from '../auth.js';

// The console keeps the operator's API key in an HttpOnly, SameSite=Strict cookie for the browser session: page
// scripts cannot read it, other sites cannot send it, and every API replica can check it as it checks a Bearer key,
// with no session store to share. Each change also carries a token derived from the key (CSRF), and its Origin, if
// the browser sends one, must be this host.

const COOKIE = 'webhooks_console';
const CSRF_LABEL = 'temporal-webhooks console csrf';

/** Who is using the console, and the key its calls to the API carry. */
export interface ConsoleSession {
  readonly principal: Principal;
  /** `undefined` when the API asks for no key. */
  readonly key: string | undefined;
  /** What every form that changes something must send back. */
  readonly csrf: string;
}

/** What opens sessions: the keyring, and for an API without keys, a token secret of this process. */
export interface SessionKeeper {
  open(request: FastifyRequest): ConsoleSession | undefined;
  /** Whether `key` is a key of this API, and so may open a session. */
  identify(key: string): Principal | undefined;
  readonly keysRequired: boolean;
}

export function createSessionKeeper(keyring: Keyring): SessionKeeper {
  // Without keys there is no cookie to derive a token from; a secret of this process serves (one process, loopback).
  const anonymousSecret = randomBytes(32).toString('hex');
  const identify = (key: string): Principal | undefined => keyring.identify(`Bearer ${key}`);
  return {
    keysRequired: keyring.required,
    identify,
    open(request) {
      if (!keyring.required) return { principal: ANONYMOUS, key: undefined, csrf: csrfToken(anonymousSecret) };
      const key = cookieValue(request.headers.cookie, COOKIE);
      const principal = key ? identify(key) : undefined;
      return principal && key ? { principal, key, csrf: csrfToken(key) } : undefined;
    },
  };
}

function csrfToken(secret: string): string {
  return createHmac('sha256', secret).update(CSRF_LABEL).digest('base64url');
}

/**
 * Whether a request's Origin, if the browser sent one, is this API's own host. The host is Fastify's (`Host`, or
 * `X-Forwarded-Host` behind a trusted proxy, or HTTP/2's `:authority`), so that a proxy in front changes nothing.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return origin !== 'null' && URL.canParse(origin) && new URL(origin).host === request.host;
}

/** Whether a change request is the console's own: its form's token, and no foreign Origin. */
export function isGenuineChange(request: FastifyRequest, session: ConsoleSession, token: string | undefined): boolean {
  if (!isSameOrigin(request)) return false;
  const expected = Buffer.from(session.csrf);
  const given = Buffer.from(token ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The cookie that keeps `key` for the browser session (no expiry: it ends when the browser does). */
export function sessionCookie(key: string, secure: boolean): string {
  return `${COOKIE}=${encodeURIComponent(key)}; Path=/console; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedCookie(): string {
  return `${COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [rawName, ...rest] = part.trim().split('=');
    if (rawName === name) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
