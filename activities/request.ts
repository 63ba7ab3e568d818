import type { DeliveryTarget } from '../domain/delivery.js';
import type { WebhookEvent } from '../domain/event.js';
import { renderPayload } from '../domain/payload.js';
import { deriveSecret } from '../signing/derive.js';
import { signHexSha256, signStandardWebhooks } from '../signing/signatures.js';

/** An outbound request, ready to send. */
export interface OutboundRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What the attempt made before building the request: the body a transform made, an OAuth2 access token. */
export interface MadeForAttempt {
  readonly body?: string;
  readonly accessToken?: string;
}

/** A secret the target refers to is not set; `variable` names it (its value is never known, so never leaked). */
export interface MissingSecret {
  readonly missingVariable: string;
}

/**
 * Renders the body and headers of one attempt: the payload format (or the body the endpoint's transform made), the
 * configured headers (secrets read from `env` only now), authentication, and the signatures over exactly the bytes
 * that are sent.
 */
export function buildOutboundRequest(
  event: WebhookEvent,
  target: DeliveryTarget,
  attemptedAt: Date,
  env: NodeJS.ProcessEnv,
  userAgent: string,
  made: MadeForAttempt = {},
): OutboundRequest | MissingSecret {
  const missing: string[] = [];
  const secret = (variable: string): string => {
    const value = env[variable];
    if (value === undefined || value === '') missing.push(variable);
    return value ?? '';
  };

  const body = made.body ?? renderPayload(target.format, event, target.dataKey);
  const timestampSeconds = Math.floor(attemptedAt.getTime() / 1000);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.headers)) headers[name] = typeof value === 'string' ? value : secret(value.env);

  if (target.auth?.type === 'bearer') headers['authorization'] = `Bearer ${secret(target.auth.tokenEnv)}`;
  if (target.auth?.type === 'oauth2') {
    // A worker that got no token sends none, rather than a request the receiver would refuse anyway.
    if (made.accessToken === undefined) missing.push(target.auth.clientSecretEnv);
    else headers['authorization'] = `Bearer ${made.accessToken}`;
  }
  if (target.auth?.type === 'basic') {
    headers['authorization'] = `Basic ${Buffer.from(`${target.auth.username}:${secret(target.auth.passwordEnv)}`).toString('base64')}`;
  }

  Object.assign(headers, {
    'content-type': 'application/json',
    'user-agent': userAgent,
    // The event id on every attempt, so receivers can tell a retry from a new event.
    'webhook-id': event.id,
    'webhook-timestamp': String(timestampSeconds),
  });
  const { signing } = target;
  // A generated secret is derived here, from the gateway's key, and never leaves this request.
  const signingSecrets = !signing
    ? []
    : signing.generated
      ? [deriveSecret(secret(signing.generated.keyEnv), 'signing', [target.endpointId, signing.generated.secretId])]
      : signing.secretEnvs.map(secret);
  if (signing?.scheme === 'standard-webhooks') {
    headers['webhook-signature'] = signingSecrets.map((key) => signStandardWebhooks(key, event.id, timestampSeconds, body)).join(' ');
  } else if (signing?.scheme === 'hmac-sha256') {
    headers[signing.header] = signingSecrets.map((key) => signHexSha256(key, body)).join(',');
  }
  const [missingVariable] = missing;
  return missingVariable === undefined ? { headers, body } : { missingVariable };
}
