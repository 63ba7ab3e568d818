import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// Signing and checking signatures need Node's crypto: the delivery activity signs, inbound sources check.

const WHSEC_PREFIX = 'whsec_';

/**
 * The Standard Webhooks signature of one message: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed
 * with the secret's bytes (the base64 after `whsec_`). See https://www.standardwebhooks.com/.
 */
export function signStandardWebhooks(secret: string, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  const key = Buffer.from(secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret, 'base64');
  const digest = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${digest}`;
}

/** The hex scheme many senders use: `sha256=` and the hex HMAC-SHA256 of the body, keyed with the secret's text. */
export function signHexSha256(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Compares two strings in time that depends only on their length, so that a guess learns nothing from timing. */
export function constantTimeEqual(presented: string, expected: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual needs, without revealing the expected length.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Checks a `sha256=<hex>` header against the body signed with `secret`. */
export function verifyHexSha256(secret: string, body: string | Uint8Array, header: string | undefined): boolean {
  return header !== undefined && constantTimeEqual(header.trim().toLowerCase(), signHexSha256(secret, body));
}

/** The headers a Standard Webhooks sender signs with. */
export interface StandardWebhooksHeaders {
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/**
 * Checks a Standard Webhooks message: a fresh timestamp (within `toleranceMs` of `nowMs`, either way) and one of the
 * space-separated `v1,` signatures made with `secret`. The tolerance is what stops an old message from being replayed.
 */
export function verifyStandardWebhooks(
  secret: string,
  body: string | Uint8Array,
  headers: StandardWebhooksHeaders,
  nowMs: number,
  toleranceMs: number,
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const seconds = Number(timestamp);
  if (Math.abs(nowMs - seconds * 1_000) > toleranceMs) return false;
  const expected = signStandardWebhooks(secret, id, seconds, body);
  // Check every candidate, not up to the first match, so that timing does not tell which one matched.
  return signature
    .split(' ')
    .map((candidate) => constantTimeEqual(candidate, expected))
    .reduce((any, match) => any || match, false);
}
