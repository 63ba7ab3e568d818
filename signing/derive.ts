import { createHmac } from 'node:crypto';

/** What a generated secret is for: each purpose derives its own, so one can never stand in for another. */
export type SecretPurpose = 'source' | 'signing' | 'page-token';

/**
 * A secret the gateway generated: an HMAC of its purpose and `parts` (ids and a generation number) under the gateway's
 * secret key, in the Standard Webhooks form (`whsec_` and base64), which the other schemes take as text as it is.
 * Derived rather than stored, so that no workflow history, memo or log ever holds it: history keeps the generation,
 * and rotating is the next one.
 */
export function deriveSecret(key: string, purpose: SecretPurpose, parts: readonly (string | number)[]): string {
  const bytes = createHmac('sha256', key)
    .update(['temporal-webhooks', purpose, ...parts].join('\n'))
    .digest();
  return `whsec_${bytes.toString('base64')}`;
}
