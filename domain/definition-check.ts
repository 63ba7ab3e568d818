import { EVENT_PATTERN_FORM } from './event-type.js';
import { filterProblems } from './filter.js';
import { DATA_KEY_FORM, PAYLOAD_FORMATS } from './payload.js';

// The longest transform (domain/transform.ts), repeated so that JSONata is not loaded into the entity's workflow.
const MAX_TRANSFORM_LENGTH = 16 * 1024;

// The form of a generated signing secret's id (domain/endpoint.ts), repeated here so that no schema is loaded.
const GENERATED_SECRET_ID = /^[0-9a-f]{16}$/;

// What an endpoint entity checks of a new definition before it reaches history. The endpoint schema is not used here:
// building it in every cached entity's workflow held 1.3 MB of memory per entity (2 GB for 1,000 endpoints). Every
// definition the API, the CLI and the config file send has passed the schema already; this keeps a hand-made update
// (`temporal workflow update execute --name configure`) from storing something the gateway cannot deliver with.

type Problem = string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
/** An absolute http(s) URL without whitespace: what the entity stores, and what the endpoint schema makes sure of. */
export const HTTP_URL = /^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/i;

/** Why `definition` may not replace the definition of endpoint `entityId`, or `undefined` when it may. */
export function definitionProblem(entityId: string, definition: unknown): Problem {
  if (!isObject(definition)) return 'invalid endpoint: a definition is an object';
  const problem = [
    definition['id'] === entityId ? undefined : `this entity is endpoint ${entityId}, not ${String(definition['id'])}`,
    isString(definition['url']) && HTTP_URL.test(definition['url']) ? undefined : 'url: an absolute http:// or https:// URL',
    Array.isArray(definition['events']) &&
    definition['events'].length > 0 &&
    definition['events'].every((e) => isString(e) && EVENT_PATTERN_FORM.test(e))
      ? undefined
      : 'events: one or more patterns (*, prefix.*, or exact types)',
    typeof definition['enabled'] === 'boolean' ? undefined : 'enabled: true or false',
    headersProblem(definition['headers']),
    optional(definition, 'name', isString, 'a name'),
    optional(
      definition,
      'format',
      (value) => (PAYLOAD_FORMATS as readonly unknown[]).includes(value),
      `one of ${PAYLOAD_FORMATS.join(', ')}`,
    ),
    optional(definition, 'data_key', (value) => isString(value) && DATA_KEY_FORM.test(value), 'a key name'),
    optional(definition, 'timeout', (value) => typeof value === 'number' && value > 0, 'milliseconds, more than 0'),
    optional(definition, 'auth', authFits, '{ type: bearer, token_env }, { type: basic, username, password_env } or { type: oauth2, … }'),
    optional(definition, 'signing', signingFits, '{ scheme, secret_env: [names] or a secret_id, header }'),
    optional(definition, 'retry', retryFits, 'a retry policy, durations in milliseconds'),
    optional(definition, 'ordering', (value) => value === 'fifo', 'fifo'),
    optional(definition, 'fifo_on_failure', (value) => value === 'skip' || value === 'block', 'skip or block'),
    optional(definition, 'rate_limit', rateLimitFits, '{ requests: 1 to 1000, per: milliseconds }'),
    optional(definition, 'tls', tlsFits, '{ client_cert_env, client_key_env, ca_env }: variable names'),
    optional(definition, 'transform', (value) => isString(value) && value.length <= MAX_TRANSFORM_LENGTH, 'a JSONata expression'),
    optional(definition, 'filter', (value) => filterProblems(value).length === 0, 'a payload filter (see docs/delivery.md)'),
  ].find((found) => found !== undefined);
  return problem === undefined || problem.startsWith('this entity') ? problem : `invalid endpoint: ${problem}`;
}

function optional(definition: Record<string, unknown>, field: string, fits: (value: unknown) => boolean, expected: string): Problem {
  const value = definition[field];
  return value === undefined || fits(value) ? undefined : `${field}: ${expected}`;
}

function headersProblem(headers: unknown): Problem {
  if (!isObject(headers)) return 'headers: an object of names and values';
  const fits = Object.values(headers).every((value) => typeof value === 'string' || (isObject(value) && isString(value['env'])));
  return fits ? undefined : 'headers: each value text or { env: NAME }';
}

function authFits(auth: unknown): boolean {
  if (!isObject(auth)) return false;
  if (auth['type'] === 'bearer') return isString(auth['token_env']);
  if (auth['type'] === 'oauth2') {
    return (
      isString(auth['token_url']) && HTTP_URL.test(auth['token_url']) && isString(auth['client_id']) && isString(auth['client_secret_env'])
    );
  }
  return auth['type'] === 'basic' && isString(auth['username']) && isString(auth['password_env']);
}

function signingFits(signing: unknown): boolean {
  if (!isObject(signing) || (signing['scheme'] !== 'standard-webhooks' && signing['scheme'] !== 'hmac-sha256')) return false;
  const names = signing['secret_env'];
  // Named secrets, or a generated one and the id of the one that signs.
  return names === undefined
    ? typeof signing['secret_id'] === 'string' && GENERATED_SECRET_ID.test(signing['secret_id'])
    : Array.isArray(names) && names.length > 0 && names.every(isString);
}

function rateLimitFits(limit: unknown): boolean {
  return (
    isObject(limit) &&
    Number.isInteger(limit['requests']) &&
    (limit['requests'] as number) >= 1 &&
    (limit['requests'] as number) <= 1_000 &&
    typeof limit['per'] === 'number' &&
    limit['per'] >= 100
  );
}

function tlsFits(tls: unknown): boolean {
  return isObject(tls) && Object.keys(tls).length > 0 && Object.values(tls).every(isString);
}

function retryFits(retry: unknown): boolean {
  return (
    isObject(retry) &&
    typeof retry['jitter'] === 'number' &&
    typeof retry['retry_after_max'] === 'number' &&
    Array.isArray(retry['retry_on_status']) &&
    (retry['schedule'] === undefined ||
      (Array.isArray(retry['schedule']) && retry['schedule'].every((delay) => typeof delay === 'number'))) &&
    (retry['exponential'] === undefined ||
      (isObject(retry['exponential']) && Object.values(retry['exponential']).every((n) => typeof n === 'number')))
  );
}
