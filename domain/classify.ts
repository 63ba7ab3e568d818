import type { AttemptResult, AttemptVerdict } from './delivery.js';

// Statuses that say "later might work" even though they are 4xx: request timeout, too early, rate limited.
const RETRYABLE_CLIENT_ERRORS = new Set([408, 425, 429]);

/**
 * Decides what an attempt means for the delivery.
 * 2xx is delivered; 3xx is not followed (a redirect could send a signed payload elsewhere) and counts as rejected;
 * 410 Gone tells us the endpoint is gone for good; 408, 425, 429, 5xx and transport failures are worth retrying;
 * any other 4xx will fail the same way again.
 */
export function classifyAttempt(result: Pick<AttemptResult, 'statusCode' | 'errorClass'>): AttemptVerdict {
  const { statusCode } = result;
  if (statusCode === undefined) return result.errorClass === 'invalid_url' ? 'rejected' : 'retryable';
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 410) return 'gone';
  if (statusCode >= 500 || RETRYABLE_CLIENT_ERRORS.has(statusCode)) return 'retryable';
  return 'rejected';
}
