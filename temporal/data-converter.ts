import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { createCompressionCodec } from './compression-codec.js';
import { createEncryptionCodec, parseEncryptionKey, type EncryptionKey } from './encryption-codec.js';

/**
 * The data converter every client and worker of the project uses; they must agree, or payloads cannot be read.
 * Codecs encode in order: compression first, since ciphertext does not compress.
 */
export function webhookDataConverter(encryptionKeys: readonly EncryptionKey[] = []): DataConverter {
  const codecs: PayloadCodec[] = [createCompressionCodec()];
  if (encryptionKeys.length > 0) codecs.push(createEncryptionCodec(encryptionKeys));
  return { payloadCodecs: codecs };
}

/** The keys of `encryption.keys`, read from the environment; a missing or malformed one stops the process at start. */
export function encryptionKeysFrom(config: Config, env: NodeJS.ProcessEnv): EncryptionKey[] {
  const problems: { path: string; message: string }[] = [];
  const keys = config.encryption.keys.map(({ id, key_env: variable }, index) => {
    const key = parseEncryptionKey(env[variable] ?? '');
    if (!key)
      problems.push({ path: `encryption.keys[${index}].key_env`, message: `${variable} must hold 32 bytes as 64 hex digits or base64` });
    return { id, key: key ?? new Uint8Array() };
  });
  if (problems.length > 0) throw new ConfigError('the environment', problems);
  return keys;
}

/** The data converter as the config says: with encryption when it names keys. */
export function dataConverterFrom(config: Config, env: NodeJS.ProcessEnv): DataConverter {
  return webhookDataConverter(encryptionKeysFrom(config, env));
}
