import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig, ApiScope } from '../config/ingest.js';
import { ConfigError } from '../errors.js';

/** Who is calling: a configured key, or anyone when the API has no keys. */
export interface Principal {
  /** The key's configured id; `anonymous` when the API asks for no key. */
  readonly keyId: string;
  readonly scopes: ReadonlySet<ApiScope>;
}

/** The API keys, as hashes only: the keys themselves are read once and not kept. */
export interface Keyring {
  /** False when no key is configured and every caller is let in. */
  readonly required: boolean;
  /** The principal an `Authorization` header proves, or `undefined` if it proves none. */
  identify(authorization: string | undefined): Principal | undefined;
}

export const ANONYMOUS: Principal = { keyId: 'anonymous', scopes: new Set<ApiScope>(['ingest', 'read', 'manage']) };

// Long enough that guessing, slowed by the limit on failed attempts, is hopeless; `openssl rand -hex 32` gives 64.
const MIN_KEY_LENGTH = 16;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Builds the keyring; a key whose variable is unset stops the API at start, not at its first request. */
export function createKeyring(keys: readonly ApiKeyConfig[], env: NodeJS.ProcessEnv): Keyring {
  const problems: { path: string; message: string }[] = [];
  const entries = keys.map((key, index) => {
    let hash: Buffer;
    if (key.key_sha256 !== undefined) {
      hash = Buffer.from(key.key_sha256, 'hex');
    } else {
      const value = env[key.key_env ?? ''];
      const path = `api.keys[${index}].key_env`;
      if (!value) problems.push({ path, message: `${key.key_env} is not set` });
      // A key read from a file often ends in a newline, and a Bearer token cannot carry one: it would never match.
      else if (/\s/.test(value)) problems.push({ path, message: `${key.key_env} holds whitespace; a key cannot` });
      else if (value.length < MIN_KEY_LENGTH)
        problems.push({ path, message: `${key.key_env} is shorter than ${MIN_KEY_LENGTH} characters` });
      hash = sha256(value ?? '');
    }
    const scopes = new Set<ApiScope>(key.scopes);
    if (scopes.has('manage')) scopes.add('read');
    return { hash, principal: { keyId: key.id, scopes } satisfies Principal };
  });
  // Unset keys all hash alike; they are reported already.
  const seen = new Map<string, string>();
  for (const { hash, principal } of problems.length > 0 ? [] : entries) {
    const other = seen.get(hash.toString('hex'));
    if (other) problems.push({ path: 'api.keys', message: `keys "${other}" and "${principal.keyId}" are the same key` });
    seen.set(hash.toString('hex'), principal.keyId);
  }
  if (problems.length > 0) throw new ConfigError('the environment', problems);

  return {
    required: entries.length > 0,
    identify(authorization) {
      if (entries.length === 0) return ANONYMOUS;
      const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
      if (!match) return undefined;
      // Comparing hashes in constant time, against every key, tells a guesser nothing from timing.
      const presented = sha256(match[1] as string);
      let found: Principal | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(presented, entry.hash)) found = entry.principal;
      }
      return found;
    },
  };
}
