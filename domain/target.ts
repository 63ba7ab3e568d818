import type { DeliveryTarget } from './delivery.js';
import type { AuthConfig, Endpoint, RetryPolicyConfig, SigningConfig } from './endpoint.js';
import type { RoutableEndpoint } from './endpoint-state.js';
import { DEFAULT_DATA_KEY, type PayloadFormat } from './payload.js';
import type { RetryPolicy } from './retry.js';

/** The header of the `hmac-sha256` scheme when the endpoint names none. */
export const DEFAULT_HMAC_HEADER = 'X-Webhook-Signature';

/** A variable no process sets: what a generated signing secret names, for workers that know nothing of them. */
export const UNSET_SECRET_VARIABLE = 'WEBHOOKS_GENERATED_SIGNING_SECRET';

/** The variable of the gateway's secret key unless `secret_key_env` names another. */
export const DEFAULT_SECRET_KEY_ENV = 'WEBHOOKS_SECRET_KEY';

/** Delivery settings that apply to every endpoint unless it says otherwise. */
export interface DeliveryDefaults {
  readonly timeoutMs: number;
  readonly retry: RetryPolicyConfig;
  readonly format: PayloadFormat;
  /** Where keyed formats put the payload; `data` when unset. */
  readonly dataKey?: string;
  readonly signing?: SigningConfig;
  /** `secret_key_env`: where workers find the key generated signing secrets are derived from. */
  readonly secretKeyEnv?: string;
  /** Whether first attempts may run inside the workflow task (`delivery.fast_path`); by default they may. */
  readonly localFirstAttempts?: boolean;
}

/** Freezes what a delivery needs to know about an endpoint at the moment its event is accepted. */
export function toDeliveryTarget(endpoint: Endpoint, defaults: DeliveryDefaults): DeliveryTarget {
  const retry = endpoint.retry ?? defaults.retry;
  const signing = endpoint.signing ?? defaults.signing;
  const dataKey = endpoint.data_key ?? defaults.dataKey;
  return {
    endpointId: endpoint.id,
    url: endpoint.url,
    headers: endpoint.headers,
    ...(endpoint.auth ? { auth: toAuthReference(endpoint.auth) } : {}),
    ...(signing ? { signing: toSigningReference(signing, defaults.secretKeyEnv) } : {}),
    format: endpoint.format ?? defaults.format,
    // Only a key other than `data` is written down, so that targets (and histories) stay as they were without one.
    ...(dataKey === undefined || dataKey === DEFAULT_DATA_KEY ? {} : { dataKey }),
    ...(endpoint.transform === undefined ? {} : { transform: endpoint.transform }),
    ...(endpoint.tls ? { tls: toTlsReference(endpoint.tls) } : {}),
    ...(endpoint.ordering === 'fifo' ? { ordering: { onFailure: endpoint.fifo_on_failure ?? 'skip' } } : {}),
    ...(endpoint.rate_limit ? { rateLimit: { requests: endpoint.rate_limit.requests, perMs: endpoint.rate_limit.per } } : {}),
    timeoutMs: endpoint.timeout ?? defaults.timeoutMs,
    retry: toRetryPolicy(retry),
    retryOnStatus: retry.retry_on_status,
    ...(defaults.localFirstAttempts === false ? { firstAttemptAsActivity: true } : {}),
  };
}

function toSigningReference(signing: SigningConfig, secretKeyEnv: string | undefined): NonNullable<DeliveryTarget['signing']> {
  const header = signing.header ?? DEFAULT_HMAC_HEADER;
  if (signing.secret_env) return { scheme: signing.scheme, secretEnvs: signing.secret_env, header };
  return {
    scheme: signing.scheme,
    secretEnvs: [UNSET_SECRET_VARIABLE],
    header,
    generated: { keyEnv: secretKeyEnv ?? DEFAULT_SECRET_KEY_ENV, secretId: signing.secret_id ?? '' },
  };
}

function toTlsReference(tls: NonNullable<Endpoint['tls']>): NonNullable<DeliveryTarget['tls']> {
  return {
    ...(tls.client_cert_env === undefined ? {} : { certEnv: tls.client_cert_env }),
    ...(tls.client_key_env === undefined ? {} : { keyEnv: tls.client_key_env }),
    ...(tls.ca_env === undefined ? {} : { caEnv: tls.ca_env }),
  };
}

function toAuthReference(auth: AuthConfig): NonNullable<DeliveryTarget['auth']> {
  if (auth.type === 'bearer') return { type: 'bearer', tokenEnv: auth.token_env };
  if (auth.type === 'basic') return { type: 'basic', username: auth.username, passwordEnv: auth.password_env };
  return {
    type: 'oauth2',
    tokenUrl: auth.token_url,
    clientId: auth.client_id,
    clientSecretEnv: auth.client_secret_env,
    ...(auth.scope === undefined ? {} : { scope: auth.scope }),
    ...(auth.audience === undefined ? {} : { audience: auth.audience }),
    clientAuth: auth.client_auth,
  };
}

/** The workflow's form of a configured retry policy. */
export function toRetryPolicy(config: RetryPolicyConfig): RetryPolicy {
  return {
    ...(config.schedule ? { scheduleMs: config.schedule } : {}),
    ...(config.exponential
      ? {
          exponential: {
            initialIntervalMs: config.exponential.initial_interval,
            backoffCoefficient: config.exponential.backoff_coefficient,
            maximumIntervalMs: config.exponential.maximum_interval,
            maximumAttempts: config.exponential.maximum_attempts,
          },
        }
      : {}),
    jitter: config.jitter,
    ...(config.deadline === undefined ? {} : { deadlineMs: config.deadline }),
    retryAfterMaxMs: config.retry_after_max,
  };
}

/**
 * The target of a routed event for an endpoint in its current status: a disabled one is recorded as skipped (so the
 * event's history says who did not get it, and why), a paused one is held before its first attempt, a failing one
 * starts with an ordinary activity, and the status version routing saw travels along.
 */
export function toRoutedTarget(endpoint: RoutableEndpoint, defaults: DeliveryDefaults): DeliveryTarget {
  const routed = toDeliveryTarget(endpoint, defaults);
  const target = {
    ...routed,
    ...(endpoint.statusVersion === undefined ? {} : { statusVersion: endpoint.statusVersion }),
    ...(endpoint.failing ? { firstAttemptAsActivity: true } : {}),
  };
  const reason = endpoint.statusReason ?? 'no reason given';
  if (endpoint.status === 'disabled') return { ...target, skipReason: `skipped: endpoint disabled (${reason})` };
  if (endpoint.status === 'paused') return { ...target, holdReason: reason };
  return target;
}

/** A target sent outside the endpoint's line (a redelivery, a test send): an operator asked for it now. */
export function outOfLine(target: DeliveryTarget): DeliveryTarget {
  const { ordering: _line, ...rest } = target;
  return rest;
}
