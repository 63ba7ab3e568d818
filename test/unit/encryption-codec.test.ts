import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import {
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  UnknownEncryptionKeyError,
  createEncryptionCodec,
  parseEncryptionKey,
} from '../../temporal/encryption-codec.js';

const oldKey = { id: 'k1', key: randomBytes(32) };
const newKey = { id: 'k2', key: randomBytes(32) };
const secretEvent = { type: 'order.created', data: { card: '4242 4242 4242 4242', email: 'ada@example.com' } };
const text = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array());

describe('createEncryptionCodec', () => {
  test('encrypts every payload so that no plaintext remains, names its key, and decrypts it back', async () => {
    const codec = createEncryptionCodec([oldKey]);
    const original = defaultPayloadConverter.toPayload(secretEvent);
    const [encrypted] = await codec.encode([original]);

    expect(text(encrypted?.metadata?.['encoding'])).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted?.metadata?.[KEY_ID_METADATA])).toBe('k1');
    expect(Buffer.from(encrypted?.data ?? []).includes('4242')).toBe(false);
    expect(Buffer.from(encrypted?.data ?? []).includes('json/plain')).toBe(false);
    const [decoded] = await codec.decode([encrypted ?? {}]);
    expect(defaultPayloadConverter.fromPayload(decoded ?? {})).toEqual(secretEvent);
  });

  test('uses a fresh IV each time, so equal payloads do not look equal', async () => {
    const codec = createEncryptionCodec([oldKey]);
    const payload = defaultPayloadConverter.toPayload(secretEvent);
    const [a, b] = await codec.encode([payload, payload]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  test('after rotation encrypts with the new key and still decrypts what the old one wrote', async () => {
    const [writtenBefore] = await createEncryptionCodec([oldKey]).encode([defaultPayloadConverter.toPayload(secretEvent)]);
    const rotated = createEncryptionCodec([newKey, oldKey]);
    const [writtenAfter] = await rotated.encode([defaultPayloadConverter.toPayload(secretEvent)]);

    expect(text(writtenAfter?.metadata?.[KEY_ID_METADATA])).toBe('k2');
    const decoded = await rotated.decode([writtenBefore ?? {}, writtenAfter ?? {}]);
    expect(decoded.map((payload) => defaultPayloadConverter.fromPayload(payload))).toEqual([secretEvent, secretEvent]);
  });

  test('refuses a payload under a removed key, a tampered one, and one relabelled with another key id', async () => {
    const [payload] = await createEncryptionCodec([oldKey]).encode([defaultPayloadConverter.toPayload(secretEvent)]);
    await expect(createEncryptionCodec([newKey]).decode([payload ?? {}])).rejects.toThrow(UnknownEncryptionKeyError);

    const tampered = Buffer.from(payload?.data ?? []);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    await expect(createEncryptionCodec([oldKey]).decode([{ ...payload, data: tampered }])).rejects.toThrow();

    const sameKeyTwoNames = createEncryptionCodec([oldKey, { id: 'alias', key: oldKey.key }]);
    const relabelled = { ...payload, metadata: { ...payload?.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('alias') } };
    await expect(sameKeyTwoNames.decode([relabelled])).rejects.toThrow();
  });

  test('passes payloads it did not encrypt through unchanged', async () => {
    const plain = defaultPayloadConverter.toPayload({ hello: 'world' });
    expect(await createEncryptionCodec([oldKey]).decode([plain])).toEqual([plain]);
  });

  test('needs 32-byte keys', () => {
    expect(() => createEncryptionCodec([{ id: 'short', key: randomBytes(16) }])).toThrow(/32/);
    expect(() => createEncryptionCodec([])).toThrow();
  });
});

describe('parseEncryptionKey', () => {
  test('reads 64 hex digits or base64 of 32 bytes, and nothing else', () => {
    const bytes = randomBytes(32);
    expect(parseEncryptionKey(bytes.toString('hex'))).toEqual(new Uint8Array(bytes));
    expect(parseEncryptionKey(`${bytes.toString('base64')}\n`)).toEqual(new Uint8Array(bytes));
    expect(parseEncryptionKey('too short')).toBeUndefined();
    expect(parseEncryptionKey(randomBytes(16).toString('base64'))).toBeUndefined();
  });
});
