import type { TransportErrorClass } from '../domain/delivery.js';

const CLASS_BY_CODE: Readonly<Record<string, TransportErrorClass>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ERR_INVALID_URL: 'invalid_url',
  UND_ERR_INVALID_ARG: 'invalid_url',
  EDESTINATIONBLOCKED: 'blocked_destination',
  EOAUTH2TOKEN: 'auth_failed',
};

/** Names the way a request failed without a response, from the error Node or undici raised. */
export function classifyTransportError(error: unknown): TransportErrorClass {
  // A refused destination is final wherever it is met, under whatever wraps it (a token request's error, say).
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if ((current as { code?: unknown }).code === 'EDESTINATIONBLOCKED') return 'blocked_destination';
  }
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'timeout';
    const code = (current as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const known = CLASS_BY_CODE[code];
    if (known) return known;
    if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT')) return 'tls';
  }
  return 'other';
}

/** A one-line description of a transport failure, following `cause` so that the useful part is not hidden. */
export function describeTransportError(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current.message && !messages.includes(current.message)) messages.push(current.message);
  }
  return (messages.join(': ') || String(error)).slice(0, 500);
}
