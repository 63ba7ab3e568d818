import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

/** The encoding of a payload this codec encrypted; its data is IV, ciphertext and tag of the serialised original. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata key naming the key a payload was encrypted with, so that keys can rotate. */
export const KEY_ID_METADATA = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One encryption key: 32 bytes, and the id stored beside every payload it encrypts. */
export interface EncryptionKey {
  readonly id: string;
  readonly key: Uint8Array;
}

/** An encrypted payload names a key this codec does not have: it was written under a key since removed. */
export class UnknownEncryptionKeyError extends Error {
  override readonly name = 'UnknownEncryptionKeyError';
  constructor(readonly keyId: string) {
    super(`payload encrypted with key "${keyId}", which is not configured; add it back to decrypt`);
  }
}

/**
 * Encrypts every payload with AES-256-GCM under the first key, and decrypts with whichever key a payload names.
 * Rotating is adding a new key first and keeping the old ones until their histories are past retention. The key id
 * is also the GCM additional data, so a payload cannot be passed off as encrypted under another key.
 */
export function createEncryptionCodec(keys: readonly EncryptionKey[]): PayloadCodec {
  const [current] = keys;
  if (!current) throw new Error('an encryption codec needs at least one key');
  for (const { id, key } of keys) {
    if (key.length !== 32) throw new Error(`encryption key "${id}" has ${key.length} bytes; AES-256 needs 32`);
  }
  const byId = new Map(keys.map((entry) => [entry.id, entry.key]));
  const currentId = encoder.encode(current.id);

  const encrypt = (payload: Payload): Payload => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, current.key, iv).setAAD(currentId);
    const body = Buffer.concat([cipher.update(PayloadMessage.encode(payload).finish()), cipher.final()]);
    return {
      metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: currentId },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  };
  const decrypt = (payload: Payload): Payload => {
    const encoding = payload.metadata?.['encoding'];
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING || !payload.data) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA] ?? new Uint8Array();
    const key = byId.get(decoder.decode(keyIdBytes));
    if (!key) throw new UnknownEncryptionKeyError(decoder.decode(keyIdBytes));
    const data = Buffer.from(payload.data);
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES)).setAAD(keyIdBytes);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return PayloadMessage.decode(Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]));
  };
  // The work is synchronous; starting it inside a promise turns a failure into a rejection, as codecs must.
  return {
    encode: (payloads) => Promise.resolve().then(() => payloads.map(encrypt)),
    decode: (payloads) => Promise.resolve().then(() => payloads.map(decrypt)),
  };
}

/** Reads a key from its text form: 64 hex digits or base64 of 32 bytes. */
export function parseEncryptionKey(text: string): Uint8Array | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return new Uint8Array(Buffer.from(trimmed, 'hex'));
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? new Uint8Array(bytes) : undefined;
}
