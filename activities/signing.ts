import { createHmac } from 'node:crypto';

// Signing needs Node's crypto, so it lives with the activity; workflows never sign.

const WHSEC_PREFIX = 'whsec_';

/**
 * The Standard Webhooks signature of one message: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed
 * with the secret's bytes (the base64 after `whsec_`). See https://www.standardwebhooks.com/.
 */
export function signStandardWebhooks(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret, 'base64');
  const digest = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${digest}`;
}

/** The hex scheme many senders use: `sha256=` and the hex HMAC-SHA256 of the body, keyed with the secret's text. */
export function signHexSha256(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
