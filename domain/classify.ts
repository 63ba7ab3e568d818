import type { AttemptResult, AttemptVerdict, TransportErrorClass } from './delivery.js';

// Statuses that say "later might work" even though they are 4xx: request timeout, too early, rate limited.
const RETRYABLE_CLIENT_ERRORS: readonly number[] = [408, 425, 429];
// Failures that another try cannot mend: the URL itself is wrong, configuration forbids the destination, or the
// endpoint's transform fails on this event (it would fail the same way on every try).
const FINAL_TRANSPORT_ERRORS: readonly TransportErrorClass[] = ['invalid_url', 'blocked_destination', 'transform_failed'];

/**
 * Decides what an attempt means for the delivery.
 * 2xx is delivered; 3xx is not followed (a redirect could send a signed payload elsewhere) and counts as rejected;
 * 410 Gone tells us the endpoint is gone for good; 408, 425, 429, 5xx and transport failures are worth retrying,
 * and so is any 4xx in `retryOnStatus`; any other 4xx would fail the same way again.
 */
export function classifyAttempt(
  result: Pick<AttemptResult, 'statusCode' | 'errorClass'>,
  retryOnStatus: readonly number[] = [],
): AttemptVerdict {
  const { statusCode } = result;
  if (statusCode === undefined) return result.errorClass && FINAL_TRANSPORT_ERRORS.includes(result.errorClass) ? 'rejected' : 'retryable';
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode >= 500 || RETRYABLE_CLIENT_ERRORS.includes(statusCode) || retryOnStatus.includes(statusCode)) return 'retryable';
  if (statusCode === 410) return 'gone';
  return 'rejected';
}
